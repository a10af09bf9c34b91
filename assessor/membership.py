"""Teams and roles for scripted onboarding (`manage.py add_member`) and the first admin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import Team
from .roles import QUESTIONNAIRE_ADMIN, ROLE_NAMES, ensure_groups


@dataclass(frozen=True)
class MemberOutcome:
    team: Team
    user: object
    password: str | None  # set only when the user was created now
    changes: list[str]


@transaction.atomic
def member_add(*, team_name: str, username: str, role: str) -> MemberOutcome:
    """Create the team and the user when missing and grant the role. Safe to repeat."""
    group_name = ROLE_NAMES[role]
    ensure_groups()
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
    if not team.members.filter(pk=user.pk).exists():
        team.members.add(user)
        changes.append(f"added {username!r} to {team_name!r}")
    group = Group.objects.get(name=group_name)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        changes.append(f"granted the {group_name} role")
    if group_name == QUESTIONNAIRE_ADMIN and not user.is_staff:
        user.is_staff = True  # the question bank is edited in the admin
        user.save(update_fields=["is_staff"])
        changes.append("allowed admin sign-in")
    return MemberOutcome(team, user, password, changes)
