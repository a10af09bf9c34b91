"""The engine's values: verdicts, questions and choices, rules and floors, the scoring model,
and the result of an evaluation. Frozen dataclasses, built once per bank version.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
