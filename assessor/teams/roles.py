"""Roles, held per team: a `Membership` row says which roles one person holds in one team.

- Reviewer: creates and edits the team's assessments, submits and reassesses them, imports.
- Approver: signs off (approves or returns) the team's submitted assessments.
- Auditor: reads the team's records, their history and exports.
- Questionnaire admin: edits the question bank in the back office.
- Team manager: adds and removes the team's members and sets their roles (in the back office);
  nobody else but a superuser may, whatever Django permissions they hold, so staff status and
  a "change team" permission cannot buy a way into a team and its records.

A role in one team gives nothing in another: every check on a record looks the role up in the
record's team. The question bank is the one thing not owned by a team (every team scores
against the same published version), so the questionnaire admin role held in any team grants
bank editing; it reads no team's records by itself.

Plain data only (no ORM), so models, selectors and the auth backend can all import it.
"""

from __future__ import annotations

# Membership's boolean fields, one per role.
REVIEWER = "reviewer"
APPROVER = "approver"
AUDITOR = "auditor"
QUESTIONNAIRE_ADMIN = "questionnaire_admin"
TEAM_MANAGER = "team_manager"
ROLE_FIELDS = (REVIEWER, APPROVER, AUDITOR, QUESTIONNAIRE_ADMIN, TEAM_MANAGER)
# The roles that read a team's portfolio and board packs: those who answer to a board for it.
PORTFOLIO_ROLES = (APPROVER, AUDITOR, TEAM_MANAGER)

ROLE_LABELS = {
    REVIEWER: "Reviewer",
    APPROVER: "Approver",
    AUDITOR: "Auditor",
    QUESTIONNAIRE_ADMIN: "Questionnaire admin",
    TEAM_MANAGER: "Team manager",
}

# The names `add_member --role` accepts -> the role they grant.
ROLE_NAMES = {
    "reviewer": REVIEWER,
    "approver": APPROVER,
    "auditor": AUDITOR,
    "admin": QUESTIONNAIRE_ADMIN,
    "manager": TEAM_MANAGER,
}

# What a user may do with a team's records, and the roles (in that team) that allow it.
VIEW = "view"
EDIT = "edit"
CREATE = "create"
APPROVE = "approve"
AUDIT = "audit"  # check the records' hash chains (the auditor's page)
MANAGE = "manage"  # the team's members and their roles, not its records
GRANTED_BY: dict[str, tuple[str, ...]] = {
    VIEW: (REVIEWER, APPROVER, AUDITOR),
    EDIT: (REVIEWER,),
    CREATE: (REVIEWER,),
    APPROVE: (APPROVER,),
    AUDIT: (AUDITOR,),
    MANAGE: (TEAM_MANAGER,),
}
ACTION_NAMES = {
    VIEW: "read",
    EDIT: "edit",
    CREATE: "create",
    APPROVE: "approve",
    AUDIT: "audit",
    MANAGE: "manage the members of",
}

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
# Django permissions the questionnaire admin role grants (the back office checks these).
BANK_CODENAMES = tuple(
    f"{action}_{model}" for model in BANK_MODELS for action in ("add", "change", "delete", "view")
)


def allows(roles: dict[str, bool], action: str) -> bool:
    """Whether holding `roles` (field -> held) in a record's team allows `action` on it."""
    return any(roles.get(role) for role in GRANTED_BY[action])


def needed(action: str) -> str:
    """The roles that allow an action, for messages: 'a reviewer', 'a reviewer, approver or ...'."""
    names = [ROLE_LABELS[role].lower() for role in GRANTED_BY[action]]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
    return f"an {listed}" if listed[0] in "aeiou" else f"a {listed}"
