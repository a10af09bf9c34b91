"""URLconf for the HTTP bench only (`bench.settings`): the app, plus three baseline views.

The baselines are the cheapest signed-in pages the wizard can be compared with, going through
the same middleware (sessions, CSRF, login required, messages) as every page of the app.
"""

from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import include, path
from django.views.decorators.http import require_GET, require_POST
from rest_framework.response import Response
from rest_framework.views import APIView

from assessor.models import Answer, Assessment
from config.urls import handler500  # noqa: F401  (the app's error pages under the bench too)


@require_GET
def minimal(request):
    """A tiny template that extends base.html: what any signed-in page costs at least."""
    return render(request, "bench/minimal.html")


@require_POST
def save_one(request):
    """Save one row (an answer's note in one of the user's assessments), then redirect.

    The row is an Answer, so the app's audit trail (django-simple-history) adds its history
    row too, as it does for every answer the wizard saves.
    """
    try:
        pk = int(request.POST["assessment"])
    except (KeyError, ValueError):
        return HttpResponseBadRequest("assessment: an id is required")
    assessment = get_object_or_404(Assessment, pk=pk, owner=request.user)
    Answer.objects.update_or_create(
        assessment=assessment,
        question_key="privilege_scope",
        defaults={"choice_key": "narrow", "note": request.POST.get("note", "")[:2000]},
    )
    return redirect("bench_minimal")


class MinimalApi(APIView):
    """The cheapest token-authenticated API call: the token check and the per-token rate limit
    (the API's defaults), then a constant body. The baseline of `bench/api_http.py`."""

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [
    path("bench/api/minimal/", MinimalApi.as_view(), name="bench_api_minimal"),
    path("bench/minimal/", minimal, name="bench_minimal"),
    path("bench/save/", save_one, name="bench_save"),
    path("", include("config.urls")),
]
