"""The review workflow: submit, approve (four eyes) and return, with what each one triggers.

Submitting freezes the questionnaire and the result with the record; approving stores the
signed-off PDF once; each decision is recorded, chained by hash to the one before it (see
records/chain.py) and sends its emails. The rules of the workflow are in this one module, below
the pages, the API and the commands.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessor import events
from assessor.documents import pdf
from assessor.grants import services as grants
from assessor.models import EDITABLE_STATUSES, ApprovedReport, Assessment, Decision, Questionnaire
from assessor.oversight.services import review_cycle_open
from assessor.records.chain import chain_link_add
from assessor.records.selectors import answer_editors, answers_of, choices_of, evaluate
from assessor.records.services import WorkflowError, summary_fields
from assessor.review import emails as notifications
from assessor.teams import access


def _last_submitter(assessment: Assessment):
    decision = (
        assessment.decisions.filter(action=Decision.Action.SUBMITTED).order_by("-created_at", "-id")
    ).first()
    return decision.actor if decision else None


def _already(assessment: Assessment, action: str, verb: str) -> WorkflowError:
    """The refusal the second of two people acting at once sees: who got there first."""
    decision = (
        assessment.decisions.filter(action=action)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )
    if decision is None:
        return WorkflowError(f"This assessment is already {verb}.")
    when = timezone.localtime(decision.created_at).strftime("%d %b %Y, %H:%M")
    return WorkflowError(f"Already {verb} by {decision.actor} ({when}).")


def _announce(event_type: str, assessment: Assessment, user) -> None:
    """Tell listeners (reminders, webhooks) what happened to the record, once it commits."""
    events.event_publish(
        event_type,
        team=assessment.team,
        payload={
            "assessment_id": assessment.pk,
            "name": assessment.name,
            "team": str(assessment.team),
            "revision": assessment.revision,
            "status": assessment.status,
            "verdict": assessment.verdict,
            "actor": user.get_username(),
            "url": reverse("report", args=[assessment.pk]),
        },
    )


def _decide(assessment: Assessment, user, action: str, comment: str, **fields) -> Decision:
    """Record the decision, then take the step it stands for: the record's status moves only
    with its decision recorded first (see records/locks.py)."""
    decision = Decision.objects.create(
        assessment=assessment, actor=user, action=action, comment=comment
    )
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.status = action  # each review action is named after the status it leads to
    assessment.version += 1
    assessment.save()
    return decision


@transaction.atomic
def assessment_submit(*, assessment: Assessment, user, comment: str = "") -> None:
    """Lock the answers and freeze the scoring model and result with the record."""
    access.require_on(user, assessment, access.EDIT)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status not in EDITABLE_STATUSES:
        raise _already(assessment, Decision.Action.SUBMITTED, "submitted")
    if assessment.questionnaire.status == Questionnaire.Status.DRAFT:
        raise WorkflowError(
            f"Questionnaire version {assessment.questionnaire.version} is a draft that is not "
            "published yet; an assessment on it cannot be submitted."
        )
    answers = answers_of(assessment)
    result = evaluate(assessment, choices_of(answers))
    if not result.complete:
        raise WorkflowError(
            f"Answer every core question before submitting ({len(result.missing)} still open)."
        )
    document = assessment.questionnaire.document
    decision = _decide(
        assessment,
        user,
        Decision.Action.SUBMITTED,
        comment,
        snapshot_document=document,
        snapshot_result=result.to_dict(),
        **summary_fields(result, len(assessment.scoring_model().core_keys)),
    )
    chain_link_add(record=assessment, decision=decision)
    notifications.submitted(assessment=assessment, user=user, comment=comment)
    _announce(events.ASSESSMENT_SUBMITTED, assessment, user)


@transaction.atomic
def assessment_approve(
    *, assessment: Assessment, user, comment: str = "", conditions: str = ""
) -> ApprovedReport:
    """Approve a submitted assessment (four eyes) and store its PDF once, with its SHA-256.
    At supervised or bounded ownership, with an agent, an autonomy grant is issued with it,
    carrying the approver's `conditions` (see grants/services.py)."""
    access.require_on(user, assessment, access.APPROVE)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status == Assessment.Status.APPROVED:
        raise _already(assessment, Decision.Action.APPROVED, "approved")
    if assessment.status != Assessment.Status.SUBMITTED:
        raise WorkflowError("Only a submitted assessment can be approved.")
    submitter = _last_submitter(assessment)
    if submitter is not None and submitter.pk == user.pk:
        raise WorkflowError("Four eyes: the person who submitted cannot approve it.")
    # Not only the last submitter: whoever changed an answer in this round is an author of
    # what is being approved, even when a colleague pressed Submit.
    if user.pk in answer_editors(assessment):
        raise WorkflowError(
            "Four eyes: you changed answers in this round, so another approver must approve it."
        )
    try:
        conditions = grants.conditions_checked(conditions)
    except grants.GrantError as error:
        raise WorkflowError(str(error)) from error
    if conditions and grants.grant_refusal(assessment):
        raise WorkflowError(
            "Conditions travel with the autonomy grant, and this approval issues none "
            f"({grants.grant_refusal(assessment)}): put them in the comment instead."
        )
    decision = _decide(assessment, user, Decision.Action.APPROVED, comment)
    review_cycle_open(assessment=assessment, approved_at=decision.created_at)
    notifications.decided(
        assessment=assessment, user=user, submitter=submitter, action="approved", comment=comment
    )
    content = pdf.assessment_pdf(assessment, generated_by=user)  # RenderFailed rolls back
    report = ApprovedReport.objects.create(
        assessment=assessment,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=pdf.pdf_filename(assessment),
    )
    chain_link_add(record=assessment, decision=decision)  # the approved snapshot, PDF and all
    _announce(events.ASSESSMENT_APPROVED, assessment, user)
    try:
        grants.grant_issue(
            assessment=assessment,
            approver=user,
            approved_at=decision.created_at,
            conditions=conditions,
        )
    except grants.GrantError as error:  # the approval rolls back with it
        raise WorkflowError(f"The autonomy grant could not be issued: {error}") from error
    return report


@transaction.atomic
def assessment_return(*, assessment: Assessment, user, comment: str) -> None:
    """Send a submitted assessment back for changes (editable again), with the approver's reason."""
    access.require_on(user, assessment, access.APPROVE)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status != Assessment.Status.SUBMITTED:
        raise WorkflowError("Only a submitted assessment can be returned.")
    if not comment.strip():
        raise WorkflowError("Say what needs to change: a comment is required to return it.")
    submitter = _last_submitter(assessment)
    if submitter is not None and submitter.pk == user.pk:
        raise WorkflowError("Four eyes: the person who submitted cannot review it.")
    decision = _decide(
        assessment,
        user,
        Decision.Action.RETURNED,
        comment,
        snapshot_document=None,
        snapshot_result=None,
    )
    chain_link_add(record=assessment, decision=decision)
    notifications.decided(
        assessment=assessment, user=user, submitter=submitter, action="returned", comment=comment
    )
    _announce(events.ASSESSMENT_RETURNED, assessment, user)
