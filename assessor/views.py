"""Views: thin by design. Every lookup goes through `access`, reads through `selectors`, every
write through `services` (or `review` for the workflow)."""

from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from . import (
    access,
    exchange,
    listing,
    pdf,
    reports,
    review,
    scoring,
    selectors,
    services,
    spreadsheet,
)
from .errors import DATABASE_UNAVAILABLE, NOT_SAVED, RETRY_AFTER
from .forms import (
    APPROVAL_CONFIRMATION,
    ApprovalForm,
    AssessmentForm,
    DecisionForm,
    HistoryFilterForm,
    ImportForm,
    SectionForm,
)
from .models import Assessment, ExportRecord

PAGE_SIZE = 20
AWAITING_SHOWN = 50

# A record's pages and files are for the signed-in reader only: no shared cache (a proxy, a
# CDN) may keep them, and the browser does not store them on disk.
private = cache_control(private=True, no_store=True)


def dashboard(request):
    readable = access.assessments_for(request.user)
    if not access.teams_for(request.user, access.VIEW).exists() and access.bank_editor(
        request.user
    ):
        # a questionnaire admin who reads no team's records: their work is the studio
        return redirect("studio_versions")
    has_any = readable.filter(is_example=False).exists()
    example_count = readable.filter(is_example=True).count()
    try:
        filters = listing.Filters.from_params(request.GET)
    except listing.InvalidFilters as invalid:
        filters, filter_errors = listing.Filters(), invalid.errors
    else:
        filter_errors = {}
    if not has_any and example_count:
        # nothing of one's own yet: the examples show what a finished assessment looks like
        filters = replace(filters, examples=True)
    assessments = listing.dashboard_assessments(request.user, filters).select_related("team")
    if filter_errors:
        assessments = assessments.none()  # a filter that cannot apply shows nothing, not all
    page = Paginator(assessments, PAGE_SIZE).get_page(request.GET.get("page"))
    for assessment in page.object_list:
        # "Continue" only where the user is a reviewer of that record's team
        assessment.can_edit = access.allowed(assessment, access.EDIT)
    return render(
        request,
        "assessor/dashboard.html",
        {
            "page": page,
            "has_any": has_any,
            "example_count": example_count,
            "examples": filters.examples,
            "awaiting": selectors.awaiting_approval(request.user)[:AWAITING_SHOWN],
            "returned_to_me": selectors.returned_to_me(request.user)[:AWAITING_SHOWN],
            "can_create": access.teams_for(request.user, access.CREATE).exists(),
            "verdict": filters.verdict,
            "status": filters.status,
            "query": filters.query,
            "export_query": urlencode(filters.as_params()),
            "verdict_choices": [(key, scoring.VERDICT_LABELS[key]) for key in scoring.VERDICTS],
            "status_choices": Assessment.Status.choices,
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


@require_http_methods(["GET", "POST"])
def assessment_new(request):
    teams = access.teams_for(request.user, access.CREATE)
    if not teams:
        raise PermissionDenied
    form = AssessmentForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(owner=request.user, **form.cleaned_data)
        except services.NoPublishedQuestionnaire:
            messages.error(
                request,
                "No questionnaire is published yet. An administrator must load one first "
                "(python manage.py load_questionnaire).",
            )
        else:
            messages.success(request, f"Created '{assessment.name}'. Answer each step below.")
            return redirect("wizard", pk=assessment.pk, step=1)
    return render(request, "assessor/assessment_new.html", {"form": form})


def assessment_resume(request, pk: int):
    """Open the first step with an unanswered question, at that question."""
    assessment = access.assessment_for(request.user, pk)
    choices = selectors.choices_of(selectors.answers_of(assessment))
    if not assessment.is_locked and access.allowed(assessment, access.EDIT):
        steps = selectors.steps_of(assessment, choices)
        # Core questions first; then shown follow-ups, which count at their riskiest until
        # answered.
        for attribute in ("first_unanswered", "first_open_follow_up"):
            for step in steps:
                first = getattr(step, attribute)
                if first is not None:
                    url = reverse("wizard", kwargs={"pk": pk, "step": step.number})
                    return redirect(f"{url}#q-{first}")
    return redirect("report", pk=pk)


@require_http_methods(["GET", "POST"])
def wizard(request, pk: int, step: int):
    needed = access.EDIT if request.method == "POST" else access.VIEW
    assessment = access.assessment_for(request.user, pk, needed, related=())
    if assessment.is_locked and request.method == "GET":
        messages.info(request, "This assessment is submitted; its answers are locked.")
        return redirect("report", pk=pk)
    if request.method == "GET" and not access.allowed(assessment, access.EDIT):
        # no form with Save buttons for someone who may not save it
        messages.info(
            request, f"Only reviewers of team {assessment.team} change this assessment's answers."
        )
        return redirect("report", pk=pk)
    state = selectors.wizard_step_state(assessment, step)
    if state is None:
        return redirect("wizard", pk=pk, step=1)
    if request.method == "POST":
        return _wizard_post(request, state)
    form = SectionForm(
        initial=state.initial, section=state.step.section, conditions=state.conditions
    )
    return render(request, "assessor/wizard.html", state.context(form))


def _wizard_post(request, state: selectors.WizardStepState):
    """Save the step's answers and go where the pressed button says, or show the step again
    with what went wrong (errors in the form, someone else's save, the database away)."""
    assessment, step = state.assessment, state.step.number
    foreign = _foreign_question_keys(request.POST, assessment, state.step)
    if foreign:
        return HttpResponseBadRequest(
            f"Question(s) {', '.join(sorted(foreign))} are not part of step {step}; "
            "nothing was saved."
        )
    try:
        expected_version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("The form is missing its version; reload the page.")
    form = SectionForm(request.POST, section=state.step.section, conditions=state.conditions)
    if not form.is_valid():
        messages.error(request, "Some answers on this step need attention; nothing was saved.")
        return render(request, "assessor/wizard.html", state.context(form))
    try:
        services.answers_save(
            assessment=assessment,
            existing=state.existing,
            submitted=form.answers(),
            expected_version=expected_version,
            user=request.user,
        )
    except services.WorkflowError as error:
        return HttpResponseBadRequest(f"{error} Nothing was saved.")
    except services.StaleVersion as error:
        assessment.version = error.current_version
        messages.error(
            request,
            "Someone else saved this assessment after you opened this step, so your "
            "answers were not saved. Compare below, then save again.",
        )
        return render(request, "assessor/wizard.html", state.context(form, stale=error))
    except DATABASE_UNAVAILABLE:
        # The database went away mid-save (a restart, a dropped connection): the save's
        # transaction rolled back whole. Say so; the posted answers stay in the form.
        assessment.version = expected_version
        messages.error(request, NOT_SAVED)
        response = render(request, "assessor/wizard.html", state.context(form), status=503)
        response["Retry-After"] = RETRY_AFTER
        return response
    target = _target_step(request.POST, step, len(state.steps))
    if target is None:
        messages.success(request, "Answers saved.")
        return redirect("report", pk=assessment.pk)
    return redirect("wizard", pk=assessment.pk, step=target)


def _target_step(post, step: int, total: int) -> int | None:
    """Where the pressed button goes: Back, Next, a side-list jump, or the report (None)."""
    if "goto" in post:
        try:
            goto = int(post["goto"])
        except ValueError:
            goto = step
        return min(max(goto, 1), total)
    if "back" in post:
        return max(step - 1, 1)
    if "finish" in post or step >= total:
        return None
    return step + 1


def _foreign_question_keys(post, assessment, step) -> set[str]:
    """Question keys posted to a step they do not belong to."""
    model = assessment.scoring_model()
    own = {q["key"] for q in step.section["questions"]}
    named = {key.removesuffix("-note").removesuffix("-evidence") for key in post}
    return {key for key in named if key in model.question_map} - own


@require_POST
def wizard_preview(request, pk: int, step: int):
    """The live verdict panel for answers as they stand in the form, saved or not. Saves nothing."""
    assessment = access.assessment_for(request.user, pk)
    choices = selectors.choices_of(selectors.answers_of(assessment))
    model = assessment.scoring_model()
    steps = selectors.steps_of(assessment, choices)
    if 1 <= step <= len(steps):
        for question in steps[step - 1].section["questions"]:
            value = request.POST.get(question["key"])
            if value in model.question_map[question["key"]].choice_map:
                choices[question["key"]] = value
    result = selectors.evaluate(assessment, choices, plan=False)  # the panel shows no path
    return render(request, "assessor/_live_verdict.html", {"result": result, "previewing": True})


@private
def report(request, pk: int):
    assessment = access.assessment_for(request.user, pk)
    context = reports.report_page_context(assessment, request.user)
    context["approval_confirmation"] = APPROVAL_CONFIRMATION
    return render(request, "assessor/report.html", context)


@private
def report_pdf(request, pk: int):
    """The report as a PDF attachment: the stored bytes once approved, else a fresh render."""
    assessment = access.assessment_for(request.user, pk)
    try:
        content, filename = pdf.download(assessment, user=request.user)
    except pdf.RenderFailed:
        return render(request, "assessor/pdf_failed.html", {"assessment": assessment}, status=503)
    services.export_record(
        assessment=assessment, user=request.user, kind=ExportRecord.Kind.PDF, content=content
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@private
def export_json(request, pk: int):
    assessment = access.assessment_for(request.user, pk)
    content = json.dumps(
        exchange.export_assessment(assessment), indent=2, ensure_ascii=False
    ).encode()
    services.export_record(
        assessment=assessment, user=request.user, kind=ExportRecord.Kind.JSON, content=content
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
    return render(request, "assessor/import.html", {"form": form})


# --- review workflow ------------------------------------------------------------------------


def _decide(request, pk: int, permission: str, action, success: str, form_class=DecisionForm):
    assessment = access.assessment_for(request.user, pk, permission)
    form = form_class(request.POST)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, " ".join(problems) + " Nothing changed.")
        return redirect("report", pk=pk)
    try:
        action(assessment=assessment, user=request.user, comment=form.cleaned_data["comment"])
    except services.WorkflowError as error:
        messages.error(request, f"{error} Nothing changed.")
    except pdf.RenderFailed:
        messages.error(request, "The approved PDF could not be generated, so nothing changed.")
    else:
        messages.success(request, success)
    return redirect("report", pk=pk)


@require_POST
def assessment_submit(request, pk: int):
    return _decide(
        request,
        pk,
        access.EDIT,
        review.assessment_submit,
        "Submitted for approval. The answers are now locked.",
    )


@require_POST
def assessment_approve(request, pk: int):
    return _decide(
        request,
        pk,
        access.APPROVE,
        review.assessment_approve,
        "Approved. The signed-off PDF is stored and will not change.",
        form_class=ApprovalForm,
    )


@require_POST
def assessment_return(request, pk: int):
    return _decide(
        request,
        pk,
        access.APPROVE,
        review.assessment_return,
        "Returned for changes: the team's reviewers can edit it and submit it again.",
    )


@require_POST
def assessment_reassess(request, pk: int):
    assessment = access.assessment_for(request.user, pk, access.EDIT)
    try:
        revision = services.assessment_reassess(assessment=assessment, user=request.user)
    except (services.WorkflowError, services.NoPublishedQuestionnaire) as error:
        messages.error(request, str(error) or "No questionnaire is published.")
        return redirect("report", pk=pk)
    messages.success(request, f"Revision {revision.revision} created from the previous answers.")
    return redirect("wizard", pk=revision.pk, step=1)


def assessment_compare(request, pk: int, other: int):
    newer = access.assessment_for(request.user, pk)
    older = access.assessment_for(request.user, other)
    diff = selectors.revisions_diff(older, newer)
    return render(request, "assessor/compare.html", {"older": older, "newer": newer, **diff})


@private
def assessment_history(request, pk: int):
    """The trail grouped by kind, filtered by kind and person (GET); a bad filter is a 400."""
    assessment = access.assessment_for(request.user, pk)
    entries = reports.history_entries(assessment)
    form = HistoryFilterForm(
        request.GET, kinds=reports.HISTORY_KINDS, people=sorted({e.who for e in entries})
    )
    valid = form.is_valid()
    filters = form.cleaned_data if valid else {}
    groups = reports.history_groups(
        entries, kind=filters.get("action", ""), who=filters.get("who", "")
    )
    return render(
        request,
        "assessor/history.html",
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
    return render(request, "assessor/audit_records.html", {"verdicts": verdicts, "broken": broken})
