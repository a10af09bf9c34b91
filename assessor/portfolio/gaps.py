"""What holds one approved record back, read from its frozen result (the engine's own output).

Each cap rule that fired on the record holds it back from bounded ownership; a condition for
ownership not met is one of them (a binding rule named `condition-<id>`). Fixing that one
control "lifts" the record when the engine's plan for the next level (`next_level`, the
smallest set of control changes that reaches it) consists only of changes that clear it: then
those changes, and nothing else, move the record up one verdict.

Pure: a snapshot's result dict in, plain rows out. Called at approval (so a portfolio page never
runs the engine over thousands of records) and by the data migration for older approvals.
"""

from __future__ import annotations

from dataclasses import dataclass

CONDITION = "condition"
RULE = "rule"
CONDITION_PREFIX = "condition-"


@dataclass(frozen=True)
class Gap:
    kind: str  # CONDITION or RULE
    key: str  # the rule's id (a condition's binding rule: condition-<id>)
    label: str
    lifts: bool  # fixing this control alone lifts the record one verdict, per the engine's plan


def _lifts(rule_id: str, plan: list[dict]) -> bool:
    return bool(plan) and all(rule_id in change.get("rules_cleared", ()) for change in plan)


def gaps_of(result: dict | None) -> list[Gap]:
    """The controls holding a record back, from `Result.to_dict()` as frozen at submission."""
    if not result:
        return []
    plan = result.get("next_level") or []
    titles = {c["id"]: c["title"] for c in result.get("conditions") or ()}
    gaps: dict[str, Gap] = {}
    for rule in result.get("rules_fired") or ():
        rule_id = rule["id"]
        if rule_id.startswith(CONDITION_PREFIX):
            condition = rule_id.removeprefix(CONDITION_PREFIX)
            label = titles.get(condition, rule.get("reason", condition))
            gaps[rule_id] = Gap(CONDITION, rule_id, label, _lifts(rule_id, plan))
        else:
            gaps[rule_id] = Gap(RULE, rule_id, rule.get("reason", rule_id), _lifts(rule_id, plan))
    # A snapshot from before conditions were binding lists an unmet one only as a condition.
    for condition in result.get("conditions") or ():
        rule_id = CONDITION_PREFIX + condition["id"]
        if not condition.get("met") and rule_id not in gaps and result.get("verdict") != "owner":
            gaps[rule_id] = Gap(CONDITION, rule_id, condition["title"], False)
    return list(gaps.values())
