"""The wizard: a new assessment, its steps (GET shows a step, POST saves it), the live preview.

Thin by design: every lookup goes through `access`, reads through `selectors`, every write
through `services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessor.records import selectors, services
from assessor.teams import access
from assessor.web.errors import DATABASE_UNAVAILABLE, NOT_SAVED, RETRY_AFTER
from assessor.wizard.forms import (
    AssessmentForm,
    SectionForm,
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
    return render(request, "assessor/wizard/assessment_new.html", {"form": form})


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
    state = selectors.wizard_step_state(assessment, step, saving=request.method == "POST")
    if state is None:
        return redirect("wizard", pk=pk, step=1)
    if request.method == "POST":
        return _wizard_post(request, state)
    form = SectionForm(
        initial=state.initial,
        section=state.step.section,
        conditions=state.conditions,
        visible=state.step.visible_keys,
    )
    return render(request, "assessor/wizard/wizard.html", state.context(form))


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
    form = SectionForm(
        request.POST,
        section=state.step.section,
        conditions=state.conditions,
        visible=state.step.visible_keys,
    )
    if not form.is_valid():
        messages.error(request, "Some answers on this step need attention; nothing was saved.")
        return render(request, "assessor/wizard/wizard.html", state.context(form))
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
        return render(request, "assessor/wizard/wizard.html", state.context(form, stale=error))
    except DATABASE_UNAVAILABLE:
        # The database went away mid-save (a restart, a dropped connection): the save's
        # transaction rolled back whole. Say so; the posted answers stay in the form.
        assessment.version = expected_version
        messages.error(request, NOT_SAVED)
        response = render(request, "assessor/wizard/wizard.html", state.context(form), status=503)
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
    return render(
        request, "assessor/wizard/_live_verdict.html", {"result": result, "previewing": True}
    )
