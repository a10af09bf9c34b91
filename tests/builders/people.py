"""People: users with a known password in a team with roles, and their API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from assessor.teams import tokens
from assessor.teams.membership import member_add

PASSWORD = "correct horse battery staple"


def make_user(
    username="reviewer", *, team="Team A", roles=("reviewer",), password=PASSWORD, email=""
):
    """A user with a known password, in `team` with `roles` (none: a user in no team)."""
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    for role in roles:
        member_add(team_name=team, username=username, role=role)
    return user


def make_token(user, *, name="script", expires_days=90) -> str:
    """A personal access token of `user`: the secret, as a client sends it."""
    return tokens.token_create(user=user, name=name, expires_days=expires_days)[1]
