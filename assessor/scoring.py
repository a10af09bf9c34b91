"""The scoring engine: answers and a scoring model in, a verdict out.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

VERDICTS: tuple[str, ...] = ("copilot", "supervised", "owner")
VERDICT_RANK = {key: rank for rank, key in enumerate(VERDICTS)}
VERDICT_LABELS = {"copilot": "Copilot", "supervised": "Supervised", "owner": "Bounded ownership"}
VERDICT_MEANINGS = {
    "copilot": (
        "The AI may draft, triage, summarise and gather evidence, but a person makes every "
        "decision and performs every change."
    ),
    "supervised": (
        "The AI may prepare the change; a named person reviews it and gives the final approval "
        "before anything executes."
    ),
    "owner": (
        "The AI may run the workflow end to end as its own workload identity, inside runtime "
        "policy, with short-lived credentials, complete evidence and automatic revocation."
    ),
}


class AnswerError(ValueError):
    """Answers that do not fit the model: unknown questions or choices."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


# --- the scoring model ---------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """A test over answers: a leaf (`in` / `not_in` a set of choices) or `all` / `any` of others.

    A leaf on an unanswered question is false, so a rule never fires on a missing answer.
    """

    op: str
    question: str = ""
    choices: frozenset[str] = frozenset()
    children: tuple[Condition, ...] = ()

    def matches(self, answers: Mapping[str, str]) -> bool:
        if self.op == "all":
            return all(child.matches(answers) for child in self.children)
        if self.op == "any":
            return any(child.matches(answers) for child in self.children)
        answer = answers.get(self.question)
        if answer is None:
            return False
        return (answer in self.choices) == (self.op == "in")

    def questions(self) -> frozenset[str]:
        if self.children:
            return frozenset().union(*(child.questions() for child in self.children))
        return frozenset({self.question})


@dataclass(frozen=True)
class Choice:
    key: str
    label: str
    weights: Mapping[str, float]


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: tuple[Choice, ...]
    core: bool = True
    show_if: Condition | None = None
    control: str = ""
    frameworks: tuple[str, ...] = ()

    @cached_property
    def choice_map(self) -> dict[str, Choice]:
        return {choice.key: choice for choice in self.choices}

    @cached_property
    def dimension_bounds(self) -> dict[str, tuple[float, float]]:
        """Lowest and highest points any choice gives on each dimension the question touches."""
        keys = {dim for choice in self.choices for dim in choice.weights}
        return {
            dim: (
                min(choice.weights.get(dim, 0.0) for choice in self.choices),
                max(choice.weights.get(dim, 0.0) for choice in self.choices),
            )
            for dim in keys
        }

    @cached_property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(choice.key for choice in self.choices)

    @property
    def safest(self) -> Choice:
        return self.choices[0]


@dataclass(frozen=True)
class Rule:
    id: str
    cap: str
    reason: str
    when: Condition
    frameworks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class FrameworkRef:
    ref: str
    framework: str
    id: str
    title: str


@dataclass(frozen=True)
class OwnershipCondition:
    id: str
    title: str
    when: Condition


@dataclass(frozen=True)
class ScoringModel:
    version: str
    dimensions: tuple[Dimension, ...]
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    thresholds: Mapping[str, float]  # verdict key -> lowest score that reaches it
    frameworks: Mapping[str, FrameworkRef] = field(default_factory=dict)
    baseline_frameworks: tuple[str, ...] = ()
    ownership_conditions: tuple[OwnershipCondition, ...] = ()

    @cached_property
    def question_map(self) -> dict[str, Question]:
        return {question.key: question for question in self.questions}

    @cached_property
    def core_keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions if question.core)

    @cached_property
    def rules_by_question(self) -> dict[str, tuple[Rule, ...]]:
        index: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for key in rule.when.questions():
                index.setdefault(key, []).append(rule)
        return {key: tuple(rules) for key, rules in index.items()}

    @cached_property
    def framework_order(self) -> dict[str, int]:
        return {ref: position for position, ref in enumerate(self.frameworks)}

    def score_verdict(self, score: float | None) -> str:
        if score is None:
            return VERDICTS[0]
        reached = VERDICTS[0]
        for verdict in VERDICTS[1:]:
            if score >= self.thresholds[verdict]:
                reached = verdict
        return reached


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiredRule:
    id: str
    cap: str
    reason: str
    frameworks: tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One answer change on the path to the next level, and why it is there."""

    question: str
    question_text: str
    from_choice: str
    from_label: str
    to_choice: str
    to_label: str
    rules_cleared: tuple[str, ...]
    dimension: str
    dimension_label: str
    control: str


