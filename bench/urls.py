"""URLconf for the HTTP bench only (`bench.settings`): the app, plus three baseline views.

The baselines are the cheapest signed-in pages the wizard can be compared with, and the plain
PDF the report PDF is compared with, going through the same middleware (sessions, CSRF, login
required, messages) as every page of the app.
"""

import os
from pathlib import Path

import weasyprint
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import include, path
from django.utils.html import escape
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


@require_GET
def plain_pdf(request):
    """A plain WeasyPrint document of the text in the file BENCH_PLAIN_TEXT names (the report
    PDF's own extracted text, written there by bench/loadgen.py) with WeasyPrint's default
    style: what the same words cost with no design at all. Blocks separated by a blank line
    (the report's pages) become paragraphs: long ones, the cheapest layout of that text."""
    try:
        text = Path(os.environ["BENCH_PLAIN_TEXT"]).read_text(encoding="utf-8")
    except (KeyError, OSError):
        return HttpResponseBadRequest("BENCH_PLAIN_TEXT: no readable text file")
    blocks = [" ".join(block.split()) for block in text.split("\n\n")]
    body = "".join(f"<p>{escape(block)}</p>" for block in blocks if block)
    content = weasyprint.HTML(string=f"<html><body>{body}</body></html>").write_pdf()
    return HttpResponse(content, content_type="application/pdf")


urlpatterns = [
    path("bench/api/minimal/", MinimalApi.as_view(), name="bench_api_minimal"),
    path("bench/minimal/", minimal, name="bench_minimal"),
    path("bench/save/", save_one, name="bench_save"),
    path("bench/plain.pdf", plain_pdf, name="bench_plain_pdf"),
    path("", include("config.urls")),
]
