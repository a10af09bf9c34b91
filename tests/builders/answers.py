"""Answer sets in a known state under the shipped bank: the safest, a lower-trust workflow,
one complete workflow at each verdict, and a plan whose least decisive changes come first."""

from __future__ import annotations

from assessor.dashboard.examples import SAFEST as EXAMPLE_SAFEST

# Every question asked at its safest choice (the shipped examples' answers): the follow-up
# that policy as code shows is answered too, since left out it would count at its riskiest.
SAFEST = dict(EXAMPLE_SAFEST)
CORE_SAFEST = {key: choice for key, choice in SAFEST.items() if key != "policy_evaluation"}

# A lower-trust workflow with several middling answers and no fatal flaw: every condition for
# ownership it misses caps at supervised, and the score takes it to copilot.
LOWER_TRUST = {
    "task_type": "provisioning",
    "environment_tier": "production",
    "task_pattern": "mostly_routine",
    "business_impact": "internal_disruption",
    "self_approval": "no_enforced",
    "trigger_defined": "documented",
    "completion_criteria": "documented",
    "data_quality": "mostly_reliable",
    "input_sources": "mixed",
    "approval_chain": "documented_manual",
    "informal_overrides": "rare_logged",
    "privilege_scope": "moderate",
    "identities_affected": "tens",
    "reversibility": "manual_rollback",
    "tool_chaining": "two_systems",
    "agent_identity": "shared_service_account",
    "credential_lifetime": "short_lived",
    "credential_scope": "role_scoped",
    "revocation": "automatic_at_task_end",
    "runtime_policy": "policy_as_code",
    "evidence_capture": "end_to_end",
    "monitoring": "periodic_review",
    "kill_switch": "yes",
    "shared_accounts": "managed",
    "legacy_iam": "some_legacy",
}

# A complete workflow at each verdict under the shipped bank: the safest answers with uneven
# data (a rule caps it at supervised), and the lower-trust workflow for copilot.
AT_VERDICT = {
    "copilot": LOWER_TRUST,
    "supervised": {**SAFEST, "data_quality": "uneven"},
    "owner": SAFEST,
}


# A plan whose least decisive changes would come first in the engine's order: the report and
# page 1 list the changes that clear rules first (scoring.changes_by_effect).
MIXED_PLAN = {
    **SAFEST,
    "completion_criteria": "none",
    "data_quality": "uneven",
    "input_sources": "mixed",
    "privilege_scope": "moderate",
    "runtime_policy": "static_roles",
    "policy_evaluation": "per_session",
    "monitoring": "periodic_review",
    "kill_switch": "untested",
    "legacy_iam": "some_legacy",
}
