"""Writes and reads around assessments: the database work the views and commands share.

Scoring itself stays in `scoring.py`; this module loads what it needs in as few queries as it
can and saves in one transaction. Status changes (submit, approve, return, reassess) live here
too, so the rules of the review workflow are in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone

from . import access, notifications, scoring
from .history import CARRIED_OVER
from .models import (
    EDITABLE_STATUSES,
    Answer,
    ApprovedReport,
    Assessment,
    Decision,
    ExportRecord,
    Questionnaire,
)


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


@dataclass(frozen=True)
class Step:
    """One wizard step: a section of the questionnaire, with where it sits."""

    number: int  # 1-based
    section: dict
    visible_keys: tuple[str, ...]
    answered_keys: tuple[str, ...]

    @property
    def key(self) -> str:
        return self.section["key"]

    @property
    def title(self) -> str:
        return self.section["title"]

    @property
    def complete(self) -> bool:
        required = [q["key"] for q in self.section["questions"] if q["core"]]
        return all(key in self.answered_keys for key in required)

    @property
    def first_unanswered(self) -> str | None:
        """The first core question still unanswered."""
        for question in self.section["questions"]:
            if question["core"] and question["key"] not in self.answered_keys:
                return question["key"]
        return None

    @property
    def first_open_follow_up(self) -> str | None:
        """The first shown follow-up still unanswered (it counts at its riskiest until then)."""
        for key in self.visible_keys:
            if key not in self.answered_keys:
                return key
        return None


def assessment_create(
    *,
    owner,
    team,
    name: str,
    description: str = "",
    system: str = "",
    business_owner: str = "",
) -> Assessment:
    access.require(owner, team, access.CREATE)
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
        questionnaire=questionnaire,
        total_core=len(questionnaire.scoring_model().core_keys),
    )


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    """Every stored answer of an assessment, by question key, in one query."""
    return {answer.question_key: answer for answer in assessment.answers.all()}


def saved_choices(assessment: Assessment) -> dict[str, str]:
    """Question key -> choice key of every stored answer, in one query (no notes or links)."""
    return dict(assessment.answers.values_list("question_key", "choice_key"))


def choices_of(answers: dict[str, Answer]) -> dict[str, str]:
    return {key: answer.choice_key for key, answer in answers.items()}


def steps_of(assessment: Assessment, choices: dict[str, str]) -> list[Step]:
    model = assessment.scoring_model()
    known = known_answers(model, choices)
    counted = scoring.effective_answers(model, known)
    visible = {q.key for q in scoring.visible_questions(model, known)}
    return [
        Step(
            number=number,
            section=section,
            visible_keys=tuple(q["key"] for q in section["questions"] if q["key"] in visible),
            answered_keys=tuple(q["key"] for q in section["questions"] if q["key"] in counted),
        )
        for number, section in enumerate(assessment.document["sections"], start=1)
    ]


def known_answers(model: scoring.ScoringModel, choices: dict[str, str]) -> dict[str, str]:
    """Drop stored answers the model does not know, so scoring never refuses them."""
    return {
        key: choice
        for key, choice in choices.items()
        if key in model.question_map and choice in model.question_map[key].choice_map
    }


def evaluate(
    assessment: Assessment, choices: dict[str, str], *, plan: bool = True
) -> scoring.Result:
    model = assessment.scoring_model()
    return scoring.evaluate(model, known_answers(model, choices), plan=plan)


def result_json(*, name: str, questionnaire_version: str, result: scoring.Result) -> dict:
    """The result as `manage.py assess` prints it and the API's result endpoint returns it."""
    return {"name": name, "questionnaire_version": questionnaire_version, **result.to_dict()}


def summary_fields(result: scoring.Result, total_core: int | None = None) -> dict:
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


def _label(model: scoring.ScoringModel, key: str, choice: str | None) -> str:
    question = model.question_map.get(key)
    if question is None or choice not in question.choice_map:
        return "(no answer)"
    return question.choice_map[choice].label


