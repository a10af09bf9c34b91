"""Reads of teams and of a person's own things: the teams they manage and their members,
their API tokens and their notification preference."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404

from assessor.models import ApiToken, Membership, NotificationPreference, Team
from assessor.teams import access
from assessor.teams.roles import ROLE_FIELDS


def tokens_list(user):
    return ApiToken.objects.filter(user=user)


def token_get(user, pk: int) -> ApiToken:
    """The user's own token, or 404: another person's token is not found, not forbidden."""
    return get_object_or_404(ApiToken, pk=pk, user=user)


def preference_get(user) -> NotificationPreference:
    """The user's notification preference, unsaved and at its defaults if they never chose."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference if preference is not None else NotificationPreference(user=user)


def team_managed(user, team_pk: int, *, superusers_allowed: bool) -> Team | None:
    """The team, if `user` is a team manager there; None for a team they do not manage and for
    a missing one alike (the pages answer 404 either way).

    `superusers_allowed`: whether a superuser passes too. The members page lets them (someone
    must be able to staff a team that has no manager left); a team's webhooks do not, they stay
    with the team's own managers."""
    team = Team.objects.filter(pk=team_pk).first()
    if team is None:
        return None
    allowed = access.manages if superusers_allowed else _manager_there
    return team if allowed(user, team) else None


def _manager_there(user, team: Team) -> bool:
    return access.may(user, team, access.MANAGE)


def membership_get(team: Team, user_pk: int) -> Membership:
    """The person's membership of `team`, or 404 (for a missing person too)."""
    person = get_object_or_404(get_user_model(), pk=user_pk)
    return get_object_or_404(Membership.objects.select_related("user"), team=team, user=person)


# What each role allows, as the team members page says it (the model's help texts).
ROLE_HELP = {role: Membership._meta.get_field(role).help_text for role in ROLE_FIELDS}
