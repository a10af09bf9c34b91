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

from collections.abc import Callable, Iterable, Mapping
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
        return self._test(answers)

    @cached_property
    def _test(self) -> Callable[[Mapping[str, str]], bool]:
        """The condition compiled to a closure once: the path search tests conditions often."""
        if self.op in ("all", "any"):
            tests = tuple(child._test for child in self.children)
            if self.op == "all":
                return lambda answers: all(test(answers) for test in tests)
            return lambda answers: any(test(answers) for test in tests)
        key, choices = self.question, self.choices
        if self.op == "in":
            return lambda answers: answers.get(key) in choices
        return lambda answers: (answer := answers.get(key)) is not None and answer not in choices

    def questions(self) -> frozenset[str]:
        if self.children:
            return frozenset().union(*(child.questions() for child in self.children))
        return frozenset({self.question})


def negate(condition: Condition) -> Condition:
    """The condition that holds when `condition` does not, over answered questions."""
    if condition.op in ("all", "any"):
        flipped = "any" if condition.op == "all" else "all"
        return Condition(op=flipped, children=tuple(negate(c) for c in condition.children))
    flipped = "not_in" if condition.op == "in" else "in"
    return Condition(op=flipped, question=condition.question, choices=condition.choices)


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
    # A scope question describes the workflow itself (its task, environment, business
    # impact), not a control: the path to the next level never proposes changing it.
    scope: bool = False
    # An optional question counts only when answered: shown and left unanswered it counts for
    # nothing (it is not assumed at its riskiest). Banks give optional questions no points and
    # fire rules only on their risky choices, so leaving one out keeps the earlier reading.
    optional: bool = False

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
    def weight_rows(self) -> dict[str, tuple[tuple[str, float, float, float], ...]]:
        """choice key -> (dimension, points, lowest, highest) for each dimension it touches."""
        return {
            choice.key: tuple(
                (dim, choice.weights.get(dim, 0.0), low, high)
                for dim, (low, high) in self.dimension_bounds.items()
            )
            for choice in self.choices
        }

    @cached_property
    def choice_keys(self) -> tuple[str, ...]:
        return tuple(choice.key for choice in self.choices)

    @property
    def safest(self) -> Choice:
        return self.choices[0]

    @property
    def riskiest(self) -> Choice:
        """Choices are listed safest first; an unanswered, shown follow-up counts as this one."""
        return self.choices[-1]


@dataclass(frozen=True)
class Rule:
    id: str
    cap: str
    reason: str
    when: Condition
    frameworks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Floor:
    """A rule that lifts the score's verdict to at least `floor` when its condition holds.

    Caps still apply after it: the verdict is the lowest of (the score's verdict lifted by every
    floor that holds) and every cap that fires.
    """

    id: str
    floor: str
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
    note: str = ""  # why it is cited, where the title alone would mislead