def _stale(assessment: Assessment, submitted: dict, expected: int) -> StaleVersion:
    current = Assessment.objects.get(pk=assessment.pk)
    saved = choices_of(answers_of(assessment))
    model = assessment.scoring_model()
    changes = [
        StaleChange(
            question=key,
            text=model.question_map[key].text,
            theirs=_label(model, key, saved.get(key)),
            yours=_label(model, key, choice),
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
    expected_version: int | None = None,
    user=None,
) -> scoring.Result:
    """Store one step's answers (question key -> choice, note, link) and refresh the summary.

    The version the form was opened at is checked and incremented in one UPDATE first: if
    someone saved in between, StaleVersion is raised and nothing is written. With `user`, they
    must be a reviewer of the record's team (RoleRequired otherwise).
    """
    if user is not None:
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
    # update() skips auto_now: the last update is set here, or the dashboard's order lies.
    fields["updated_at"] = timezone.now()
    claimed = Assessment._base_manager.filter(
        pk=assessment.pk, version=expected, status__in=EDITABLE_STATUSES
    ).update(version=F("version") + 1, **fields)
    if not claimed:
        raise _stale(assessment, submitted, expected)
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.version = expected + 1
    Assessment.history.bulk_history_create([assessment], update=True, default_user=user)

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
    if user is not None:
        # Bulk writes send no signal, so the request's user would be missing outside a
        # request (a command, a test): name the person in the trail directly.
        for answer in (*created, *changed):
            answer._history_user = user
    if created:
        Answer.objects.bulk_create(created)
    if changed:
        Answer.objects.bulk_update(changed, sorted(fields_changed))
    return result


# --- the review workflow -----------------------------------------------------------------


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


def _set_status(assessment: Assessment, status: str, **fields) -> None:
    for name, value in fields.items():
        setattr(assessment, name, value)
    assessment.status = status
    assessment.version += 1
    assessment.save()


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
    _set_status(
        assessment,
        Assessment.Status.SUBMITTED,
        snapshot_document=document,
        snapshot_result=result.to_dict(),
        **summary_fields(result, len(assessment.scoring_model().core_keys)),
    )
    Decision.objects.create(
        assessment=assessment, actor=user, action=Decision.Action.SUBMITTED, comment=comment
    )
    notifications.submitted(assessment=assessment, user=user, comment=comment)


@transaction.atomic
def assessment_approve(*, assessment: Assessment, user, comment: str = "") -> ApprovedReport:
    """Approve a submitted assessment (four eyes) and store its PDF once, with its SHA-256."""
    from . import pdf

    access.require_on(user, assessment, access.APPROVE)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.status == Assessment.Status.APPROVED:
        raise _already(assessment, Decision.Action.APPROVED, "approved")
    if assessment.status != Assessment.Status.SUBMITTED:
        raise WorkflowError("Only a submitted assessment can be approved.")
    submitter = _last_submitter(assessment)
    if submitter is not None and submitter.pk == user.pk:
        raise WorkflowError("Four eyes: the person who submitted cannot approve it.")
    _set_status(assessment, Assessment.Status.APPROVED)
    Decision.objects.create(
        assessment=assessment, actor=user, action=Decision.Action.APPROVED, comment=comment
    )
    notifications.decided(
        assessment=assessment, user=user, submitter=submitter, action="approved", comment=comment
    )
    content = pdf.assessment_pdf(assessment, generated_by=user)  # RenderFailed rolls back
    return ApprovedReport.objects.create(
        assessment=assessment,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        filename=pdf.pdf_filename(assessment),
    )


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
    _set_status(
        assessment, Assessment.Status.RETURNED, snapshot_document=None, snapshot_result=None
    )
    Decision.objects.create(
        assessment=assessment, actor=user, action=Decision.Action.RETURNED, comment=comment
    )
    notifications.decided(
        assessment=assessment, user=user, submitter=submitter, action="returned", comment=comment
    )


@transaction.atomic
def assessment_reassess(*, assessment: Assessment, user) -> Assessment:
    """A new draft revision, prefilled, linked to this one, on the current questionnaire.

    Once per record: the row is locked first, so two people pressing Reassess at once get one
    revision between them, and the second is told where it is."""
    access.require_on(user, assessment, access.EDIT)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
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
    questionnaire = Questionnaire.current()
    if questionnaire is None:
        raise NoPublishedQuestionnaire
    model = questionnaire.scoring_model()
    revision = Assessment(
        name=assessment.name,
        description=assessment.description,
        system=assessment.system,
        business_owner=assessment.business_owner,
        questionnaire=questionnaire,
        team=assessment.team,
        owner=user,
        previous=assessment,
        revision=assessment.revision + 1,
        total_core=len(model.core_keys),
    )
    # The history shows one "created from revision N" event by this reviewer, and the copied
    # answers as the starting point, not as answers this reviewer set (see reports.py).
    revision._history_user = user
    revision.save()
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
    return revision


def awaiting_approval(user) -> QuerySet[Assessment]:
    """Submitted records of the teams where the user approves, that four eyes lets them approve:
    not those whose latest submission is their own."""
    last_submitter = (
        Decision.objects.filter(assessment=OuterRef("pk"), action=Decision.Action.SUBMITTED)
        .order_by("-created_at", "-id")
        .values("actor_id")[:1]
    )
    return (
        access.assessments_for(user, access.APPROVE)
        .filter(status=Assessment.Status.SUBMITTED)
        .annotate(submitted_by_id=Subquery(last_submitter))
        .exclude(submitted_by_id=user.pk)
        .select_related("team")
        .order_by("updated_at", "id")
    )


def review_note(assessment: Assessment) -> Decision | None:
    """The approver's return comment while a returned record waits for its fixes."""
    if not assessment.is_returned:
        return None
    return (
        assessment.decisions.filter(action=Decision.Action.RETURNED)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def export_record(*, assessment: Assessment, user, kind: str, content: bytes) -> ExportRecord:
    return ExportRecord.objects.create(
        assessment=assessment, user=user, kind=kind, sha256=hashlib.sha256(content).hexdigest()
    )


# --- comparing revisions -------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerDiff:
    question: str
    text: str
    before: str
    after: str


def revisions_diff(older: Assessment, newer: Assessment) -> dict:
    """Which answers and which verdict changed between two revisions."""
    old_choices = choices_of(answers_of(older))
    new_choices = choices_of(answers_of(newer))
    old_model, new_model = older.scoring_model(), newer.scoring_model()
    keys = [q.key for q in new_model.questions] + [
        q.key for q in old_model.questions if q.key not in new_model.question_map
    ]
    changes = []
    for key in keys:
        before, after = old_choices.get(key), new_choices.get(key)
        if before != after:
            model = new_model if key in new_model.question_map else old_model
            changes.append(
                AnswerDiff(
                    question=key,
                    text=model.question_map[key].text,
                    before=_label(old_model, key, before),
                    after=_label(new_model, key, after),
                )
            )
    old_result, new_result = evaluate(older, old_choices), evaluate(newer, new_choices)
    return {
        "changes": changes,
        "before": old_result,
        "after": new_result,
        "verdict_changed": (old_result.verdict, old_result.complete)
        != (new_result.verdict, new_result.complete),
    }
