"""Small builders for tests: users, assessments and answers in a known state."""

from django.contrib.auth import get_user_model

from assessor import services
from assessor.membership import member_add

SAFEST = {
    "task_type": "secret_rotation",
    "environment_tier": "non_production",
    "task_pattern": "repetitive",
    "trigger_defined": "explicit",
    "completion_criteria": "verifiable",
    "data_quality": "authoritative",
    "input_sources": "internal_systems",
    "approval_chain": "codified",
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
    "kill_switch": "yes",
    "evidence_capture": "end_to_end",
    "monitoring": "real_time_alerting",
    "shared_accounts": "none",
    "legacy_iam": "modern_api",
}


PASSWORD = "correct horse battery staple"


def make_user(username="reviewer", *, team="Team A", roles=("reviewer",), password=PASSWORD):
    """A user with a known password, in `team` with `roles` (none: a user in no team)."""
    user = get_user_model().objects.create_user(username=username, password=password)
    for role in roles:
        member_add(team_name=team, username=username, role=role)
    return user


def make_assessment(owner, *, answers=None, notes=None, links=None, name="Secret rotation"):
    assessment = services.assessment_create(
        owner=owner, team=owner.teams.order_by("pk").first(), name=name, system="Vault"
    )
    if answers:
        notes, links = notes or {}, links or {}
        submitted = {k: (v, notes.get(k, ""), links.get(k, "")) for k, v in answers.items()}
        services.answers_save(assessment=assessment, existing={}, submitted=submitted)
    assessment.refresh_from_db()
    return assessment
