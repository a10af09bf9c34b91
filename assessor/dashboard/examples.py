"""Three example assessments of realistic workflows, so a newcomer sees real reports at once."""

from __future__ import annotations

from django.db import transaction

from assessor.models import Assessment
from assessor.records import services
from assessor.register.examples import RUNS, example_agents_create

SAFEST = {
    "task_type": "secret_rotation",
    "environment_tier": "non_production",
    "task_pattern": "repetitive",
    "business_impact": "contained",
    "trigger_defined": "explicit",
    "completion_criteria": "verifiable",
    "data_quality": "authoritative",
    "input_sources": "internal_systems",
    "approval_chain": "codified",
    "self_approval": "no_enforced",
    "informal_overrides": "none",
    "privilege_scope": "narrow",
    "identities_affected": "one",
    "reversibility": "automatic_rollback",
    "tool_chaining": "single_system",
    "agent_identity": "workload_identity",
    "credential_lifetime": "ephemeral_jit",
    "credential_scope": "task_scoped",
    "revocation": "automatic_at_task_end",
    "runtime_policy": "policy_as_code",
    "policy_evaluation": "per_action",
    "evidence_capture": "end_to_end",
    "monitoring": "real_time_alerting",
    "kill_switch": "yes",
    "shared_accounts": "none",
    "legacy_iam": "modern_api",
}

EXAMPLES = [
    {
        "name": "Non-production secret rotation",
        "description": (
            "Rotate database and API secrets for staging services every 30 days: issue the new "
            "secret, update the consumers, verify they work, revoke the old secret."
        ),
        "system": "Secrets vault (staging)",
        "business_owner": "Platform engineering",
        "answers": {"monitoring": "periodic_review"},
        "notes": {
            "trigger_defined": "Triggered by the vault's expiry event, 7 days before expiry.",
            "completion_criteria": (
                "Health checks of every consumer pass with the new secret; the old version "
                "is then revoked and the revocation is logged."
            ),
            "monitoring": "Weekly review of the rotation log; alerting planned for next quarter.",
        },
        "evidence": {
            "runtime_policy": "https://wiki.example.com/platform/rotation-policy",
            "evidence_capture": "https://wiki.example.com/platform/rotation-audit-trail",
        },
    },
    {
        "name": "SaaS access approval",
        "description": (
            "Requests for access to SaaS applications arrive in the service desk; the agent "
            "checks entitlement rules, drafts the approval and provisions the group membership."
        ),
        "system": "Identity provider and service desk",
        "business_owner": "IAM operations",
        "answers": {
            "task_type": "access_approval",
            "environment_tier": "production",
            "task_pattern": "mostly_routine",
            "business_impact": "internal_disruption",
            "data_quality": "mostly_reliable",
            "input_sources": "mixed",
            "input_isolation": "validated_parameters",
            "approval_chain": "codified",
            "informal_overrides": "rare_logged",
            "privilege_scope": "moderate",
            "grant_capability": "can_grant",
            "decision_source": "agent_decides",
            "identities_affected": "one",
            "reversibility": "manual_rollback",
            "tool_chaining": "two_systems",
            "chain_credentials": "separate_per_system",
            "credential_lifetime": "short_lived",
            "credential_scope": "role_scoped",
            "revocation": "manual",
            "runtime_policy": "static_roles",
        },
        "notes": {
            "input_sources": "The request form has structured fields plus a free-text reason.",
            "revocation": "The agent's token is revoked by the on-call engineer after each batch.",
        },
        "evidence": {"approval_chain": "https://wiki.example.com/iam/saas-approval-matrix"},
    },
    {
        "name": "Leaver deprovisioning",
        "description": (
            "When HR records a leaver, disable the account, remove group memberships, revoke "
            "cloud console access, archive the mailbox and close the ticket."
        ),
        "system": "HR system, directory, ticketing and cloud consoles",
        "business_owner": "People operations with IAM",
        "answers": {
            "task_type": "deprovisioning",
            "environment_tier": "production",
            "task_pattern": "mostly_routine",
            "business_impact": "internal_disruption",
            "trigger_defined": "explicit",
            "completion_criteria": "documented",
            "data_quality": "uneven",
            "approval_chain": "documented_manual",
            "self_approval": "no_by_convention",
            "informal_overrides": "rare_logged",
            "privilege_scope": "moderate",
            # its broad, standing credentials could grant as well as remove
            "grant_capability": "can_grant",
            "identities_affected": "hundreds_plus",
            "batch_limit": "uncapped",
            "reversibility": "irreversible",
            "tool_chaining": "identity_ticketing_cloud",
            "chain_credentials": "shared_token",
            "agent_identity": "shared_service_account",
            "service_account_attribution": "not_attributed",
            "credential_lifetime": "standing",
            "credential_scope": "broad",
            "revocation": "none",
            "runtime_policy": "static_roles",
            "evidence_capture": "partial",
            "monitoring": "periodic_review",
            "shared_accounts": "unmanaged",
            "legacy_iam": "some_legacy",
        },
        "notes": {
            "data_quality": "Leaver dates in the HR feed are often late or corrected afterwards.",
            "shared_accounts": "Several team mailboxes and a legacy admin account are shared.",
            "reversibility": "Mailbox archiving after 30 days cannot be undone.",
        },
        "evidence": {},
    },
]


@transaction.atomic
def examples_create(*, owner, team) -> list[Assessment]:
    created = []
    agents = example_agents_create(owner=owner, team=team)
    for example in EXAMPLES:
        assessment = services.assessment_create(
            owner=owner,
            team=team,
            name=example["name"],
            description=example["description"],
            system=example["system"],
            business_owner=example["business_owner"],
            agent=agents[RUNS[example["name"]]],
        )
        answers = {**SAFEST, **example["answers"]}
        submitted = {
            key: (choice, example["notes"].get(key, ""), example["evidence"].get(key, ""))
            for key, choice in answers.items()
        }
        services.answers_save(assessment=assessment, existing={}, submitted=submitted, user=owner)
        # marked, so exports, the API's list and the dashboard's counts can leave it out
        Assessment.objects.filter(pk=assessment.pk).update(is_example=True)
        assessment.is_example = True
        created.append(assessment)
    return created
