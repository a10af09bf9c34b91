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
from django.urls import reverse

from assessor import engine
from assessor.dashboard import filters as listing
from assessor.documents import spreadsheet
from assessor.oversight.selectors import REVIEW_STATE_CHOICES, review_status
from assessor.records import selectors
from assessor.teams import access
from assessor.web import filter_form
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
            # the examples box only where there are both examples and records of one's own
            "filter_fields": _filter_fields(filters, examples=example_count if has_any else 0),
            "clear_url": reverse("dashboard") if _filtered(filters, has_any=has_any) else "",
        },
        status=400 if filter_errors else 200,
    )


def _filtered(filters, *, has_any: bool) -> bool:
    """Whether the list is narrowed (the examples shown by default to a newcomer do not count)."""
    narrowed = filters.query or filters.verdict or filters.status or filters.review
    return bool(narrowed or (filters.examples and has_any))


def _filter_fields(filters, *, examples: int) -> list[filter_form.FilterField]:
    verdicts = [(key, engine.VERDICT_LABELS[key]) for key in engine.VERDICTS]
    fields = [
        filter_form.FilterField(
            name="q", label="Search by name or system", value=filters.query, kind="search", width=3
        ),
        filter_form.select(
            "verdict",
            "Verdict",
            filters.verdict,
            [*verdicts, (listing.INCOMPLETE, "Incomplete")],
            any_label="Any verdict",
            width=3,
        ),
        filter_form.select(
            "status", "Status", filters.status, listing.STATUS_CHOICES, any_label="Any status"
        ),
        filter_form.select(
            "review", "Review", filters.review, REVIEW_STATE_CHOICES, any_label="Any review state"
        ),
    ]
    if examples:
        fields.append(
            filter_form.FilterField(
                name="examples",
                label=f"Include the {examples} example{'' if examples == 1 else 's'}",
                value="1" if filters.examples else "",
                kind="checkbox",
            )
        )
    return fields


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
