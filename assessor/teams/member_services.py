"""The team members page's reads and writes: who holds which role in one team, and the changes
a team manager makes to it.

Every change is a `Membership` save or delete, so simple-history keeps it in the membership
audit trail (the one the back office shows) with who made it and why. Two guards hold here, not
in the page: a team always keeps a team manager, and only a superuser grants the questionnaire
admin role (it edits the bank of every team, see roles.py), as in the back office.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from assessor.teams import access
from assessor.teams.roles import QUESTIONNAIRE_ADMIN, ROLE_FIELDS, ROLE_LABELS, TEAM_MANAGER

from ..models import Membership, Team

# What a team manager grants on the page; the questionnaire admin role only a superuser does.
MANAGER_GRANTS = tuple(role for role in ROLE_FIELDS if role != QUESTIONNAIRE_ADMIN)


class MemberRefused(Exception):
    """A change the page refuses, with the reason to show; nothing was saved."""


def grantable(by) -> tuple[str, ...]:
    """The roles `by` may grant or take away on the page."""
    return ROLE_FIELDS if by.is_superuser else MANAGER_GRANTS


def team_members(team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")


def team_changes(team: Team):
    """The team's membership audit trail, newest first."""
    return (
        Membership.history.filter(team_id=team.pk)
        .select_related("user", "history_user")
        .order_by("-history_date")
    )


def person_find(identifier: str):
    """The active user with this username, or this email when only one person has it; else
    MemberRefused saying why."""
    identifier = identifier.strip()
    people = get_user_model().objects.filter(is_active=True)
    user = people.filter(username__iexact=identifier).first()
    if user is not None:
        return user
    by_email = list(people.filter(email__iexact=identifier)[:2]) if "@" in identifier else []
    if len(by_email) == 1:
        return by_email[0]
    if by_email:
        raise MemberRefused(
            f"More than one person has the email {identifier}; give their username instead."
        )
    raise MemberRefused(
        f"Nobody with the username or email “{identifier}” can sign in here. They need an "
        "account first (ask an administrator, or let them sign in once with single sign-on)."
    )


def _saved(membership: Membership, by, reason: str, *, delete: bool = False) -> None:
    # who and why, for the audit trail (simple-history reads these two attributes)
    membership._history_user = by
    membership._change_reason = reason
    if delete:
        membership.delete()
    else:
        membership.save()


def _managers_left(team: Team, without) -> int:
    return (
        Membership.objects.select_for_update()
        .filter(team=team, team_manager=True, user__is_active=True)
        .exclude(user=without)
        .count()
    )


def _check_not_last_manager(team: Team, user) -> None:
    if not _managers_left(team, user):
        raise MemberRefused(
            f"{user.get_username()} is the last team manager of {team.name}: make someone else "
            "team manager first, so the team is never left without one."
        )


@transaction.atomic
def membership_role_grant(*, team: Team, user, role: str, by) -> Membership:
    """Give `user` the `role` in `team` (adding them to the team if they are not in it)."""
    if role not in grantable(by):
        raise MemberRefused(f"You may not grant the {ROLE_LABELS.get(role, role)} role here.")
    membership, _ = Membership.objects.select_for_update().get_or_create(team=team, user=user)
    if getattr(membership, role):
        raise MemberRefused(
            f"{user.get_username()} is already {ROLE_LABELS[role].lower()} in {team.name}."
        )
    setattr(membership, role, True)
    # granted by hand: single sign-on no longer takes it away (see sso.py)
    membership.sso_roles = [r for r in membership.sso_roles if r != role]
    _saved(membership, by, f"granted {ROLE_LABELS[role]} on the team members page")
    return membership


@transaction.atomic
def membership_roles_set(*, membership: Membership, roles: set[str], by) -> list[str]:
    """Set which of the roles `by` may grant `membership` holds; the changes, in words. A
    membership left with no role is removed (the person leaves the team)."""
    locked = Membership.objects.select_for_update().select_related("user", "team")
    membership = locked.get(pk=membership.pk)
    changes = []
    for role in grantable(by):
        held, wanted = getattr(membership, role), role in roles
        if held == wanted:
            continue
        if role == TEAM_MANAGER and not wanted:
            _check_not_last_manager(membership.team, membership.user)
        setattr(membership, role, wanted)
        membership.sso_roles = [r for r in membership.sso_roles if r != role]
        changes.append(f"{'granted' if wanted else 'took away'} {ROLE_LABELS[role]}")
    if not changes:
        return []
    words = "; ".join(changes)
    if not any(getattr(membership, role) for role in ROLE_FIELDS):
        _saved(membership, by, f"{words}: left the team (team members page)", delete=True)
        return [*changes, "removed from the team"]
    _saved(membership, by, f"{words} (team members page)")
    return changes


@transaction.atomic
def membership_remove(*, membership: Membership, by) -> None:
    """Take `membership`'s person out of the team, with every role they hold there."""
    locked = Membership.objects.select_for_update().select_related("user", "team")
    membership = locked.get(pk=membership.pk)
    if membership.questionnaire_admin and not by.is_superuser:
        raise MemberRefused(
            f"{membership.user.get_username()} is a questionnaire admin: only a superuser "
            "removes that role, so they stay in the team; take away their other roles instead."
        )
    if membership.team_manager:
        _check_not_last_manager(membership.team, membership.user)
    _saved(membership, by, "removed from the team (team members page)", delete=True)


def managed_teams(user) -> QuerySet[Team]:
    """The teams whose members `user` manages (every team for a superuser)."""
    if user.is_authenticated and user.is_active and user.is_superuser:
        return Team.objects.all()
    return access.teams_for(user, access.MANAGE) if user.is_active else Team.objects.none()
