"""Writes around assessments: creating, saving answers, reassessing, recording exports.

Reads live in `selectors.py` and the review workflow (submit, approve, return) in `review.py`.
Each write checks the person's role in the record's team and saves in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessor import engine
from assessor.grants.services import grants_revoke_of
from assessor.models import Answer, Assessment, Decision, ExportRecord, Questionnaire
from assessor.records.history import CARRIED_OVER
from assessor.records.locks import claim_editable
from assessor.records.selectors import answers_of, choice_label, choices_of, evaluate
from assessor.teams import access


class NoPublishedQuestionnaire(Exception):
    """No questionnaire version is published, so no assessment can start."""


class WorkflowError(Exception):
    """A status change that the review workflow does not allow; the message says why."""


@dataclass(frozen=True)
class StaleChange:
    question: str
    text: str
    theirs: str  # the saved answer's label now
    yours: str  # the label the user tried to save


class StaleVersion(Exception):
    """Someone saved the assessment after this form was opened; nothing was saved."""

    def __init__(self, current_version: int, changes: list[StaleChange], by: list[str]):
        super().__init__("the assessment changed since this page was opened")
        self.current_version = current_version
        self.changes = changes
        self.by = by


# The kinds of export a view records, named without importing the models.
ExportKind = ExportRecord.Kind


def assessment_create(
    *,
    owner,
    team,
    name: str,
    description: str = "",
    system: str = "",
    business_owner: str = "",
    agent=None,
) -> Assessment:
    access.require(owner, team, access.CREATE)
    if agent is not None and agent.team_id != team.pk:
        raise ValueError("An assessment's agent is one of its own team's.")
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        raise NoPublishedQuestionnaire
    return Assessment.objects.create(
        owner=owner,
        team=team,
        name=name,
        description=description,
        system=system,
        business_owner=business_owner,
        agent=agent,
        questionnaire=questionnaire,
        total_core=len(questionnaire.scoring_model().core_keys),
    )


def summary_fields(result: engine.Result, total_core: int | None = None) -> dict:
    """The fields the dashboard filters and sorts on, kept current with each save.

    The counter is `Result.progress`, the one the wizard, the live panel and the report show.
    """
    progress = result.progress
    return {
        "verdict": result.verdict if result.complete else "",
        "score": result.score if result.complete else None,
        "answered_core": progress.answered,
        "total_core": progress.total if total_core is None else total_core,
    }


def _stale(assessment: Assessment, submitted: dict, expected: int) -> StaleVersion:
    current = Assessment.objects.get(pk=assessment.pk)
    saved = choices_of(answers_of(assessment))
    model = assessment.scoring_model()
    changes = [
        StaleChange(
            question=key,
            text=model.question_map[key].text,
            theirs=choice_label(model, key, saved.get(key)),
            yours=choice_label(model, key, choice),
        )
        for key, (choice, _, _) in submitted.items()
        if saved.get(key) != choice
    ]
    by = sorted(
        {
            str(row.history_user)
            for row in current.history.filter(version__gt=expected)
            if row.history_user
        }
    )
    return StaleVersion(current.version, changes, by)


@transaction.atomic
def answers_save(
    *,
    assessment: Assessment,
    existing: dict[str, Answer],
    submitted: dict[str, tuple[str, str, str]],
    user,
    expected_version: int | None = None,
) -> engine.Result:
    """Store one step's answers (question key -> choice, note, link) and refresh the summary.

    `user` is the person saving: a reviewer of the record's team (RoleRequired otherwise). The
    version the form was opened at is checked and incremented in one UPDATE first: if someone
    saved in between, StaleVersion is raised and nothing is written.
    """
    access.require_on(user, assessment, access.EDIT)
    if assessment.is_locked:
        raise WorkflowError("This assessment is submitted; its answers are locked.")
    choices = choices_of(existing)
    choices.update({key: choice for key, (choice, _, _) in submitted.items()})
    result = evaluate(assessment, choices, plan=False)
    # Counted from the bank as it is now: a draft version may have gained a core question
    # since the record was created, and a stale count would go below zero.
    fields = summary_fields(result, len(assessment.scoring_model().core_keys))
    expected = assessment.version if expected_version is None else expected_version
    _claim_version(assessment, fields, expected, submitted, user)
    _write_answers(assessment, existing, submitted, user)
    return result


def _claim_version(assessment: Assessment, fields: dict, expected: int, submitted, user) -> None:
    """Move the record from `expected` to the next version with its new summary, in one UPDATE,
    or raise StaleVersion if someone saved in between."""
    # update() skips auto_now: the last update is set here, or the dashboard's order lies.
    fields = {**fields, "updated_at": timezone.now()}
    rows = Assessment._base_manager.filter(version=expected)
    claimed = claim_editable(rows, assessment.pk, version=F("version") + 1, **fields)
    if not claimed:
        raise _stale(assessment, submitted, expected)
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.version = expected + 1
    Assessment.history.bulk_history_create([assessment], update=True, default_user=user)


def _write_answers(assessment: Assessment, existing: dict[str, Answer], submitted, user) -> None:
    """Create the new answers and update the changed ones, in two bulk queries at most."""
    created, changed, fields_changed = [], [], {"updated_at"}
    for key, (choice, note, link) in submitted.items():
        answer = existing.get(key)
        if answer is None:
            created.append(
                Answer(
                    assessment=assessment,
                    question_key=key,
                    choice_key=choice,
                    note=note,
                    evidence_url=link,
                )
            )
        elif (answer.choice_key, answer.note, answer.evidence_url) != (choice, note, link):
            # Only the columns that moved: bulk_update's CASE per column is costly to build.
            for field, value in (("choice_key", choice), ("note", note), ("evidence_url", link)):
                if getattr(answer, field) != value:
                    setattr(answer, field, value)
                    fields_changed.add(field)
            answer.updated_at = timezone.now()  # bulk_update skips auto_now
            changed.append(answer)
    # Bulk writes send no signal, so the request's user would be missing outside a request
    # (a command, a test): name the person in the trail directly.
    for answer in (*created, *changed):
        answer._history_user = user
    if created:
        Answer.objects.bulk_create(created)
    if changed:
        Answer.objects.bulk_update(changed, sorted(fields_changed))


@transaction.atomic
def assessment_reassess(*, assessment: Assessment, user) -> Assessment:
    """A new draft revision, prefilled, linked to this one, on the current questionnaire.

    Once per record: the row is locked first, so two people pressing Reassess at once get one
    revision between them, and the second is told where it is."""
    access.require_on(user, assessment, access.EDIT)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_reassessable(assessment)
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        raise NoPublishedQuestionnaire
    model = questionnaire.scoring_model()
    revision = Assessment(
        name=assessment.name,
        description=assessment.description,
        system=assessment.system,
        business_owner=assessment.business_owner,
        agent_id=assessment.agent_id,  # the same workflow, run by the same agent
        questionnaire=questionnaire,
        team=assessment.team,
        owner=user,
        previous=assessment,
        revision=assessment.revision + 1,
        total_core=len(model.core_keys),
    )
    # The history shows one "created from revision N" event by this reviewer, and the copied
    # answers as the starting point, not as answers this reviewer set (see documents/report.py).
    revision._history_user = user
    revision.save()
    carried = _carry_answers(assessment, revision, model, user)
    result = evaluate(revision, {a.question_key: a.choice_key for a in carried}, plan=False)
    for name, value in summary_fields(result, revision.total_core).items():
        setattr(revision, name, value)
    revision.save()  # still this reviewer's (_history_user)
    Decision.objects.create(
        assessment=revision,
        actor=user,
        action=Decision.Action.REASSESSED,
        comment=f"Revision {revision.revision}, from revision {assessment.revision}.",
    )
    # reassessing is a re-review: the grant of the revision it replaces ends now
    grants_revoke_of(
        assessment_ids=[assessment.pk],
        reason=f"Reassessed: revision {revision.revision} replaces it.",
    )
    return revision


def _check_reassessable(assessment: Assessment) -> None:
    """Refuse a record still open for changes, or one a revision was already made from."""
    if not assessment.is_locked:
        raise WorkflowError(
            f"This assessment is still open for changes ({assessment.get_status_display()}); "
            "reassess once it is submitted."
        )
    existing = assessment.revisions.select_related("owner").order_by("pk").first()
    if existing is not None:
        raise WorkflowError(
            f"Revision {existing.revision} was already created from this one by "
            f"{existing.owner}; continue there."
        )


def _carry_answers(assessment: Assessment, revision: Assessment, model, user) -> list[Answer]:
    """Copy the answers the new version still knows into the revision, marked as carried over."""
    carried = [
        Answer(
            assessment=revision,
            question_key=answer.question_key,
            choice_key=answer.choice_key,
            note=answer.note,
            evidence_url=answer.evidence_url,
        )
        for answer in assessment.answers.all()
        if answer.question_key in model.question_map
        and answer.choice_key in model.question_map[answer.question_key].choice_map
    ]
    for answer in carried:
        answer._change_reason = CARRIED_OVER
        answer._history_user = user
    Answer.objects.bulk_create(carried)
    return carried


def export_record(*, assessment: Assessment, user, kind: str, content: bytes) -> ExportRecord:
    return ExportRecord.objects.create(
        assessment=assessment, user=user, kind=kind, sha256=hashlib.sha256(content).hexdigest()
    )
