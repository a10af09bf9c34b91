"""What every bank must keep (the keys of DESIGN.md's contract), and the error a bad bank raises."""

from __future__ import annotations

# The public contract of DESIGN.md: forms, the JSON export and the command line rely on these
# keys, so every bank must keep them (it may add questions and choices beside them).
CORE_CONTRACT: dict[str, tuple[str, ...]] = {
    "task_type": (
        "secret_rotation",
        "access_request_triage",
        "access_review",
        "provisioning",
        "deprovisioning",
        "access_approval",
        "privilege_escalation",
        "other",
    ),
    "environment_tier": ("non_production", "mixed", "production"),
    "task_pattern": ("repetitive", "mostly_routine", "exception_heavy"),
    "trigger_defined": ("explicit", "documented", "ad_hoc"),
    "completion_criteria": ("verifiable", "documented", "none"),
    "data_quality": ("authoritative", "mostly_reliable", "uneven"),
    "input_sources": ("internal_systems", "mixed", "untrusted_free_text"),
    "approval_chain": ("codified", "documented_manual", "unclear"),
    "informal_overrides": ("none", "rare_logged", "common"),
    "privilege_scope": ("narrow", "moderate", "broad"),
    "identities_affected": ("one", "tens", "hundreds_plus"),
    "reversibility": ("automatic_rollback", "manual_rollback", "irreversible"),
    "tool_chaining": ("single_system", "two_systems", "identity_ticketing_cloud"),
    "agent_identity": ("workload_identity", "shared_service_account", "human_credentials"),
    "credential_lifetime": ("ephemeral_jit", "short_lived", "standing"),
    "credential_scope": ("task_scoped", "role_scoped", "broad"),
    "revocation": ("automatic_at_task_end", "manual", "none"),
    "runtime_policy": ("policy_as_code", "static_roles", "none"),
    "evidence_capture": ("end_to_end", "partial", "none"),
    "monitoring": ("real_time_alerting", "periodic_review", "none"),
    "kill_switch": ("yes", "no"),
    "shared_accounts": ("none", "managed", "unmanaged"),
    "legacy_iam": ("modern_api", "some_legacy", "brittle_legacy"),
    "business_impact": (
        "contained",
        "internal_disruption",
        "customer_or_regulatory",
        "organisation_wide",
    ),
    "self_approval": ("no_enforced", "no_by_convention", "yes"),
}
# Questionnaire 2026.1 predates these two questions; records pinned to it must keep loading,
# so a bank may leave them out, but a bank that has them must keep their contract.
ADDED_IN_2026_2 = frozenset({"business_impact", "self_approval"})
# Questions that describe the workflow itself, not its controls (DESIGN.md). They count as
# scope in every bank, including documents stored before banks could mark scope themselves.
# How many systems a run chains and how many identities it reaches are facts of the workflow
# too (2026.3): what bounds them is a control (scoped credentials per step, a batch cap).
CONTRACT_SCOPE = frozenset(
    {
        "task_type",
        "environment_tier",
        "task_pattern",
        "business_impact",
        "tool_chaining",
        "identities_affected",
    }
)
CONTRACT_DIMENSIONS = (
    "trigger",
    "data_trust",
    "approval",
    "blast_radius",
    "credentials",
    "policy",
    "evidence",
    "environment",
)


class BankError(ValueError):
    """A bank that cannot be used; `problems` names every bad entry."""

    def __init__(self, problems: list[str]):
        super().__init__("invalid question bank:\n  - " + "\n  - ".join(problems))
        self.problems = problems
