"""A record's documents: the report, its PDF, the JSON export and import, the comparison of two
records, the history page and the auditors' record check.

Thin by design: every lookup goes through `access`, reads through `selectors`, every write
through `services`.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods

from assessor.documents import exchange, history_page, pdf
from assessor.documents import report as reports
from assessor.grants import selectors as grants
from assessor.grants.services import grant_refusal
from assessor.records import selectors, services
from assessor.teams import access
from assessor.web.decorators import private
from assessor.wizard.forms import (
    APPROVAL_CONFIRMATION,
    HistoryFilterForm,
    ImportForm,
)


@private
def report(request, pk: int):
    assessment = access.assessment_for(request.user, pk)
    context = reports.report_page_context(assessment, request.user)
    context["approval_confirmation"] = APPROVAL_CONFIRMATION
    context["grant"] = grants.grant_of(assessment)
    context["grant_refusal"] = grant_refusal(assessment)
    return render(request, "assessor/documents/report.html", context)


@private
def report_pdf(request, pk: int):
    """The report as a PDF attachment: the stored bytes once approved, else a fresh render."""
    assessment = access.assessment_for(request.user, pk)
    try:
        content, filename = pdf.download(assessment, user=request.user)
    except pdf.RenderFailed:
        return render(
            request, "assessor/documents/pdf_failed.html", {"assessment": assessment}, status=503
        )
    services.export_record(
        assessment=assessment, user=request.user, kind=services.ExportKind.PDF, content=content
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@private
def export_json(request, pk: int):
    assessment = access.assessment_for(request.user, pk)
    content = json.dumps(
        exchange.assessment_export(assessment), indent=2, ensure_ascii=False
    ).encode()
    services.export_record(
        assessment=assessment, user=request.user, kind=services.ExportKind.JSON, content=content
    )
    response = HttpResponse(content, content_type="application/json")
    filename = f"assessment-{slugify(assessment.name) or assessment.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def import_upload(request):
    teams = access.teams_for(request.user, access.CREATE)
    if not teams:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = exchange.import_assessment(
                form.cleaned_data["file"], owner=request.user, team=form.cleaned_data["team"]
            )
        except exchange.ImportProblem as problem:
            for message in problem.problems:
                form.add_error("file", message)
        else:
            messages.success(request, f"Imported '{assessment.name}'.")
            return redirect("report", pk=assessment.pk)
    return render(request, "assessor/documents/import.html", {"form": form})


def assessment_compare(request, pk: int, other: int):
    newer = access.assessment_for(request.user, pk)
    older = access.assessment_for(request.user, other)
    diff = selectors.revisions_diff(older, newer)
    return render(
        request, "assessor/documents/compare.html", {"older": older, "newer": newer, **diff}
    )


@private
def assessment_history(request, pk: int):
    """The trail grouped by kind, filtered by kind and person (GET); a bad filter is a 400."""
    assessment = access.assessment_for(request.user, pk)
    entries = history_page.history_entries(assessment)
    form = HistoryFilterForm(
        request.GET, kinds=history_page.HISTORY_KINDS, people=sorted({e.who for e in entries})
    )
    valid = form.is_valid()
    filters = form.cleaned_data if valid else {}
    groups = history_page.history_groups(
        entries, kind=filters.get("action", ""), who=filters.get("who", "")
    )
    return render(
        request,
        "assessor/documents/history.html",
        {
            "assessment": assessment,
            "form": form,
            "groups": groups if valid else [],
            "filtered": bool(filters.get("action") or filters.get("who")),
        },
        status=200 if valid else 400,
    )


@private
def audit_records(request):
    """The hash-chain check of `manage.py verify_records`, for the records of the teams where
    the user is an auditor; 403 for anyone who is an auditor nowhere."""
    verdicts = selectors.chain_verdicts_for(request.user)
    if verdicts is None:
        raise PermissionDenied("Only a team's auditors check its records' hash chains.")
    broken = sum(not verdict.intact for verdict in verdicts)
    return render(
        request, "assessor/documents/audit_records.html", {"verdicts": verdicts, "broken": broken}
    )
