"""Scoring a set of answers: which questions count, the dimension totals, the overall score,
the rules and floors that fire, and the verdict they give (see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from assessor.engine.model import (
    VERDICT_RANK,
    FiredRule,
    Floor,
    FrameworkRef,
    Question,
    Rule,
    ScoringModel,
)


def check_answers(model: ScoringModel, answers: Mapping[str, str]) -> list[str]:
    """Every problem with the answers, each naming its key; an empty list means usable."""
    problems = []
    for key, choice in answers.items():
        question = model.question_map.get(key)
        if question is None:
            problems.append(f"unknown question: {key}")
        elif not isinstance(choice, str) or choice not in question.choice_map:
            problems.append(f"unknown choice for {key}: {choice!r}")
    return problems


def check_visibility(model: ScoringModel, answers: Mapping[str, str]) -> list[str]:
    """Every answered follow-up that the other answers do not show, each naming its key.

    For answer sets that arrive whole (the command line, the API, a JSON import): a refinement
    answered without the answer that asks it is a mistake to report, not to ignore. The wizard
    keeps an answer whose parent later changed, and the engine simply leaves it out.
    """
    counted = effective_answers(model, answers)
    problems = []
    for question in model.questions:
        hidden = question.key in answers and question.key not in counted
        if hidden and question.show_if is not None and answers[question.key] in question.choice_map:
            parents = ", ".join(sorted(question.show_if.questions()))
            problems.append(
                f"{question.key} is answered, but it is asked only for certain answers to "
                f"{parents}, and the answers given do not ask it"
            )
    return problems


def effective_answers(model: ScoringModel, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers given that count: known, and to questions whose show-if condition holds.

    Visibility is decided in question order against the answers that already count, so a
    follow-up of a hidden question is hidden too.
    """
    counted: dict[str, str] = {}
    for question in model.questions:
        choice = answers.get(question.key)
        if choice is None or choice not in question.choice_map:
            continue
        if question.show_if is not None and not question.show_if.matches(counted):
            continue
        counted[question.key] = choice
    return counted


