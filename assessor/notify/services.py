"""Writes on webhook endpoints, each against the team it belongs to (checked by the caller's
lookup: the views find an endpoint only through its team)."""

from __future__ import annotations

from django.db import transaction

from .models import WebhookEndpoint
from .signing import secret_new


@transaction.atomic
def webhook_endpoint_create(*, team, user, form) -> WebhookEndpoint:
    """Save a valid endpoint form for `team`, with a new signing secret."""
    endpoint = form.save(commit=False)
    endpoint.team, endpoint.created_by, endpoint.secret = team, user, secret_new()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, form) -> WebhookEndpoint:
    return form.save()


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()  # its delivery log goes with it
