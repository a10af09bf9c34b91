"""Teams and roles for scripted onboarding (`manage.py add_member`) and the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from assessor.models import Membership, Team
from assessor.teams.roles import QUESTIONNAIRE_ADMIN, ROLE_LABELS, ROLE_NAMES, TEAM_MANAGER


@dataclass(frozen=True)
class MemberOutcome:
    team: Team
    user: object
    password: str | None  # set only when the user was created now
    changes: list[str]


@transaction.atomic
def member_add(*, team_name: str, username: str, role: str) -> MemberOutcome:
    """Grant `role` to the user in this team only, creating the team and the user when missing.

    Safe to repeat. The role gives nothing in the user's other teams.
    """
    field = ROLE_NAMES[role]
    changes = []
    team, created = Team.objects.get_or_create(name=team_name)
    if created:
        changes.append(f"created team {team_name!r}")
    User = get_user_model()
    password = None
    user = User.objects.filter(username=username).first()
    if user is None:
        password = secrets.token_urlsafe(15)
        user = User.objects.create_user(username=username, password=password)
        changes.append(f"created user {username!r}")
    membership, joined = Membership.objects.select_for_update().get_or_create(team=team, user=user)
    if joined:
        changes.append(f"added {username!r} to {team_name!r}")
    if not getattr(membership, field):
        setattr(membership, field, True)
        membership.save(update_fields=[field])
        changes.append(f"granted the {ROLE_LABELS[field]} role in {team_name!r}")
    elif field in membership.sso_roles:
        # Granted by hand now: single sign-on no longer removes it (see sso.py).
        membership.sso_roles = [role for role in membership.sso_roles if role != field]
        membership.save(update_fields=["sso_roles"])
        changes.append(f"kept the {ROLE_LABELS[field]} role in {team_name!r} by hand")
    if field in (QUESTIONNAIRE_ADMIN, TEAM_MANAGER) and not user.is_staff:
        user.is_staff = True  # the bank and the teams' members are edited in the back office
        user.save(update_fields=["is_staff"])
        changes.append("allowed admin sign-in")
    return MemberOutcome(team, user, password, changes)
