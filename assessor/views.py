"""Views: thin by design. Lookups go through `_assessment_for`, writes through `services`."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from . import exchange, pdf, reports, scoring, services
from .forms import AssessmentForm, ImportForm, SectionForm
from .models import Assessment

PAGE_SIZE = 20


def _assessment_for(user, pk: int) -> Assessment:
    """The assessment if this user may see it, else 404 (never 403: no hint it exists)."""
    return get_object_or_404(Assessment.objects.select_related("questionnaire"), pk=pk, owner=user)


def dashboard(request):
    assessments = Assessment.objects.filter(owner=request.user)
    has_any = assessments.exists()
    verdict = request.GET.get("verdict", "")
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:200]
    if verdict in scoring.VERDICTS:
        assessments = assessments.filter(verdict=verdict)
    elif verdict == "incomplete":
        assessments = assessments.filter(verdict="")
    if status in Assessment.Status.values:
        assessments = assessments.filter(status=status)
    if query:
        assessments = assessments.filter(Q(name__icontains=query) | Q(system__icontains=query))
    page = Paginator(assessments.order_by("-updated_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "assessor/dashboard.html",
        {
            "page": page,
            "has_any": has_any,
            "verdict": verdict,
            "status": status,
            "query": query,
            "verdict_choices": [(key, scoring.VERDICT_LABELS[key]) for key in scoring.VERDICTS],
            "status_choices": Assessment.Status.choices,
        },
    )


@require_http_methods(["GET", "POST"])
def assessment_new(request):
    form = AssessmentForm(request.POST or None)
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
    assessment = _assessment_for(request.user, pk)
    choices = services.choices_of(services.answers_of(assessment))
    for step in services.steps_of(assessment.questionnaire, choices):
        first = step.first_unanswered
        if first is not None:
            url = reverse("wizard", kwargs={"pk": pk, "step": step.number})
            return redirect(f"{url}#q-{first}")
    return redirect("report", pk=pk)


def _wizard_context(assessment, steps, step, form, result):
    answered = sum(len(s.answered_keys) for s in steps)
    visible = sum(len(s.visible_keys) for s in steps)
    return {
        "assessment": assessment,
        "steps": steps,
        "step": step,
        "form": form,
        "result": result,
        "answered": answered,
        "visible": visible,
        "percent": round(100 * answered / visible) if visible else 0,
        "is_last": step.number == len(steps),
    }


@require_http_methods(["GET", "POST"])
def wizard(request, pk: int, step: int):
    assessment = _assessment_for(request.user, pk)
    questionnaire = assessment.questionnaire
    existing = services.answers_of(assessment)
    choices = services.choices_of(existing)
    steps = services.steps_of(questionnaire, choices)
    if not 1 <= step <= len(steps):
        return redirect("wizard", pk=pk, step=1)
    current = steps[step - 1]
    conditions = _follow_up_conditions(questionnaire)

    if request.method == "POST":
        if assessment.status != Assessment.Status.DRAFT:
            return HttpResponseBadRequest(
                "This assessment is no longer a draft; answers are locked."
            )
        foreign = _foreign_question_keys(request.POST, questionnaire, current)
        if foreign:
            return HttpResponseBadRequest(
                f"Question(s) {', '.join(sorted(foreign))} are not part of step {step}; "
                "nothing was saved."
            )
        form = SectionForm(request.POST, section=current.section, conditions=conditions)
        if form.is_valid():
            services.answers_save(
                assessment=assessment, existing=existing, submitted=form.answers()
            )
            target = _target_step(request.POST, step, len(steps))
            if target is None:
                messages.success(request, "Answers saved.")
                return redirect("report", pk=pk)
            return redirect("wizard", pk=pk, step=target)
        messages.error(request, "Some answers on this step need attention; nothing was saved.")
    else:
        form = SectionForm(
            initial=_initial(existing, current), section=current.section, conditions=conditions
        )
    result = services.evaluate(assessment, choices)
    return render(
        request, "assessor/wizard.html", _wizard_context(assessment, steps, current, form, result)
    )


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


def _initial(existing, step):
    initial = {}
    for key in (q["key"] for q in step.section["questions"]):
        answer = existing.get(key)
        if answer:
            initial[key] = answer.choice_key
            initial[f"{key}-note"] = answer.note
            initial[f"{key}-evidence"] = answer.evidence_url
    return initial


def _foreign_question_keys(post, questionnaire, step) -> set[str]:
    """Question keys posted to a step they do not belong to."""
    model = questionnaire.scoring_model()
    own = {q["key"] for q in step.section["questions"]}
    return {
        key.removesuffix("-note").removesuffix("-evidence")
        for key in post
        if key.removesuffix("-note").removesuffix("-evidence") in model.question_map
    } - own


def _follow_up_conditions(questionnaire) -> dict[str, str]:
    """Plain-language text of each follow-up's condition, e.g. 'Where do ...? is "Mixed"'."""
    model = questionnaire.scoring_model()
    texts = {}
    for question in model.questions:
        condition = question.show_if
        if condition is None or condition.children:
            continue
        source = model.question_map[condition.question]
        wanted = condition.op == "in"
        labels = [c.label for c in source.choices if (c.key in condition.choices) == wanted]
        texts[question.key] = f"the answer to “{source.text}” is " + " or ".join(
            f"“{label}”" for label in labels
        )
    return texts


@require_POST
def wizard_preview(request, pk: int, step: int):
    """The live verdict panel for answers as they stand in the form, saved or not. Saves nothing."""
    assessment = _assessment_for(request.user, pk)
    questionnaire = assessment.questionnaire
    choices = services.choices_of(services.answers_of(assessment))
    model = questionnaire.scoring_model()
    steps = services.steps_of(questionnaire, choices)
    if 1 <= step <= len(steps):
        for question in steps[step - 1].section["questions"]:
            value = request.POST.get(question["key"])
            if value in model.question_map[question["key"]].choice_map:
                choices[question["key"]] = value
    result = services.evaluate(assessment, choices)
    return render(
        request, "assessor/_live_verdict.html", {"result": result, "assessment": assessment}
    )


def report(request, pk: int):
    assessment = _assessment_for(request.user, pk)
    return render(request, "assessor/report.html", reports.report_context(assessment))


def report_pdf(request, pk: int):
    """The report as a PDF attachment, rendered whole before anything is sent."""
    assessment = _assessment_for(request.user, pk)
    try:
        content = pdf.assessment_pdf(assessment, generated_by=request.user)
    except pdf.RenderFailed:
        return render(request, "assessor/pdf_failed.html", {"assessment": assessment}, status=503)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.pdf_filename(assessment)}"'
    return response


def export_json(request, pk: int):
    assessment = _assessment_for(request.user, pk)
    data = exchange.export_assessment(assessment)
    response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
    filename = f"assessment-{slugify(assessment.name) or assessment.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = exchange.import_assessment(form.cleaned_data["file"], owner=request.user)
        except exchange.ImportProblem as problem:
            for message in problem.problems:
                form.add_error("file", message)
        else:
            messages.success(request, f"Imported '{assessment.name}'.")
            return redirect("report", pk=assessment.pk)
    return render(request, "assessor/import.html", {"form": form})
