"""What brought each framework reference into a report: the findings it is tied to.

Pure functions over the scoring model, the bank document and a result: no database. The
report lists, beside each reason (a rule that holds the verdict down), each condition for
ownership not met and each weak area, the references it touches; the appendix lists every
reference once with what it is cited for. A floor that lifted the verdict (a clear, enforced
approval chain: at least Supervised) is a reason too. Rule ids never appear in what a person
reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assessor import engine

# Short names that keep an identifier unambiguous beside a finding ("T3" alone is not).
SHORT_NAMES = {
    "asi": "OWASP",
    "owasp_threats": "OWASP threat",
    "maestro": "MAESTRO",
    "ai_rmf": "AI RMF",
    "csf": "CSF 2.0",
    "sp800_53": "SP 800-53",
    "eu_ai_act": "EU AI Act",
}
DECISION_REASON = (
    "Applies to the decision itself: how much authority an AI agent holds over the workflow "
    "and how a person oversees it."
)


@dataclass(frozen=True)
class Ref:
    """A framework reference as the report shows it."""

    ref: str  # "prefix:id", the bank's key
    framework: str
    id: str
    title: str
    label: str  # e.g. "SP 800-53 AC-5"
    note: str = ""


@dataclass(frozen=True)
class Reason:
    number: int
    rule: str  # the rule id: for data attributes and tests only, never shown
    cap: str  # the level: the rule holds the verdict at it, or a floor lifts it to it
    text: str
    refs: tuple[Ref, ...]
    condition: bool  # a condition for ownership not met
    floor: bool = False  # a floor that lifted the score's verdict, not a cap
    # Rules with the same cause shown as this one reason (ids for data attributes and tests),
    # and the conditions for ownership among them, by title, for the reader.
    rules: tuple[str, ...] = ()
    also_conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Area:
    """A dimension below the level ownership needs."""

    key: str
    label: str
    value: float
    refs: tuple[Ref, ...]


@dataclass
class Citation:
    ref: Ref
    reasons: list[int] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    areas: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    decision: str = ""

    @property
    def cited_for(self) -> str:
        parts = []
        if self.decision:
            parts.append(self.decision)
        if self.reasons:
            word = "reason" if len(self.reasons) == 1 else "reasons"
            parts.append(f"{word} {', '.join(str(n) for n in self.reasons)}")
        parts += [f"{title} (not met)" for title in self.conditions]
        parts += [f"{label} (weak area)" for label in self.areas]
        if not parts and self.answers:
            parts.append("answers short of the safest: " + ", ".join(self.answers))
        return "; ".join(parts)


def short_ref(ref: engine.FrameworkRef) -> Ref:
    prefix = ref.ref.split(":", 1)[0]
    short = SHORT_NAMES.get(prefix, ref.framework)
    return Ref(ref.ref, ref.framework, ref.id, ref.title, f"{short} {ref.id}", ref.note)


def _refs(model: engine.ScoringModel, keys) -> tuple[Ref, ...]:
    order = model.framework_order
    known = [key for key in dict.fromkeys(keys) if key in model.frameworks]
    return tuple(short_ref(model.frameworks[key]) for key in sorted(known, key=order.__getitem__))


def reasons(model: engine.ScoringModel, result: engine.Result) -> list[Reason]:
    """Every rule holding the verdict down, most severe first; within a level the bank's own
    rules before the conditions for ownership (the conditions have their own checklist).

    Floors that lifted the score's verdict are reasons too: first when the verdict stands above
    what the score alone gives (the floor is why it is that high), else after the caps.
    """
    condition_rules = {c.rule_id for c in model.ownership_conditions}
    fired = sorted(
        result.rules_fired,
        key=lambda r: (engine.VERDICT_RANK[r.cap], r.id in condition_rules),
    )
    merged = _same_cause(model, fired)
    titles = {c.rule_id: c.title for c in model.ownership_conditions}
    caps = []
    for r in fired:
        if r.id in merged:
            continue
        into = [m for m, lead in merged.items() if lead == r.id]
        refs = [*r.frameworks, *(ref for f in fired if f.id in into for ref in f.frameworks)]
        also = tuple(titles[m] for m in into)
        caps.append(
            (r.id, r.cap, r.reason, refs, r.id in condition_rules, False, (r.id, *into), also)
        )
    floors = [
        (f.id, f.floor, f.reason, f.frameworks, False, True, (f.id,), ())
        for f in result.floors_applied
    ]
    lifted = engine.VERDICT_RANK[result.verdict] > engine.VERDICT_RANK[result.score_verdict]
    ordered = [*floors, *caps] if lifted else [*caps, *floors]
    return [
        Reason(n, rule, level, text, _refs(model, refs), condition, floor, rules, also)
        for n, (rule, level, text, refs, condition, floor, rules, also) in enumerate(
            ordered, start=1
        )
    ]


def _same_cause(model: engine.ScoringModel, fired) -> dict[str, str]:
    """Condition-for-ownership rules that say what a bank rule already says: each one that
    asks about exactly the same questions as a fired bank rule, mapped to that rule. The first
    such rule in the list (the most severe) leads. Only the presentation merges them: the
    result's `rules_fired` keeps every rule."""
    condition_rules = {c.rule_id for c in model.ownership_conditions}
    questions = {r.id: frozenset(r.when.questions()) for r in model.binding_rules}
    merged = {}
    for condition in (r for r in fired if r.id in condition_rules):
        asks = questions.get(condition.id)
        lead = next(
            (
                r.id
                for r in fired
                if r.id not in condition_rules and asks and questions.get(r.id) == asks
            ),
            None,
        )
        if lead:
            merged[condition.id] = lead
    return merged