def scored_answers(
    model: ScoringModel, answers: Mapping[str, str]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The answers the score and the rules see, and the keys counted at their riskiest.

    A follow-up that is shown but left unanswered counts as its riskiest choice, so leaving
    out an honest bad answer never pays. A missing core answer counts for nothing: it makes
    the assessment incomplete instead. So does an optional question left unanswered: it holds
    a fact that only lowers a verdict, and left out it keeps the bank's earlier reading.
    """
    counted: dict[str, str] = {}
    assumed: list[str] = []
    for question in model.questions:
        if question.show_if is not None and not question.show_if.matches(counted):
            continue
        choice = answers.get(question.key)
        if choice is not None and choice in question.choice_map:
            counted[question.key] = choice
        elif not question.core and not question.optional and model.follow_ups_assumed_riskiest:
            counted[question.key] = question.riskiest.key
            assumed.append(question.key)
    return counted, tuple(assumed)


def visible_questions(model: ScoringModel, answers: Mapping[str, str]) -> list[Question]:
    counted = effective_answers(model, answers)
    return [q for q in model.questions if q.show_if is None or q.show_if.matches(counted)]


@dataclass
class _Totals:
    """Per dimension (in the model's order): the points, the lowest and the highest total."""

    points: list[float]
    low: list[float]
    high: list[float]


def _totals(model: ScoringModel, answers: Mapping[str, str]) -> _Totals:
    size = len(model.dimensions)
    points, lows, highs = [0.0] * size, [0.0] * size, [0.0] * size
    rows = model.weight_rows
    for key, choice_key in answers.items():
        for index, value, low, high in rows[key][choice_key]:
            points[index] += value
            lows[index] += low
            highs[index] += high
    return _Totals(points, lows, highs)


def _dimension_scores(model: ScoringModel, totals: _Totals) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for index, dim in enumerate(model.dimensions):
        low, high = totals.low[index], totals.high[index]
        if high > low:
            scores[dim.key] = 100.0 * (totals.points[index] - low) / (high - low)
        else:
            scores[dim.key] = None  # nothing answered that could move this dimension
    return scores


def _overall(model: ScoringModel, dimension_scores: Mapping[str, float | None]) -> float | None:
    weighted = total_weight = 0.0
    for dim in model.dimensions:
        value = dimension_scores[dim.key]
        if value is not None and dim.weight > 0:
            weighted += dim.weight * value
            total_weight += dim.weight
    if total_weight == 0:
        return None
    # The score that is shown is the score that is compared, so a board never sees 60.0
    # beside a verdict that 59.99 produced.
    return round(weighted / total_weight, 1)


def _lowest(verdicts: Iterable[str]) -> str:
    return min(verdicts, key=VERDICT_RANK.__getitem__)


@dataclass
class _Outcome:
    """The verdict of a set of scored answers, with what produced it."""

    dimensions: dict[str, float | None]
    score: float | None
    score_verdict: str
    fired: list[Rule]
    verdict: str
    floors: list[Floor] = field(default_factory=list)  # floors that lifted the score's verdict

    @property
    def lifted(self) -> str:
        """The score's verdict after the floors, before the caps."""
        return _highest([self.score_verdict, *(f.floor for f in self.floors)])


def _outcome(model: ScoringModel, scored: Mapping[str, str]) -> _Outcome:
    dimensions = _dimension_scores(model, _totals(model, scored))
    score = _overall(model, dimensions)
    score_verdict = model.score_verdict(score)
    fired = [rule for rule in model.binding_rules if rule.when.matches(scored)]
    floors = [
        f
        for f in model.floors
        if f.when.matches(scored) and VERDICT_RANK[f.floor] > VERDICT_RANK[score_verdict]
    ]
    outcome = _Outcome(dimensions, score, score_verdict, fired, score_verdict, floors)
    outcome.verdict = _lowest([outcome.lifted, *(rule.cap for rule in fired)])
    return outcome


def _highest(verdicts: Iterable[str]) -> str:
    return max(verdicts, key=VERDICT_RANK.__getitem__)


def _decided_by(outcome: _Outcome) -> str:
    """A floor that sets the verdict is a rule of the bank, so it counts as `rule`."""
    by_rule = any(rule.cap == outcome.verdict for rule in outcome.fired) or any(
        floor.floor == outcome.verdict for floor in outcome.floors
    )
    by_score = outcome.score_verdict == outcome.verdict
    if by_rule and by_score:
        return "score and rule"
    return "rule" if by_rule else "score"


def evaluate_verdict(model: ScoringModel, answers: Mapping[str, str]) -> str:
    """The verdict alone, without the path; used to check a path and by property tests."""
    return _outcome(model, scored_answers(model, answers)[0]).verdict


def _shown(question: Question, answers: Mapping[str, str]) -> bool:
    return question.show_if is None or question.show_if.matches(answers)


def _control_gaps(model: ScoringModel, outcome: _Outcome, target: str) -> tuple[FiredRule, ...]:
    """The fired rules that hold the verdict below `target` on controls alone: a narrower
    scope would not clear them, so the report can say what would still stand."""
    return tuple(
        FiredRule(r.id, r.cap, r.reason, r.frameworks)
        for r in outcome.fired
        if VERDICT_RANK[r.cap] < VERDICT_RANK[target] and not r.when.questions() & model.scope_keys
    )


def _framework_refs(
    model: ScoringModel, answers: Mapping[str, str], outcome: _Outcome
) -> tuple[FrameworkRef, ...]:
    """References for the decision itself, every fired rule and floor, and every answer short
    of safest."""
    refs = set(model.baseline_frameworks)
    for rule in [*outcome.fired, *outcome.floors]:
        refs.update(rule.frameworks)
    for key, choice in answers.items():
        question = model.question_map[key]
        if choice != question.safest.key:
            refs.update(question.frameworks)
    order = model.framework_order
    return tuple(
        model.frameworks[ref]
        for ref in sorted(refs, key=lambda r: order.get(r, len(order)))
        if ref in model.frameworks
    )


# --- the path to the next level ------------------------------------------------------------
