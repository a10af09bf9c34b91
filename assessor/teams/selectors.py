"""Reads of a person's own things: their API tokens and their notification preference."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from assessor.models import ApiToken, NotificationPreference


def tokens_list(user):
    return ApiToken.objects.filter(user=user)


def token_get(user, pk: int) -> ApiToken:
    """The user's own token, or 404: another person's token is not found, not forbidden."""
    return get_object_or_404(ApiToken, pk=pk, user=user)


def preference_get(user) -> NotificationPreference:
    """The user's notification preference, unsaved and at its defaults if they never chose."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference if preference is not None else NotificationPreference(user=user)