@dataclass(frozen=True)
class OwnershipCondition:
    """One of the four conditions for ownership. They are binding: each one not met is a rule
    capping the verdict at supervised (see `binding_rule`)."""

    id: str
    title: str
    when: Condition
    reason: str = ""
    frameworks: tuple[str, ...] = ()

    @property
    def rule_id(self) -> str:
        return f"condition-{self.id}"

    def binding_rule(self) -> Rule:
        reason = self.reason or (
            f"{self.title}: this condition for ownership is not met, and bounded ownership "
            "requires all four; a person approves each change until it is."
        )
        # The negation fires only once the condition's questions are answered, like any rule.
        return Rule(self.rule_id, "supervised", reason, negate(self.when), self.frameworks)


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
    # Both hold for every bank parsed today; documents stored before questionnaire 2026.2 lack
    # them and keep the engine's earlier reading, so records pinned to them never rescore.
    binding_conditions: bool = True
    follow_ups_assumed_riskiest: bool = True
    floors: tuple[Floor, ...] = ()

    @cached_property
    def question_map(self) -> dict[str, Question]:
        return {question.key: question for question in self.questions}

    @cached_property
    def core_keys(self) -> tuple[str, ...]:
        return tuple(question.key for question in self.questions if question.core)

    @cached_property
    def binding_rules(self) -> tuple[Rule, ...]:
        """The bank's rules and, after them, one rule per condition for ownership."""
        if not self.binding_conditions:
            return self.rules
        return self.rules + tuple(c.binding_rule() for c in self.ownership_conditions)

    @cached_property
    def weight_rows(self) -> dict[str, dict[str, tuple[tuple[int, float, float, float], ...]]]:
        """question -> choice -> (dimension index, points, lowest, highest) per dimension it
        touches: the totals are summed over this, many times per path search."""
        index = {dim.key: i for i, dim in enumerate(self.dimensions)}
        return {
            question.key: {
                choice: tuple(
                    (index[dim], value, low, high) for dim, value, low, high in rows if dim in index
                )
                for choice, rows in question.weight_rows.items()
            }
            for question in self.questions
        }

    @cached_property
    def parent_keys(self) -> frozenset[str]:
        """Questions whose answer shows or hides a follow-up."""
        return frozenset().union(
            *(q.show_if.questions() for q in self.questions if q.show_if is not None)
        )

    @cached_property
    def scope_keys(self) -> frozenset[str]:
        return frozenset(question.key for question in self.questions if question.scope)

    @cached_property
    def rules_by_question(self) -> dict[str, tuple[Rule, ...]]:
        index: dict[str, list[Rule]] = {}
        for rule in self.binding_rules:
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

    def lifted(self, score_verdict: str, scored: Mapping[str, str]) -> str:
        """The score's verdict lifted by every floor whose condition holds."""
        levels = [score_verdict, *(f.floor for f in self.floors if f.when.matches(scored))]
        return max(levels, key=VERDICT_RANK.__getitem__)


# --- the result ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FiredRule:
    id: str
    cap: str
    reason: str
    frameworks: tuple[str, ...]


@dataclass(frozen=True)
class FiredFloor:
    id: str
    floor: str
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
    assumed: bool = False  # the question was left unanswered and counted at its riskiest


@dataclass(frozen=True)
class ConditionStatus:
    id: str
    title: str
    met: bool


@dataclass(frozen=True)
class CoreProgress:
    """Core questions answered out of core questions: the one counter every page shows."""

    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / self.total) if self.total else 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered >= self.total

    def __str__(self) -> str:
        return f"{self.answered} of {self.total} core questions answered"


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
    answers: Mapping[str, str]  # the answers given that count: visible and known
    assumed: tuple[str, ...] = ()  # shown follow-ups left unanswered, scored at their riskiest
    # Scope questions that stand in the way when no change of controls reaches the next level.
    next_level_blocked_by: tuple[str, ...] = ()
    # While core answers are missing: the lowest and highest verdicts still possible.
    verdict_range: tuple[str, str] | None = None
    core_total: int = 0  # how many core questions the bank has
    floors_applied: tuple[FiredFloor, ...] = ()  # floors that lifted the verdict it stands at
    # When scope blocks the next level: the fired rules on controls alone that cap below it,
    # which a narrower scope would leave standing.
    control_gaps: tuple[FiredRule, ...] = ()
    optional_unanswered: tuple[str, ...] = ()  # shown optional questions left unanswered

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def progress(self) -> CoreProgress:
        """Core questions answered (a hidden or unanswered core question is missing)."""
        return CoreProgress(self.core_total - len(self.missing), self.core_total)

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def meaning(self) -> str:
        return VERDICT_MEANINGS[self.verdict]

    @property
    def range_labels(self) -> tuple[str, str] | None:
        if self.verdict_range is None:
            return None
        return VERDICT_LABELS[self.verdict_range[0]], VERDICT_LABELS[self.verdict_range[1]]

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
                    "assumed": c.assumed,
                }
                for c in self.next_level
            ],
            "next_level_blocked_by": list(self.next_level_blocked_by),
            "control_gaps": [
                {"id": r.id, "cap": r.cap, "reason": r.reason, "frameworks": list(r.frameworks)}
                for r in self.control_gaps
            ],
            "floors_applied": [
                {"id": f.id, "floor": f.floor, "reason": f.reason, "frameworks": list(f.frameworks)}
                for f in self.floors_applied
            ],
            "optional_unanswered": list(self.optional_unanswered),
            "conditions": [{"id": c.id, "title": c.title, "met": c.met} for c in self.conditions],
            "assumed": list(self.assumed),
            "frameworks": [
                {"framework": f.framework, "id": f.id, "title": f.title, "note": f.note}
                for f in self.frameworks
            ],
            "complete": self.complete,
            "missing": list(self.missing),
            "verdict_range": (
                None
                if self.verdict_range is None
                else {"lowest": self.verdict_range[0], "highest": self.verdict_range[1]}
            ),
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


