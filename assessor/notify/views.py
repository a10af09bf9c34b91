"""A team's webhook endpoints: only that team's managers see them; everyone else gets the
404 an endpoint that does not exist gets."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from assessor.teams import selectors as team_selectors

from . import outbox, selectors, services, tasks
from .forms import WebhookEndpointForm


def _managed_team(user, team_id: int):
    # the team's own managers only: a superuser gets the 404 of a team they do not manage
    team = team_selectors.team_managed(user, team_id, superusers_allowed=False)
    if team is None:
        raise Http404("No such team.")
    return team


def _endpoint(user, team_id: int, pk: int):
    team = _managed_team(user, team_id)
    endpoint = selectors.endpoint_of(team, pk)
    if endpoint is None:
        raise Http404("No such endpoint.")
    return team, endpoint


@require_http_methods(["GET", "POST"])
def webhook_list(request, team_id: int):
    team = _managed_team(request.user, team_id)
    form = WebhookEndpointForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = services.webhook_endpoint_create(team=team, user=request.user, form=form)
        form = WebhookEndpointForm()
    context = {"team": team, "endpoints": selectors.endpoints_of(team), "form": form}
    status = 400 if request.method == "POST" and created is None else 200
    return render(
        request, "assessor/notify/webhooks.html", context | {"created": created}, status=status
    )


@require_http_methods(["GET", "POST"])
def webhook_edit(request, team_id: int, pk: int):
    team, endpoint = _endpoint(request.user, team_id, pk)
    form = WebhookEndpointForm(request.POST or None, instance=endpoint)
    if request.method == "POST" and form.is_valid():
        services.webhook_endpoint_update(endpoint=endpoint, form=form)
        messages.success(request, f"Saved endpoint “{endpoint.name}”.")
        return redirect("webhook_edit", team_id=team.pk, pk=endpoint.pk)
    context = {
        "team": team,
        "endpoint": endpoint,
        "form": form,
        "deliveries": selectors.deliveries_of(endpoint),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "assessor/notify/webhook_edit.html", context, status=status)


@require_POST
def webhook_delete(request, team_id: int, pk: int):
    team, endpoint = _endpoint(request.user, team_id, pk)
    services.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, f"Deleted endpoint “{endpoint.name}”.")
    return redirect("webhook_list", team_id=team.pk)


@require_POST
def webhook_test(request, team_id: int, pk: int):
    team, endpoint = _endpoint(request.user, team_id, pk)
    outbox.webhook_test_owe(endpoint=endpoint, user=request.user)
    tasks.deliver_soon()
    messages.success(
        request,
        "Test message queued: it is sent within a minute; its result shows in the log below.",
    )
    return redirect("webhook_edit", team_id=team.pk, pk=endpoint.pk)