@dataclass(frozen=True)
class ConditionStatus:
    id: str
    title: str
    met: bool


@dataclass(frozen=True)
class Result:
    verdict: str
    score: float | None
    score_verdict: str
    dimensions: dict[str, float | None]
    rules_fired: tuple[FiredRule, ...]
    decided_by: str
    next_level: tuple[Change, ...]
    next_level_target: str | None
    frameworks: tuple[FrameworkRef, ...]
    conditions: tuple[ConditionStatus, ...]
    missing: tuple[str, ...]
    answers: Mapping[str, str]  # the answers that counted: visible and known

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def meaning(self) -> str:
        return VERDICT_MEANINGS[self.verdict]

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict,
            "label": self.label,
            "score": self.score,
            "score_verdict": self.score_verdict,
            "decided_by": self.decided_by,
            "dimensions": dict(self.dimensions),
            "rules_fired": [
                {"id": r.id, "cap": r.cap, "reason": r.reason, "frameworks": list(r.frameworks)}
                for r in self.rules_fired
            ],
            "next_level_target": self.next_level_target,
            "next_level": [
                {
                    "question": c.question,
                    "question_text": c.question_text,
                    "from": c.from_choice,
                    "from_label": c.from_label,
                    "to": c.to_choice,
                    "to_label": c.to_label,
                    "rules_cleared": list(c.rules_cleared),
                    "dimension": c.dimension,
                    "dimension_label": c.dimension_label,
                    "control": c.control,
                }
                for c in self.next_level
            ],
            "conditions": [{"id": c.id, "title": c.title, "met": c.met} for c in self.conditions],
            "frameworks": [
                {"framework": f.framework, "id": f.id, "title": f.title} for f in self.frameworks
            ],
            "complete": self.complete,
            "missing": list(self.missing),
        }


# --- evaluation ----------------------------------------------------------------------------


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


