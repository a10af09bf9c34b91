"""Reads around assessments: answers, steps, results, review notes and each page's state.

Nothing here changes a row. Writes live in `services.py`, the review workflow in `review.py`;
scoring itself stays in `engine.py`, and this module loads what it needs in as few queries
as it can.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import NamedTuple

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, When

from assessor import engine
from assessor.documents import autonomy_scales
from assessor.evidence.selectors import evidence_by_question
from assessor.models import Answer, Assessment, Decision, Questionnaire
from assessor.records import chain as record_chain
from assessor.records.history import CARRIED_OVER
from assessor.records.prepared import PreparedQuery
from assessor.teams import access
from assessor.wizard.fields import evidence_field, note_field


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
        """The first shown follow-up still unanswered (it counts at its riskiest until then);
        an optional question left unanswered counts for nothing, so it is not pressed for."""
        optional = {q["key"] for q in self.section["questions"] if q.get("optional")}
        for key in self.visible_keys:
            if key not in self.answered_keys and key not in optional:
                return key
        return None


# The statuses of a record, for the API's schema (the views name no model).
AssessmentStatus = Assessment.Status


def questionnaire_current() -> Questionnaire | None:
    """The published questionnaire, or None before the first is published."""
    return Questionnaire.current()


def answers_of(assessment: Assessment) -> dict[str, Answer]:
    """Every stored answer of an assessment, by question key, in one query."""
    # By id, as Answer's default ordering ("assessment", "id") lists them for one record,
    # without the join to the assessment table that ordering by "assessment" costs.
    return {answer.question_key: answer for answer in assessment.answers.order_by("id")}


class SavedAnswer(NamedTuple):
    """A stored answer as a page shows it: read as plain values, no model instance built."""

    choice_key: str
    note: str
    evidence_url: str


def answers_shown(assessment: Assessment) -> dict[str, SavedAnswer]:
    """`answers_of` for a page that only shows the answers (nothing is saved from them), in one
    query: three columns as tuples, a third of the cost of building ~30 Answer instances."""
    rows = _ANSWERS_SHOWN.rows(assessment=assessment.pk)
    return {key: SavedAnswer(*rest) for key, *rest in rows}


# Its SQL is built once per process (records.prepared): a step GET runs it on every request.
_ANSWERS_SHOWN = PreparedQuery(
    lambda assessment: (
        Answer.objects.filter(assessment_id=assessment)
        .order_by("id")
        .values_list("question_key", "choice_key", "note", "evidence_url")
    ),
    "assessment",
)


def choices_saved(assessment: Assessment) -> dict[str, str]:
    """Question key -> choice key of every stored answer, in one query (no notes or links)."""
    return dict(assessment.answers.order_by().values_list("question_key", "choice_key"))


def choices_of(answers: dict[str, Answer]) -> dict[str, str]:
    return {key: answer.choice_key for key, answer in answers.items()}


def steps_of(assessment: Assessment, choices: dict[str, str]) -> list[Step]:
    model = assessment.scoring_model()
    known = answers_known(model, choices)
    counted = engine.effective_answers(model, known)
    visible = {q.key for q in engine.visible_questions(model, known)}
    return [
        Step(
            number=number,
            section=section,
            visible_keys=tuple(q["key"] for q in section["questions"] if q["key"] in visible),
            answered_keys=tuple(q["key"] for q in section["questions"] if q["key"] in counted),
        )
        for number, section in enumerate(assessment.document["sections"], start=1)
    ]


def answers_known(model: engine.ScoringModel, choices: dict[str, str]) -> dict[str, str]:
    """Drop stored answers the model does not know, so scoring never refuses them."""
    return {
        key: choice
        for key, choice in choices.items()
        if key in model.question_map and choice in model.question_map[key].choice_map
    }


def submissions_unasked(
    model: engine.ScoringModel, existing: dict[str, str], submitted: dict[str, str]
) -> dict[str, list[str]]:
    """Question key -> why, for each submitted follow-up that the answers (stored, with the
    submitted ones over them) do not ask: `engine.check_visibility`'s words.

    One step is saved at a time, so only what this save changes is checked: a follow-up sent
    with the parent answer that asks it passes, and one stored earlier under another parent
    answer (or sent back unchanged) stays, as the wizard keeps it, counting for nothing.
    """
    counted = engine.effective_answers(model, answers_known(model, {**existing, **submitted}))
    found = {}
    for key, choice in submitted.items():
        if existing.get(key) == choice or counted.get(key) == choice:
            continue
        problems = engine.check_visibility(model, {**counted, key: choice})
        if problems:
            found[key] = problems
    return found


# Results by (content hash of the questionnaire version, plan or not, the answers): a pure
# function of its key, so every process may keep its own and none can be stale. A wizard save
# scores the new answers, and the step it redirects to shows the same result; an API client
# reading a result again gets the planned path without planning it again.
_RESULTS: OrderedDict[tuple, engine.Result] = OrderedDict()
_RESULTS_LOCK = threading.Lock()
_RESULTS_MAX = 256


def evaluate(
    assessment: Assessment, choices: dict[str, str], *, plan: bool = True
) -> engine.Result:
    model = assessment.scoring_model()
    known = answers_known(model, choices)
    if assessment.snapshot_document:  # scored against its own snapshot: not worth a key
        return engine.evaluate(model, known, plan=plan)
    key = (assessment.questionnaire.content_hash, plan, frozenset(known.items()))
    with _RESULTS_LOCK:
        if key in _RESULTS:
            _RESULTS.move_to_end(key)
            return _RESULTS[key]
    result = engine.evaluate(model, known, plan=plan)
    with _RESULTS_LOCK:
        _RESULTS[key] = result
        while len(_RESULTS) > _RESULTS_MAX:
            _RESULTS.popitem(last=False)
    return result


def result_json(*, name: str, questionnaire_version: str, result: engine.Result) -> dict:
    """The result as `manage.py assess` prints it and the API's result endpoint returns it,
    with the verdict's level on each published autonomy scale (none while incomplete)."""
    return {
        "name": name,
        "questionnaire_version": questionnaire_version,
        **result.to_dict(),
        "autonomy_scales": autonomy_scales.as_json(result.verdict if result.complete else None),
    }


