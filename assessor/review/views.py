"""Review and sign-off: submit, approve, return and reassess, each a POST that hands the decision
to `review.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from assessor.documents import pdf
from assessor.records import services
from assessor.review import services as review
from assessor.teams import access
from assessor.wizard.forms import (
    ApprovalForm,
    DecisionForm,
)

# --- review workflow ------------------------------------------------------------------------


def _decide(request, pk: int, permission: str, action, success: str, form_class=DecisionForm):
    assessment = access.assessment_for(request.user, pk, permission)
    form = form_class(request.POST)
    if not form.is_valid():
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, " ".join(problems) + " Nothing changed.")
        return redirect("report", pk=pk)
    try:
        fields = form.cleaned_data
        extra = {"conditions": fields["conditions"]} if "conditions" in form.fields else {}
        action(
            assessment=assessment,
            user=request.user,
            comment=form.cleaned_data["comment"],
            **extra,
        )
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
