"""Impact preview: what a draft questionnaire would do to every existing assessment.

Read-only. It counts every assessment of every team, since a published version reaches them
all, but names only those of the teams it is given (the pages pass the teams whose records the
user may read: roles are per team); the others are counts, by verdict, with no name. Four
queries whatever their number: the readable teams, the assessments, their answers, and the
questionnaire versions they are pinned to.
The verdict under the draft is computed with the engine's fast path; the full explanation only
for those that change.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from assessor import engine
from assessor.bank import build_model
from assessor.models import Answer, Assessment, Questionnaire, Team
from assessor.records.selectors import answers_known as _known

INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class Change:
    assessment_id: int
    name: str
    team: str
    status: str
    before: str
    after: str
    before_score: float | None
    after_score: float | None
    rules_added: tuple[engine.FiredRule, ...]
    rules_removed: tuple[engine.FiredRule, ...]
    answers: tuple[tuple[str, str], ...]  # (question text, chosen label) behind the change
    # Incomplete under the draft (it asks new core questions): the verdicts still possible.
    after_range: tuple[str, str] | None = None
    new_questions: tuple[str, ...] = ()  # texts of the draft's core questions left unanswered
    # Floors (rules that lift the score's verdict) that now lift it, or no longer do.
    floors_added: tuple[engine.FiredFloor, ...] = ()
    floors_removed: tuple[engine.FiredFloor, ...] = ()


@dataclass(frozen=True)
class Counts:
    """Records counted but not named: those of teams the reader cannot read."""

    total: int
    before: dict[str, int]
    after: dict[str, int]
    changed: int


@dataclass(frozen=True)
class Impact:
    total: int  # every record, readable or not
    before: dict[str, int]
    after: dict[str, int]
    changes: list[Change]  # the readable records whose verdict changes, named
    unreadable: Counts

    @property
    def changed(self) -> int:
        """How many records, readable or not, would get a different verdict."""
        return len(self.changes) + self.unreadable.changed


def _verdict(model: engine.ScoringModel, answers: dict[str, str]) -> str:
    counted = engine.effective_answers(model, answers)
    if any(key not in counted for key in model.core_keys):
        return INCOMPLETE
    return engine.evaluate_verdict(model, counted)


def _fired(result: engine.Result) -> set[tuple[str, str, str]]:
    """(kind, id, level) of every cap that fired and every floor that lifted the verdict."""
    return {("cap", r.id, r.cap) for r in result.rules_fired} | {
        ("floor", f.id, f.floor) for f in result.floors_applied
    }


def _condition(model: engine.ScoringModel, kind: str, rule_id: str) -> engine.Condition:
    rules = model.binding_rules if kind == "cap" else model.floors
    return next(r.when for r in rules if r.id == rule_id)


def _behind(before_model, after_model, answers, before, after) -> tuple[tuple[str, str], ...]:
    """The answers that explain a change: those named by rules (caps and floors) that appear
    or disappear, else those whose weights differ between the two versions."""
    keys: list[str] = []
    before_rules, after_rules = _fired(before), _fired(after)
    for kind, rule, level in sorted(before_rules ^ after_rules):
        model = after_model if (kind, rule, level) in after_rules else before_model
        condition = _condition(model, kind, rule)
        keys.extend(k for k in sorted(condition.questions()) if k not in keys)
    if not keys:
        for key, choice in answers.items():
            old_q, new_q = before_model.question_map.get(key), after_model.question_map.get(key)
            if old_q is None or new_q is None or choice not in new_q.choice_map:
                continue
            old_w = old_q.choice_map[choice].weights if choice in old_q.choice_map else {}
            if (old_w, old_q.dimension_bounds) != (
                new_q.choice_map[choice].weights,
                new_q.dimension_bounds,
            ):
                keys.append(key)
    shown = []
    for key in keys:
        question = after_model.question_map.get(key) or before_model.question_map.get(key)
        if question is not None and answers.get(key) in question.choice_map:
            shown.append((question.text, question.choice_map[answers[key]].label))
    return tuple(shown)


def impact_preview(draft: Questionnaire, *, readable: QuerySet[Team]) -> Impact:
    """What `draft` would do to every assessment; those of `readable` teams (e.g.
    `access.teams_for(user, VIEW)`) are named with their change, the others only counted."""
    draft_model = build_model(draft.document)
    named_teams = set(readable.values_list("pk", flat=True))
    rows = _rows()
    answers = _answers()
    pinned_models = _pinned_models({row[5] for row in rows})
    order = [*engine.VERDICTS, INCOMPLETE]
    counts = {side: Counter() for side in ("before", "after", "hidden_before", "hidden_after")}
    changes, hidden, hidden_changed = [], 0, 0
    for row in rows:
        pk, _, _, _, stored, questionnaire_id, team_id = row
        given = answers.get(pk, {})
        before = stored or INCOMPLETE
        after = _verdict(draft_model, _known(draft_model, given))
        counts["before"][before] += 1
        counts["after"][after] += 1
        if team_id not in named_teams:
            hidden += 1
            counts["hidden_before"][before] += 1
            counts["hidden_after"][after] += 1
            hidden_changed += before != after
        elif before != after:
            old_model = pinned_models[questionnaire_id]
            changes.append(_change(row, old_model, draft_model, given, before, after))

    def by_verdict(counter: Counter) -> dict[str, int]:
        return {key: counter.get(key, 0) for key in order}

    return Impact(
        total=len(rows),
        before=by_verdict(counts["before"]),
        after=by_verdict(counts["after"]),
        changes=changes,
        unreadable=Counts(
            total=hidden,
            before=by_verdict(counts["hidden_before"]),
            after=by_verdict(counts["hidden_after"]),
            changed=hidden_changed,
        ),
    )


# --- the queries ---------------------------------------------------------------------


def _rows() -> list[tuple]:
    """(pk, name, team name, status, stored verdict, questionnaire id, team id) of each
    assessment."""
    return list(
        Assessment.objects.values_list(
            "pk", "name", "team__name", "status", "verdict", "questionnaire_id", "team_id"
        ).order_by("pk")
    )


def _answers() -> dict[int, dict[str, str]]:
    answers: dict[int, dict[str, str]] = {}
    for assessment_id, key, choice in Answer.objects.values_list(
        "assessment_id", "question_key", "choice_key"
    ).iterator(chunk_size=20_000):
        answers.setdefault(assessment_id, {})[key] = choice
    return answers


def _pinned_models(ids: set[int]) -> dict[int, engine.ScoringModel]:
    return {q.pk: build_model(q.document) for q in Questionnaire.objects.filter(pk__in=ids)}


def _change(row: tuple, old_model, draft_model, given, before: str, after: str) -> Change:
    """A change of verdict, explained with the full engine under both versions."""
    pk, name, team, status = row[:4]
    old_result = engine.evaluate(old_model, _known(old_model, given))
    new_result = engine.evaluate(draft_model, _known(draft_model, given))
    # (id, cap): a rule whose cap the draft changes counts as changed too
    old_ids = {(r.id, r.cap) for r in old_result.rules_fired}
    new_ids = {(r.id, r.cap) for r in new_result.rules_fired}
    old_floors = {(f.id, f.floor) for f in old_result.floors_applied}
    new_floors = {(f.id, f.floor) for f in new_result.floors_applied}
    return Change(
        assessment_id=pk,
        name=name,
        team=team,
        status=status,
        before=before,
        after=after,
        before_score=old_result.score,
        after_score=new_result.score,
        rules_added=tuple(r for r in new_result.rules_fired if (r.id, r.cap) not in old_ids),
        rules_removed=tuple(r for r in old_result.rules_fired if (r.id, r.cap) not in new_ids),
        answers=_behind(old_model, draft_model, given, old_result, new_result),
        after_range=new_result.range_labels,
        new_questions=tuple(draft_model.question_map[key].text for key in new_result.missing),
        floors_added=tuple(
            f for f in new_result.floors_applied if (f.id, f.floor) not in old_floors
        ),
        floors_removed=tuple(
            f for f in old_result.floors_applied if (f.id, f.floor) not in new_floors
        ),
    )