def assessment_result_json(assessment: Assessment) -> dict:
    """A record's result over its saved choices, as `result_json` words it (one query)."""
    return result_json(
        name=assessment.name,
        questionnaire_version=assessment.questionnaire.version,
        result=evaluate(assessment, choices_saved(assessment)),
    )


def choice_label(model: engine.ScoringModel, key: str, choice: str | None) -> str:
    question = model.question_map.get(key)
    if question is None or choice not in question.choice_map:
        return "(no answer)"
    return question.choice_map[choice].label


def _answer_changes():
    """Answer rows' history that counts as someone changing an answer (not answers carried
    over by reassessment, which were set in an earlier revision)."""
    return Answer.history.filter(history_user__isnull=False).exclude(
        history_change_reason=CARRIED_OVER
    )


def _last_returned(assessment_ref):
    return (
        Decision.objects.filter(assessment=assessment_ref, action=Decision.Action.RETURNED)
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )


def answer_editors(assessment: Assessment) -> set[int]:
    """Who changed an answer in this round (since the record was last returned, or since it was
    started): four eyes keeps each of them from approving it, not only the last submitter."""
    changes = _answer_changes().filter(assessment_id=assessment.pk)
    returned = _last_returned(assessment.pk).first()
    if returned is not None:
        changes = changes.filter(history_date__gt=returned["created_at"])
    return set(changes.values_list("history_user_id", flat=True).distinct())


@dataclass(frozen=True)
class ChangeSinceReturn:
    """One answer that differs from what the approver saw when they returned the record."""

    question: str
    text: str
    before: str
    after: str
    who: tuple[str, ...]  # who changed it since the return, in order