def _filled(model: ScoringModel, answers: Mapping[str, str], pick, keys=None) -> dict[str, str]:
    """The answers with every shown, unanswered question (of `keys`, if given) set by `pick`."""
    filled: dict[str, str] = {}
    for question in model.questions:
        if question.show_if is not None and not question.show_if.matches(filled):
            continue
        choice = answers.get(question.key)
        if choice is not None and (keys is None or question.key not in keys):
            filled[question.key] = choice
        elif keys is None or question.key in keys:
            filled[question.key] = pick(question).key
    return filled


def _verdict_range(model: ScoringModel, given: Mapping[str, str]) -> tuple[str, str]:
    """The lowest and highest verdicts the answers so far still allow: every question still
    open (core or shown follow-up) at its riskiest, then at its safest."""
    lowest = evaluate_verdict(model, _filled(model, given, lambda q: q.riskiest))
    highest = evaluate_verdict(model, _filled(model, given, lambda q: q.safest))
    return lowest, highest


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


class _Planner:
    """The smallest set of control changes that lifts a complete assessment to `target`.

    1. Feasibility: set every control question (every question not marked scope, follow-ups
       included) to its safest choice. If even that does not reach the target, the scope of
       the workflow stands in the way: no plan, and the scope questions that block are named.
    2. Build: a forward search clears the blocking rules one change at a time, then adds the
       largest score gains; where the all-safest plan is small, trimming it (in two orders) is
       tried as well. Each candidate is minimised: every change that is not needed is dropped
       (least useful first), then each remaining one is moved back as near to the reviewer's
       answer as still reaches the target, never onto a choice a rule calls a weakness. The
       plan with fewer changes wins, then the one that clears more rules.

    Every candidate is checked with the full engine (visibility, assumed follow-ups, rules,
    conditions and score), so a plan always reaches the level it names.
    """

    def __init__(self, model, given, scored, outcome, target):
        self.model = model
        self.given = given
        self.scored = scored
        self.outcome = outcome
        self.target = target
        self.rank = VERDICT_RANK[target]
        self.capping = [r for r in model.binding_rules if VERDICT_RANK[r.cap] < self.rank]
        self.capping_ids = frozenset(r.id for r in self.capping)
        self._seen: dict[tuple, bool] = {}
        self._anchor: tuple | None = None

    def reaches(self, plan: Mapping[str, str]) -> bool:
        key = tuple(sorted(plan.items()))
        if key not in self._seen:
            changed = self._one_change_from_anchor(plan)
            if changed is None:
                self._seen[key] = self._reaches({**self.given, **plan})
            else:
                self._seen[key] = self._reaches_by_one(plan, changed)
        return self._seen[key]

    def _reaches(self, answers: Mapping[str, str]) -> bool:
        """The full engine's verdict reaches the target; the rules first, as they are cheaper."""
        scored, _ = scored_answers(self.model, answers)
        if any(rule.when.matches(scored) for rule in self.capping):
            return False
        score = _overall(self.model, _dimension_scores(self.model, _totals(self.model, scored)))
        return VERDICT_RANK[self.model.lifted(self.model.score_verdict(score), scored)] >= self.rank

    # Trimming a plan tries it with one change dropped or moved, many times over. When that one
    # question shows or hides no follow-up, the rest of the answers count exactly as in the
    # plan being trimmed (the anchor), so only its rules and its points need looking at again.

    def anchor(self, plan: Mapping[str, str]) -> None:
        scored, _ = scored_answers(self.model, {**self.given, **plan})
        firing = {rule.id for rule in self.capping if rule.when.matches(scored)}
        self._anchor = (dict(plan), scored, _totals(self.model, scored), firing)

    def _one_change_from_anchor(self, plan: Mapping[str, str]) -> str | None:
        if self._anchor is None:
            return None
        anchored = self._anchor[0]
        changed = [k for k in plan.keys() | anchored.keys() if plan.get(k) != anchored.get(k)]
        if len(changed) != 1 or changed[0] in self.model.parent_keys:
            return None
        return changed[0]

    def _reaches_by_one(self, plan: Mapping[str, str], key: str) -> bool:
        _, scored, totals, firing = self._anchor
        question = self.model.question_map[key]
        if key not in scored:  # not counted in the anchor: let the full engine decide
            return self._reaches({**self.given, **plan})
        choice = plan.get(key, self.given.get(key))
        if choice is None:  # a shown follow-up left unanswered counts at its riskiest
            if question.core or question.optional or not self.model.follow_ups_assumed_riskiest:
                return self._reaches({**self.given, **plan})
            choice = question.riskiest.key
        related = {r.id for r in self.model.rules_by_question.get(key, ())}
        if firing - related:
            return False
        trial = {**scored, key: choice}
        for rule in self.model.rules_by_question.get(key, ()):
            if rule.id in self.capping_ids and rule.when.matches(trial):
                return False
        rows = self.model.weight_rows[key]
        points = list(totals.points)
        for index, value, _, _ in rows[scored[key]]:
            points[index] -= value
        for index, value, _, _ in rows[choice]:
            points[index] += value
        moved = _Totals(points, totals.low, totals.high)
        score = _overall(self.model, _dimension_scores(self.model, moved))
        return VERDICT_RANK[self.model.lifted(self.model.score_verdict(score), trial)] >= self.rank

    def plan(self) -> tuple[tuple[Change, ...], tuple[str, ...]]:
        model = self.model
        controls = frozenset(q.key for q in model.questions if not q.scope)
        best = _filled(
            model,
            {k: v for k, v in self.scored.items() if k not in controls},
            lambda q: q.safest,
            keys=controls,
        )
        everything = {k: v for k, v in best.items() if self.scored.get(k) != v}
        if not self.reaches(everything):
            return (), self._blocked_by(best)
        candidates = []
        forward = self._forward(everything)
        if forward is not None:
            candidates.append(self._minimise(forward, self._drop_orders(forward)[0]))
        # Dropping from the all-safest plan finds plans the forward search misses; it costs a
        # full check per change, so it runs where the plan to trim is small.
        if forward is None or len(everything) <= self.TRIM_LIMIT:
            candidates += [self._minimise(everything, o) for o in self._drop_orders(everything)]
        chosen = min(candidates, key=lambda p: (len(p), -len(self._cleared(p)), sorted(p.items())))
        return self._changes(chosen), ()

    TRIM_LIMIT = 8

    def _forward(self, everything: Mapping[str, str]) -> dict[str, str] | None:
        """A plan built up cheaply in two passes: clear the blocking rules, then add the
        largest score gains. Checked with the full engine; None if it falls short."""
        cleared = self._clear_rules(everything)
        if cleared is None:
            return None
        plan, current = cleared
        return self._add_score_gains(everything, plan, current)

    def _clear_rules(self, everything: Mapping[str, str]) -> tuple[dict, dict] | None:
        """Clear the blocking rules one change at a time (each step the change that leaves
        fewest of them firing, nearest safer choice first): (plan, answers with the plan), or
        None if a rule cannot be cleared this way. Rules only: no score, no engine."""
        model = self.model
        plan: dict[str, str] = {}
        current = dict(self.scored)
        firing = {rule.id for rule in self.capping if rule.when.matches(current)}
        while firing:
            best = None
            for key in everything:
                question = model.question_map[key]
                related = [
                    r for r in model.rules_by_question.get(key, ()) if r.id in self.capping_ids
                ]
                before = sum(r.id in firing for r in related)
                if not before:
                    continue
                position = question.choice_keys.index(current.get(key, question.riskiest.key))
                for distance, option in enumerate(reversed(question.choices[:position]), 1):
                    trial = {**current, key: option.key}
                    after = sum(r.when.matches(trial) for r in related)
                    if after < before and (best is None or (after - before, distance) < best[0]):
                        best = ((after - before, distance), key, option.key)
            if best is None:
                return None
            _, key, choice = best
            plan[key] = current[key] = choice
            firing = {rule.id for rule in self.capping if rule.when.matches(current)}
        return plan, current

    def _add_score_gains(
        self, everything: Mapping[str, str], plan: dict[str, str], current: dict[str, str]
    ) -> dict[str, str] | None:
        """Add the largest score gains to a plan that fires no blocking rule, until the full
        engine says it reaches the target; None if the plan still falls short."""
        model = self.model
        totals = _totals(model, current)
        # The score is linear in the points while the answered questions stay the same, so
        # the gains add up; the full engine is asked only once the sum comes near the
        # threshold (with room for a follow-up that a change shows or hides).
        score = _overall(model, _dimension_scores(model, totals)) or 0.0
        needed = model.thresholds[self.target] - self.SCORE_MARGIN
        if (score >= needed or self._floored({**current, **plan})) and self.reaches(plan):
            return plan
        gains = _gain_per_point(model, totals)
        options = []
        for key in everything:
            question = model.question_map[key]
            old = current.get(key, question.riskiest.key)
            gain = _gain(question, old, everything[key], gains)
            if gain > 0:
                # Moving a question already in the plan further costs no extra change.
                options.append((key not in plan, -gain, key))
        for _, less, key in sorted(options):
            plan[key] = everything[key]
            score -= less
            if (score >= needed or self._floored({**current, **plan})) and self.reaches(plan):
                return plan
        # The sum of gains fell short; the full engine has the last word all the same.
        return plan if score < needed and self.reaches(plan) else None

    SCORE_MARGIN = 5.0

    def _floored(self, answers: Mapping[str, str]) -> bool:
        """A floor alone lifts these answers to the target, whatever their score."""
        return VERDICT_RANK[self.model.lifted(VERDICTS[0], answers)] >= self.rank

    def _drop_orders(self, plan: Mapping[str, str]) -> list[list[str]]:
        """Least useful first: score-only changes by smallest gain, then rule-clearing ones."""
        blocking = {
            k
            for rule in self.outcome.fired
            if VERDICT_RANK[rule.cap] < self.rank
            for k in rule.when.questions()
        }
        position = {q.key: i for i, q in enumerate(self.model.questions)}
        by_use = sorted(plan, key=lambda k: (k in blocking, self._gain(k, plan[k]), position[k]))
        return [by_use, sorted(plan, key=position.__getitem__, reverse=True)]

    def _gain(self, key: str, choice: str) -> float:
        question = self.model.question_map[key]
        old = question.choice_map[self.scored.get(key, question.riskiest.key)].weights
        new = question.choice_map[choice].weights
        return sum(new.get(d, 0.0) - old.get(d, 0.0) for d in question.dimension_bounds)

    def _minimise(self, plan: Mapping[str, str], order: list[str]) -> dict[str, str]:
        plan = dict(plan)
        self.anchor(plan)
        for key in order:
            trial = {k: v for k, v in plan.items() if k != key}
            if self.reaches(trial):
                plan = trial
                self.anchor(plan)
        # Ask no more of each control than the target needs: nearest safer choice first, but
        # never one that a rule of the bank itself counts as a weakness.
        for key in list(plan):
            question = self.model.question_map[key]
            related = self.model.rules_by_question.get(key, ())
            start = question.choice_keys.index(self.scored.get(key, question.riskiest.key))
            end = question.choice_keys.index(plan[key])
            for position in range(start - 1, end, -1):
                trial = {**plan, key: question.choices[position].key}
                weak = {**self.scored, **trial}
                if not any(r.when.matches(weak) for r in related) and self.reaches(trial):
                    plan = trial
                    self.anchor(plan)
                    break
        return plan

    def _cleared(self, plan: Mapping[str, str]) -> set[str]:
        after, _ = scored_answers(self.model, {**self.given, **plan})
        return {rule.id for rule in self.outcome.fired if not rule.when.matches(after)}

    def _blocked_by(self, best: Mapping[str, str]) -> tuple[str, ...]:
        """The scope answers that keep even the all-safest controls below the target."""
        model = self.model
        scored, _ = scored_answers(model, best)
        outcome = _outcome(model, scored)
        keys: set[str] = set()
        for rule in outcome.fired:
            if VERDICT_RANK[rule.cap] < self.rank:
                keys.update(rule.when.questions() & model.scope_keys)
        not_safest = {
            k
            for k in model.scope_keys
            if k in scored and scored[k] != model.question_map[k].safest.key
        }
        if VERDICT_RANK[outcome.lifted] < self.rank:
            keys.update(not_safest)
        keys = keys or not_safest
        return tuple(q.key for q in model.questions if q.key in keys)

    def _changes(self, plan: Mapping[str, str]) -> tuple[Change, ...]:
        model = self.model
        cleared = self._cleared(plan)
        labels = {dim.key: dim.label for dim in model.dimensions}
        changes = []
        for question in model.questions:
            key = question.key
            if key not in plan:
                continue
            old, new = self.scored.get(key, question.riskiest.key), plan[key]
            dimension = _main_dimension(question, old, new)
            changes.append(
                Change(
                    question=key,
                    question_text=question.text,
                    from_choice=old,
                    from_label=question.choice_map[old].label,
                    to_choice=new,
                    to_label=question.choice_map[new].label,
                    rules_cleared=tuple(
                        rule.id
                        for rule in model.binding_rules
                        if rule.id in cleared and key in rule.when.questions()
                    ),
                    dimension=dimension,
                    dimension_label=labels.get(dimension, dimension),
                    control=question.control,
                    assumed=key not in self.given,
                )
            )
        return tuple(changes)


