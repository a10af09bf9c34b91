"""The dashboard: the records a user may read, filtered and paged, and their export as CSV or XLSX.

Thin by design: every lookup goes through `access`, reads through `selectors`, every write
through `services`.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render

from assessor import engine
from assessor.dashboard import filters as listing
from assessor.documents import spreadsheet
from assessor.oversight.selectors import REVIEW_STATE_CHOICES, review_status
from assessor.records import selectors
from assessor.teams import access
from assessor.web.decorators import private

PAGE_SIZE = 20
AWAITING_SHOWN = 50


def dashboard(request):
    readable = access.assessments_for(request.user)
    if not access.teams_for(request.user, access.VIEW).exists() and access.bank_editor(
        request.user
    ):
        # a questionnaire admin who reads no team's records: their work is the studio
        return redirect("studio_versions")
    has_any, example_count = listing.assessment_counts(readable)
    try:
        filters = listing.Filters.from_params(request.GET)
    except listing.InvalidFilters as invalid:
        filters, filter_errors = listing.Filters(), invalid.errors
    else:
        filter_errors = {}
    if not has_any and example_count:
        # nothing of one's own yet: the examples show what a finished assessment looks like
        filters = replace(filters, examples=True)
    assessments = selectors.assessments_with_approval(
        listing.dashboard_assessments(request.user, filters)
    ).select_related("team", "review_cycle")
    if filter_errors:
        assessments = assessments.none()  # a filter that cannot apply shows nothing, not all
    page = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    for assessment in page.object_list:
        # "Continue" only where the user is a reviewer of that record's team
        assessment.can_edit = access.allowed(assessment, access.EDIT)
        assessment.review = review_status(assessment, assessment.approval_at)
    return render(
        request,
        "assessor/dashboard/dashboard.html",
        {
            "page": page,
            "has_any": has_any,
            "example_count": example_count,
            "examples": filters.examples,
            "awaiting": selectors.assessments_awaiting_approval(request.user)[:AWAITING_SHOWN],
            "returned_to_me": selectors.assessments_returned_to(request.user)[:AWAITING_SHOWN],
            "can_create": access.teams_for(request.user, access.CREATE).exists(),
            "verdict": filters.verdict,
            "status": filters.status,
            "review": filters.review,
            "review_choices": REVIEW_STATE_CHOICES,
            "query": filters.query,
            "export_query": urlencode(filters.as_params()),
            "verdict_choices": [(key, engine.VERDICT_LABELS[key]) for key in engine.VERDICTS],
            "status_choices": listing.STATUS_CHOICES,
            "filter_errors": filter_errors,
        },
        status=400 if filter_errors else 200,
    )


@private
def dashboard_export(request, fmt: str):
    """The dashboard as filtered, every page, as CSV or XLSX: only records the user may read."""
    try:
        filters = listing.Filters.from_params(request.GET)
    except listing.InvalidFilters as invalid:
        lines = [f"{name}: {message}" for name, message in invalid.errors.items()]
        text = "Nothing exported: a filter is not valid.\n" + "\n".join(lines) + "\n"
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    return spreadsheet.response(
        listing.dashboard_assessments(request.user, filters), fmt, request.build_absolute_uri
    )
