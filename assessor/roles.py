"""Roles as Django groups with permissions; team membership decides which records they reach.

- Reviewer: creates and edits the team's assessments, submits and reassesses them.
- Approver: signs off (approves or returns) the team's submitted assessments.
- Auditor: reads the team's records, their history and exports.
- Questionnaire admin: edits the question bank in the admin.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

REVIEWER = "Reviewer"
APPROVER = "Approver"
AUDITOR = "Auditor"
QUESTIONNAIRE_ADMIN = "Questionnaire admin"

BANK_MODELS = (
    "questionnaire",
    "dimension",
    "section",
    "question",
    "choice",
    "choiceweight",
    "rule",
    "threshold",
    "ownershipcondition",
    "frameworkreference",
)

ROLE_PERMISSIONS: dict[str, list[str]] = {
    REVIEWER: ["add_assessment", "change_assessment", "view_assessment"],
    APPROVER: ["approve_assessment", "view_assessment"],
    AUDITOR: ["view_assessment"],
    QUESTIONNAIRE_ADMIN: [
        f"{action}_{model}"
        for model in BANK_MODELS
        for action in ("add", "change", "delete", "view")
    ],
}

# The names `add_member --role` accepts.
ROLE_NAMES = {
    "reviewer": REVIEWER,
    "approver": APPROVER,
    "auditor": AUDITOR,
    "admin": QUESTIONNAIRE_ADMIN,
}


def ensure_groups(**kwargs) -> None:
    """Create the role groups with exactly their permissions (run after every migrate)."""
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="assessor", codename__in=codenames
        )
        group.permissions.set(permissions)
