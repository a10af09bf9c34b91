"""The scoring engine (`assessor.engine`): answers and a scoring model in, a verdict out.

Pure Python on purpose: no ORM, no request, no settings. Everything it needs arrives as frozen
values, so the same answers and model always give the same result, and the engine is tested
without a database.

How a verdict is reached (see DESIGN.md):
- each answered, visible question adds its chosen choice's points to one or more dimensions;
- each dimension is placed on 0-100 between the lowest and the highest total its answered
  questions could reach, so every weight keeps its effect;
- the overall score is the weighted mean of the dimensions, rounded to one decimal, and compared
  with the thresholds to give the score verdict;
- every rule whose condition holds caps the verdict; the final verdict is the lowest of the
  score verdict and every cap.

The package: `model` (the values), `score` (totals, caps, the verdict), `ranges` (best and worst
verdicts while unfinished), `plan` (the next level), `evaluate` (all of it as one `Result`).
Everything public is re-exported here, so callers write `engine.evaluate(model, answers)`.
"""

from assessor.engine.evaluate import evaluate
from assessor.engine.model import (
    VERDICT_LABELS,
    VERDICT_MEANINGS,
    VERDICT_RANK,
    VERDICTS,
    AnswerError,
    Change,
    Choice,
    Condition,
    ConditionStatus,
    CoreProgress,
    Dimension,
    FiredFloor,
    FiredRule,
    Floor,
    FrameworkRef,
    OwnershipCondition,
    Question,
    Result,
    Rule,
    ScoringModel,
    negate,
)
from assessor.engine.plan import changes_by_effect
from assessor.engine.score import (
    check_answers,
    check_visibility,
    effective_answers,
    evaluate_verdict,
    scored_answers,
    visible_questions,
)

__all__ = [
    "AnswerError",
    "Change",
    "Choice",
    "Condition",
    "ConditionStatus",
    "CoreProgress",
    "Dimension",
    "FiredFloor",
    "FiredRule",
    "Floor",
    "FrameworkRef",
    "OwnershipCondition",
    "Question",
    "Result",
    "Rule",
    "ScoringModel",
    "VERDICTS",
    "VERDICT_LABELS",
    "VERDICT_MEANINGS",
    "VERDICT_RANK",
    "changes_by_effect",
    "check_answers",
    "check_visibility",
    "effective_answers",
    "evaluate",
    "evaluate_verdict",
    "negate",
    "scored_answers",
    "visible_questions",
]