def changes_by_effect(model: ScoringModel, result: Result) -> tuple[Change, ...]:
    """The plan's changes, most decisive first: those that clear rules before those that only
    add points, the most rules cleared first, then the largest score gain; ties keep the bank's
    order. Presentation only: `result.next_level` keeps the bank's order for the API."""
    scored, _ = scored_answers(model, result.answers)
    per_point = _gain_per_point(model, _totals(model, scored))

    def gain(change: Change) -> float:
        question = model.question_map[change.question]
        return _gain(question, change.from_choice, change.to_choice, per_point)

    return tuple(sorted(result.next_level, key=lambda c: (-len(c.rules_cleared), -gain(c))))


def _gain_per_point(model: ScoringModel, totals: _Totals) -> dict[str, float]:
    """How much the overall score moves per point on each dimension, the answered questions
    held as they are (the score is linear in the points while that set stays the same)."""
    spans = {
        dim.key: totals.high[index] - totals.low[index]
        for index, dim in enumerate(model.dimensions)
        if dim.weight > 0
    }
    total_weight = sum(dim.weight for dim in model.dimensions if spans.get(dim.key, 0) > 0)
    if total_weight == 0:
        return {}
    return {
        dim.key: 100.0 * dim.weight / spans[dim.key] / total_weight
        for dim in model.dimensions
        if spans.get(dim.key, 0) > 0
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
