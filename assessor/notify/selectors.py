from django.db.models import QuerySet

from assessor.models import Team
from assessor.teams import access

from .models import Delivery, WebhookEndpoint


def endpoints_of(team) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(team=team).order_by("name", "id")


def endpoint_of(team, pk: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(team=team, pk=pk).first()


def deliveries_of(endpoint: WebhookEndpoint, *, limit: int = 50) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, with their events (one query)."""
    return list(endpoint.deliveries.select_related("event").order_by("-created_at", "-id")[:limit])


def team_managed(user, team_id: int) -> Team | None:
    """The team, if `user` manages it; None for a missing team and for one they do not manage
    alike (the page answers 404 either way)."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not access.may(user, team, access.MANAGE):
        return None
    return team