def changes_since_return(
    assessment: Assessment, decisions: list[Decision] | None = None
) -> list[ChangeSinceReturn]:
    """The answers of a submitted record that changed since it was last returned, in question
    order, each with its choice then and now and who changed it; empty unless the record is
    submitted and was returned before. Two queries (one when `decisions`, oldest first, are
    given): the approver reads this instead of the whole history."""
    if assessment.status != Assessment.Status.SUBMITTED:
        return []
    if decisions is not None:
        returns = [d.created_at for d in decisions if d.action == Decision.Action.RETURNED]
        returned_at = returns[-1] if returns else None
    else:
        row = _last_returned(assessment.pk).first()
        returned_at = row["created_at"] if row else None
    if returned_at is None:
        return []
    then: dict[str, str | None] = {}
    now: dict[str, str | None] = {}
    editors: dict[str, list[str]] = {}
    rows = Answer.history.filter(assessment_id=assessment.pk).select_related("history_user")
    for row in rows.order_by("history_date", "history_id"):
        choice = None if row.history_type == "-" else row.choice_key
        now[row.question_key] = choice
        if row.history_date <= returned_at:
            then[row.question_key] = choice
        elif row.history_user is not None:
            names = editors.setdefault(row.question_key, [])
            if row.history_user.get_username() not in names:
                names.append(row.history_user.get_username())
    model = assessment.scoring_model()
    order = {q.key: n for n, q in enumerate(model.questions)}
    changed = sorted(
        (key for key in now if then.get(key) != now[key]),
        key=lambda key: (order.get(key, len(order)), key),
    )
    return [
        ChangeSinceReturn(
            question=key,
            text=model.question_map[key].text if key in model.question_map else key,
            before=choice_label(model, key, then.get(key)),
            after=choice_label(model, key, now[key]),
            who=tuple(editors.get(key, ())),
        )
        for key in changed
    ]


def assessments_awaiting_approval(user) -> QuerySet[Assessment]:
    """Submitted records of the teams where the user approves, that four eyes lets them approve:
    not those whose latest submission is their own, nor those whose answers they changed in
    this round."""
    last_submitter = (
        Decision.objects.filter(assessment=OuterRef("pk"), action=Decision.Action.SUBMITTED)
        .order_by("-created_at", "-id")
        .values("actor_id")[:1]
    )
    mine = _answer_changes().filter(assessment_id=OuterRef("pk"), history_user_id=user.pk)
    return (
        access.assessments_for(user, access.APPROVE)
        .filter(status=Assessment.Status.SUBMITTED)
        .annotate(
            submitted_by_id=Subquery(last_submitter),
            returned_at=Subquery(_last_returned(OuterRef("pk"))),
        )
        .exclude(submitted_by_id=user.pk)
        .exclude(Q(returned_at__isnull=True) & Exists(mine))
        .exclude(Exists(mine.filter(history_date__gt=OuterRef("returned_at"))))
        .select_related("team")
        .order_by("updated_at", "id")
    )


def assessments_returned_to(user) -> QuerySet[Assessment]:
    """Returned records waiting for the user's fixes: those whose last submission was theirs,
    or that they own, among the records they may still edit; the oldest return first."""
    last_submitter = (
        Decision.objects.filter(assessment=OuterRef("pk"), action=Decision.Action.SUBMITTED)
        .order_by("-created_at", "-id")
        .values("actor_id")[:1]
    )
    return (
        access.assessments_for(user, access.EDIT)
        .filter(status=Assessment.Status.RETURNED)
        .annotate(
            submitted_by_id=Subquery(last_submitter),
            returned_at=Subquery(_last_returned(OuterRef("pk"))),
        )
        .filter(Q(submitted_by_id=user.pk) | Q(owner_id=user.pk))
        .select_related("team")
        .order_by("returned_at", "id")
    )