def short_reason(model: engine.ScoringModel, rule: engine.FiredRule) -> Reason:
    """One fired rule as a reason outside the numbered list (the control gaps)."""
    condition = rule.id in {c.rule_id for c in model.ownership_conditions}
    return Reason(0, rule.id, rule.cap, rule.reason, _refs(model, rule.frameworks), condition)


def condition_refs(model: engine.ScoringModel) -> dict[str, tuple[Ref, ...]]:
    return {c.id: _refs(model, c.frameworks) for c in model.ownership_conditions}


def weak_areas(model, document: dict, result: engine.Result) -> list[Area]:
    """Dimensions scored below the ownership threshold, with the references the bank maps."""
    floor = model.thresholds.get("owner", 80)
    mapped = {d["key"]: d.get("frameworks", []) for d in document.get("dimensions", [])}
    return [
        Area(dim.key, dim.label, value, _refs(model, mapped.get(dim.key, [])))
        for dim in model.dimensions
        if (value := result.dimensions.get(dim.key)) is not None and value < floor
    ]


def decision_refs(model: engine.ScoringModel) -> list[Ref]:
    """References that apply to the decision itself, whatever the answers, each with why."""
    return list(_refs(model, model.baseline_frameworks))


def citations(model, result, found_reasons, areas) -> list[Citation]:
    """Every reference the report cites, in catalog order, with what it is cited for."""
    table: dict[str, Citation] = {}

    def cite(ref: Ref) -> Citation:
        return table.setdefault(ref.ref, Citation(ref))

    for ref in decision_refs(model):
        cite(ref).decision = ref.note or DECISION_REASON
    for reason in found_reasons:
        for ref in reason.refs:
            cite(ref).reasons.append(reason.number)
    refs_of = condition_refs(model)
    for condition in result.conditions:
        for ref in () if condition.met else refs_of.get(condition.id, ()):
            cite(ref).conditions.append(condition.title)
    for area in areas:
        for ref in area.refs:
            cite(ref).areas.append(area.label)
    for key, choice in result.answers.items():
        question = model.question_map[key]
        if choice != question.safest.key:
            for ref in _refs(model, question.frameworks):
                cite(ref).answers.append(question.control or question.text)
    for ref in _refs(model, [f.ref for f in result.frameworks]):
        cite(ref)
    order = model.framework_order
    return sorted(table.values(), key=lambda c: order.get(c.ref.ref, len(order)))
