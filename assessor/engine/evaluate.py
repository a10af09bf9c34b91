"""`evaluate`: answers and a scoring model in, a full `Result` out (verdict, scores, fired
rules, the range while unfinished and the plan to the next level).
"""

from __future__ import annotations

from collections.abc import Mapping

from assessor.engine.model import (
    VERDICT_RANK,
    VERDICTS,
    AnswerError,
    Change,
    ConditionStatus,
    FiredFloor,
    FiredRule,
    Result,
    ScoringModel,
)
from assessor.engine.plan import _Planner
from assessor.engine.ranges import _verdict_range
from assessor.engine.score import (
    _control_gaps,
    _decided_by,
    _framework_refs,
    _outcome,
    _shown,
    check_answers,
    effective_answers,
    scored_answers,
)


def evaluate(model: ScoringModel, answers: Mapping[str, str], *, plan: bool = True) -> Result:
    """Score a set of answers, complete or not; unknown keys or choices raise AnswerError.

    With `plan=False` the path to the next level is left out (`next_level` empty): a save
    that only records the verdict, or the wizard's live panel, has no use for it.
    """
    problems = check_answers(model, answers)
    if problems:
        raise AnswerError(problems)
    given = effective_answers(model, answers)
    scored, assumed = scored_answers(model, given)
    outcome = _outcome(model, scored)
    missing = tuple(key for key in model.core_keys if key not in given)

    target = None
    path: tuple[Change, ...] = ()
    blocked_by: tuple[str, ...] = ()
    gaps: tuple[FiredRule, ...] = ()
    if outcome.verdict != VERDICTS[-1]:
        target = VERDICTS[VERDICT_RANK[outcome.verdict] + 1]
        if plan and not missing:  # a plan for an unfinished assessment would rest on guesses
            path, blocked_by = _Planner(model, given, scored, outcome, target).plan()
        if blocked_by:
            gaps = _control_gaps(model, outcome, target)

    return Result(
        verdict=outcome.verdict,
        score=outcome.score,
        score_verdict=outcome.score_verdict,
        dimensions={
            key: (None if value is None else round(value, 1))
            for key, value in outcome.dimensions.items()
        },
        rules_fired=tuple(FiredRule(r.id, r.cap, r.reason, r.frameworks) for r in outcome.fired),
        decided_by=_decided_by(outcome),
        next_level=path,
        next_level_target=target,
        frameworks=_framework_refs(model, scored, outcome),
        conditions=tuple(
            ConditionStatus(c.id, c.title, c.when.matches(scored))
            for c in model.ownership_conditions
        ),
        missing=missing,
        answers=given,
        assumed=assumed,
        next_level_blocked_by=blocked_by,
        verdict_range=_verdict_range(model, given) if missing else None,
        core_total=len(model.core_keys),
        # A floor a lower cap overrode decided nothing: only those the verdict stands on.
        floors_applied=tuple(
            FiredFloor(f.id, f.floor, f.reason, f.frameworks)
            for f in outcome.floors
            if VERDICT_RANK[f.floor] <= VERDICT_RANK[outcome.verdict]
        ),
        control_gaps=gaps,
        optional_unanswered=tuple(
            q.key
            for q in model.questions
            if q.optional and q.key not in given and _shown(q, scored)
        ),
    )