def review_note(assessment: Assessment, decisions: list[Decision] | None = None):
    """The approver's return comment while a returned record waits for its fixes.

    Picked from `decisions` (the record's, oldest first) when the caller has them loaded
    already, as the report has; otherwise one query."""
    if not assessment.is_returned:
        return None
    if decisions is not None:
        returned = (d for d in reversed(decisions) if d.action == Decision.Action.RETURNED)
        return next(returned, None)
    return (
        assessment.decisions.filter(action=Decision.Action.RETURNED)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


# --- the wizard's state ----------------------------------------------------------------------


def follow_up_conditions(assessment: Assessment) -> dict[str, str]:
    """Plain-language text of each follow-up's condition, e.g. 'the answer to X is "Y"'."""
    model = assessment.scoring_model()
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


def step_initial(existing: dict[str, Answer], step: Step) -> dict[str, str]:
    """The step form's initial data: each saved choice, note and evidence link."""
    initial = {}
    for key in (q["key"] for q in step.section["questions"]):
        answer = existing.get(key)
        if answer:
            initial[key] = answer.choice_key
            initial[note_field(key)] = answer.note
            initial[evidence_field(key)] = answer.evidence_url
    return initial


@dataclass(frozen=True)
class WizardStepState:
    """Everything one wizard step shows, read from the saved answers.

    What only a rendered page needs (the form's initial data, the follow-up texts, the live
    verdict, the review banner) is computed on first use: a saved POST redirects without it."""

    assessment: Assessment
    steps: list[Step]
    step: Step
    existing: dict[str, Answer] | dict[str, SavedAnswer]  # the saved answers, by question key

    @cached_property
    def initial(self) -> dict[str, str]:
        return step_initial(self.existing, self.step)

    @cached_property
    def conditions(self) -> dict[str, str]:
        return follow_up_conditions(self.assessment)

    @cached_property
    def result(self) -> engine.Result:
        # The live panel shows no path, so none is planned.
        return evaluate(self.assessment, choices_of(self.existing), plan=False)

    @cached_property
    def review_note(self) -> Decision | None:
        return review_note(self.assessment)

    @cached_property
    def side_key(self) -> str | None:
        """What the step list and the live verdict are a function of: the version's content,
        the saved choices and the step, hashed; None for a record scored on its snapshot."""
        if self.assessment.snapshot_document:
            return None
        choices = sorted(choices_of(self.existing).items())
        content = [self.assessment.questionnaire.content_hash, self.step.number, choices]
        return hashlib.sha256(json.dumps(content).encode()).hexdigest()

    @property
    def is_last(self) -> bool:
        return self.step.number == len(self.steps)

    def context(self, form, stale=None) -> dict:
        """The wizard template's context, with the step's form (bound or not)."""
        return {
            "assessment": self.assessment,
            "steps": self.steps,
            "step": self.step,
            "form": form,
            "result": self.result,
            "stale": stale,
            # the saved answers' counter; the live panel shows the same over the form's choices
            "progress": self.result.progress,
            "is_last": self.is_last,
            "review_note": self.review_note,
            "side_key": self.side_key,
            # each answer's evidence files, listed under its question with "Attach evidence"
            "evidence": evidence_by_question(self.assessment),
        }


def wizard_step_state(
    assessment: Assessment, number: int, *, saving: bool = True
) -> WizardStepState | None:
    """Step `number` (1-based) of the record's wizard, or None if there is no such step.

    `saving=False` (a GET) reads the answers as plain values (`answers_shown`): nothing is
    saved from them, so no Answer instances are needed."""
    existing = answers_of(assessment) if saving else answers_shown(assessment)
    steps = steps_of(assessment, choices_of(existing))
    if not 1 <= number <= len(steps):
        return None
    return WizardStepState(
        assessment=assessment, steps=steps, step=steps[number - 1], existing=existing
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
                    before=choice_label(old_model, key, before),
                    after=choice_label(new_model, key, after),
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


def chain_verdicts_for(user) -> list[record_chain.Verdict] | None:
    """Each reviewed record of the teams where `user` is an auditor, against its hash chain;
    None when they are an auditor nowhere."""
    teams = access.teams_for(user, access.AUDIT)
    if not teams.exists():
        return None
    return record_chain.chain_verify(
        Assessment.objects.filter(team__in=teams).select_related("team")
    )


def _last_approval(assessment_ref):
    return Decision.objects.filter(
        assessment=assessment_ref, action=Decision.Action.APPROVED
    ).order_by("-created_at", "-id")


def assessments_with_approval(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Each record with who approved it and when (`approval_by`, `approval_at`; None unless
    approved), in the same query as the records."""
    last = _last_approval(OuterRef("pk"))
    approved = Q(status=Assessment.Status.APPROVED)
    return assessments.annotate(
        approval_by=Case(When(approved, then=Subquery(last.values("actor__username")[:1]))),
        approval_at=Case(When(approved, then=Subquery(last.values("created_at")[:1]))),
    )


def approval_of(assessment: Assessment) -> tuple[str | None, datetime | None]:
    """(approver's username, approval time) of an approved record, else (None, None); read from
    `assessments_with_approval`'s annotations when the record came through it."""
    if hasattr(assessment, "approval_at"):
        return assessment.approval_by, assessment.approval_at
    if assessment.status != Assessment.Status.APPROVED:
        return None, None
    decision = _last_approval(assessment.pk).select_related("actor").first()
    if decision is None:
        return None, None
    return decision.actor.get_username(), decision.created_at