def effective_answers(model: ScoringModel, answers: Mapping[str, str]) -> dict[str, str]:
    """The answers that count: known, and to questions whose show-if condition holds.

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


def visible_questions(model: ScoringModel, answers: Mapping[str, str]) -> list[Question]:
    counted = effective_answers(model, answers)
    return [q for q in model.questions if q.show_if is None or q.show_if.matches(counted)]


@dataclass
class _Totals:
    points: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]


def _totals(model: ScoringModel, answers: Mapping[str, str]) -> _Totals:
    totals = _Totals({}, {}, {})
    for key, choice_key in answers.items():
        question = model.question_map[key]
        weights = question.choice_map[choice_key].weights
        for dim, (low, high) in question.dimension_bounds.items():
            totals.points[dim] = totals.points.get(dim, 0.0) + weights.get(dim, 0.0)
            totals.low[dim] = totals.low.get(dim, 0.0) + low
            totals.high[dim] = totals.high.get(dim, 0.0) + high
    return totals


def _dimension_scores(model: ScoringModel, totals: _Totals) -> dict[str, float | None]:
    scores: dict[str, float | None] = {}
    for dim in model.dimensions:
        low, high = totals.low.get(dim.key, 0.0), totals.high.get(dim.key, 0.0)
        if high > low:
            scores[dim.key] = 100.0 * (totals.points[dim.key] - low) / (high - low)
        else:
            scores[dim.key] = None  # nothing answered that could move this dimension
    return scores


def _overall(model: ScoringModel, dimension_scores: Mapping[str, float | None]) -> float | None:
    raw = _overall_raw(model, dimension_scores)
    # The score that is shown is the score that is compared, so a board never sees 60.0
    # beside a verdict that 59.99 produced.
    return None if raw is None else round(raw, 1)


def _overall_raw(model: ScoringModel, dimension_scores: Mapping[str, float | None]) -> float | None:
    weighted = total_weight = 0.0
    for dim in model.dimensions:
        value = dimension_scores[dim.key]
        if value is not None and dim.weight > 0:
            weighted += dim.weight * value
            total_weight += dim.weight
    if total_weight == 0:
        return None
    return weighted / total_weight


def _fired(model: ScoringModel, answers: Mapping[str, str]) -> list[Rule]:
    return [rule for rule in model.rules if rule.when.matches(answers)]


def _lowest(verdicts: Iterable[str]) -> str:
    return min(verdicts, key=VERDICT_RANK.__getitem__)


def evaluate(model: ScoringModel, answers: Mapping[str, str]) -> Result:
    """Score a set of answers, complete or not; unknown keys or choices raise AnswerError."""
    problems = check_answers(model, answers)
    if problems:
        raise AnswerError(problems)
    counted = effective_answers(model, answers)
    totals = _totals(model, counted)
    dimension_scores = _dimension_scores(model, totals)
    score = _overall(model, dimension_scores)
    score_verdict = model.score_verdict(score)
    fired = _fired(model, counted)
    verdict = _lowest([score_verdict, *(rule.cap for rule in fired)])
    decided_by = "rule" if VERDICT_RANK[verdict] < VERDICT_RANK[score_verdict] else "score"

    target = None
    path: tuple[Change, ...] = ()
    if verdict != VERDICTS[-1]:
        target = VERDICTS[VERDICT_RANK[verdict] + 1]
        path = _path_to(model, counted, totals, target)

    return Result(
        verdict=verdict,
        score=score,
        score_verdict=score_verdict,
        dimensions={
            key: (None if value is None else round(value, 1))
            for key, value in dimension_scores.items()
        },
        rules_fired=tuple(FiredRule(r.id, r.cap, r.reason, r.frameworks) for r in fired),
        decided_by=decided_by,
        next_level=path,
        next_level_target=target,
        frameworks=_framework_refs(model, counted, fired),
        conditions=tuple(
            ConditionStatus(c.id, c.title, c.when.matches(counted))
            for c in model.ownership_conditions
        ),
        missing=tuple(key for key in model.core_keys if key not in counted),
        answers=counted,
    )


def _framework_refs(
    model: ScoringModel, answers: Mapping[str, str], fired: list[Rule]
) -> tuple[FrameworkRef, ...]:
    """References for the decision itself, every fired rule, and every answer short of safest."""
    refs = set(model.baseline_frameworks)
    for rule in fired:
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


def _gain_per_point(model: ScoringModel, totals: _Totals) -> dict[str, float]:
    """How much the overall score moves per point on each dimension, answers held as they are.

    The score is linear in the points while the set of answered questions stays the same,
    which is what makes a cheap greedy search possible.
    """
    total_weight = sum(
        dim.weight
        for dim in model.dimensions
        if dim.weight > 0 and totals.high.get(dim.key, 0.0) > totals.low.get(dim.key, 0.0)
    )
    if total_weight == 0:
        return {}
    return {
        dim.key: 100.0 * dim.weight / (totals.high[dim.key] - totals.low[dim.key]) / total_weight
        for dim in model.dimensions
        if dim.weight > 0 and totals.high.get(dim.key, 0.0) > totals.low.get(dim.key, 0.0)
    }


def _gain(question: Question, old: str, new: str, per_point: Mapping[str, float]) -> float:
    old_w, new_w = question.choice_map[old].weights, question.choice_map[new].weights
    return sum(
        (new_w.get(dim, 0.0) - old_w.get(dim, 0.0)) * per_point.get(dim, 0.0)
        for dim in question.dimension_bounds
    )


def _main_dimension(question: Question, old: str, new: str) -> str:
    old_w, new_w = question.choice_map[old].weights, question.choice_map[new].weights
    deltas = {dim: new_w.get(dim, 0.0) - old_w.get(dim, 0.0) for dim in question.dimension_bounds}
    return max(deltas, key=deltas.__getitem__) if deltas else ""


def _cost(condition: Condition, answers: Mapping[str, str]) -> int:
    """How many answer changes, at least, make a condition false (0 if it already is)."""
    if condition.op == "any":
        return sum(_cost(child, answers) for child in condition.children)
    if condition.op == "all":
        costs = [_cost(child, answers) for child in condition.children]
        return min(costs) if all(costs) else 0
    return 1 if condition.matches(answers) else 0


def _blocking_costs(rules: Iterable[Rule], answers, target: str) -> dict[str, int]:
    """Rules that cap below `target` and still fire, with what it takes to clear each."""
    costs = {}
    for rule in rules:
        if VERDICT_RANK[rule.cap] < VERDICT_RANK[target]:
            cost = _cost(rule.when, answers)
            if cost:
                costs[rule.id] = cost
    return costs


def _path_to(
    model: ScoringModel, answers: dict[str, str], totals: _Totals, target: str
) -> tuple[Change, ...]:
    """A small set of answer changes that lifts the verdict to `target`.

    First clear every rule that caps below the target: each step takes the change that brings
    the blocking rules closest to cleared, moving an answer no further than needed. Then, if
    the score still falls short, add the changes with the largest score gains. Only answered
    questions are changed, and only towards safer choices.
    """
    per_point = _gain_per_point(model, totals)
    current = dict(answers)
    reasons: dict[str, list[str]] = {}
    blocking = _blocking_costs(model.rules, current, target)

    while blocking:
        best = None
        for key, choice in current.items():
            question = model.question_map[key]
            related = model.rules_by_question.get(key, ())
            before = {r.id: blocking[r.id] for r in related if r.id in blocking}
            if not before:
                continue
            position = question.choice_keys.index(choice)
            # Nearest safer choice first: the plan asks for no more than the rule needs; the
            # score step below may move the answer further.
            for distance, option in enumerate(reversed(question.choices[:position]), start=1):
                after = _blocking_costs(related, {**current, key: option.key}, target)
                if set(after) - set(before):
                    continue  # would trip another blocking rule
                progress = sum(before.values()) - sum(after.values())
                if progress > 0 and (best is None or (progress, -distance) > best[0]):
                    helped = [rid for rid in before if after.get(rid, 0) < before[rid]]
                    best = ((progress, -distance), key, option.key, helped)
        if best is None:
            return ()  # nothing makes progress; offer no false plan
        _, key, new_choice, helped = best
        current[key] = new_choice
        listed = reasons.setdefault(key, [])
        listed.extend(rid for rid in helped if rid not in listed)
        blocking = _blocking_costs(model.rules, current, target)

    # The score is linear in the points while the answered questions stay the same, so each
    # question's best safer choice has a fixed gain: take the largest gains until the score
    # reaches the target. Questions already on the path come first at equal gain.
    raw = _overall_raw(model, _dimension_scores(model, _totals(model, current)))
    needed = model.thresholds[target]
    candidates = []
    for key, choice in current.items():
        question = model.question_map[key]
        related = model.rules_by_question.get(key, ())
        position = question.choice_keys.index(choice)
        options = [
            (_gain(question, choice, option.key, per_point), option.key)
            for option in question.choices[:position]
            if not _blocking_costs(related, {**current, key: option.key}, target)
        ]
        if options:
            gain, option_key = max(options)
            if gain > 0:
                candidates.append((gain, key in reasons, key, option_key))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    for gain, _, key, option_key in candidates:
        if raw is not None and round(raw, 1) >= needed:
            break
        current[key] = option_key
        reasons.setdefault(key, [])
        raw = (raw or 0.0) + gain

    # Check the plan against the full engine: a change can hide or show a follow-up question.
    if VERDICT_RANK[evaluate_verdict(model, current)] < VERDICT_RANK[target]:
        return ()
    labels = {dim.key: dim.label for dim in model.dimensions}
    changes = []
    for question in model.questions:
        key = question.key
        if key in reasons and current[key] != answers[key]:
            old, new = answers[key], current[key]
            dimension = _main_dimension(question, old, new)
            changes.append(
                Change(
                    question=key,
                    question_text=question.text,
                    from_choice=old,
                    from_label=question.choice_map[old].label,
                    to_choice=new,
                    to_label=question.choice_map[new].label,
                    rules_cleared=tuple(reasons[key]),
                    dimension=dimension,
                    dimension_label=labels.get(dimension, dimension),
                    control=question.control,
                )
            )
    return tuple(changes)


def evaluate_verdict(model: ScoringModel, answers: Mapping[str, str]) -> str:
    """The verdict alone, without the path; used to check a path and by property tests."""
    counted = effective_answers(model, answers)
    score = _overall(model, _dimension_scores(model, _totals(model, counted)))
    return _lowest([model.score_verdict(score), *(r.cap for r in _fired(model, counted))])
