"""URLconf of the HTTP bench only (`bench.settings`): the app plus its baselines, which go
through the same middleware as every page of the app."""

import os
from pathlib import Path

import weasyprint
from django.http import HttpResponse
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
    """Save one row, then redirect: an Answer, so the audit trail adds its history row too."""
    assessment = get_object_or_404(Assessment, pk=request.POST["assessment"], owner=request.user)
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
    """The report PDF's own text (written to BENCH_PLAIN_TEXT by the loadgen) in WeasyPrint's
    default style, one paragraph per page of the report: the same words with no design."""
    text = Path(os.environ["BENCH_PLAIN_TEXT"]).read_text(encoding="utf-8")
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
