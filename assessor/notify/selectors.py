from django.db.models import QuerySet

from .models import Delivery, WebhookEndpoint


def endpoints_of(team) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(team=team).order_by("name", "id")


def endpoint_of(team, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(team=team, pk=pk).first()


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, with their events (one query)."""
    return list(endpoint.deliveries.select_related("event").order_by("-created_at", "-id")[:limit])
