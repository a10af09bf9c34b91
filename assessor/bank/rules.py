"""The rules that cap a verdict, and the conditions for ownership."""

from __future__ import annotations

from typing import Any

from assessor import engine

from .checker import Checker, text


def parse_rules(check: Checker, raw: Any, choices: dict[str, list[str]]) -> list[dict]:
    """Rules that cap the verdict (`cap:`) and rules that lift the score's verdict (`floor:`)."""
    rules: list[dict] = []
    if not isinstance(raw, list):
        check.fail("rules", "must be a list")
        raw = []
    for rule, where in check.keyed(raw, "rules", "rule", key="id"):
        kind, level = _kind(check, where, rule)
        if not text(rule.get("reason")):
            check.fail(where, "needs a reason a reviewer can read")
        when = check.condition(f"{where}.when", rule.get("when"), choices)
        rules.append(
            {
                "id": rule["id"],
                kind: level,
                "reason": text(rule.get("reason")),
                "when": when,
                "frameworks": check.refs(where, rule.get("frameworks")),
            }
        )
    return rules


# A cap holds the verdict below ownership; a floor lifts the score's verdict, never as far as
# ownership (which needs every condition and the score, whatever else holds).
CAPS = list(engine.VERDICTS[:-1])
FLOORS = list(engine.VERDICTS[1:-1])


def _kind(check: Checker, where: str, rule: dict) -> tuple[str, Any]:
    if "floor" in rule and "cap" in rule:
        check.fail(where, "a rule either caps the verdict or lifts it: give cap or floor, not both")
    if "floor" in rule:
        if rule["floor"] not in FLOORS:
            check.fail(where, f"floor must be one of {FLOORS}, not {rule['floor']!r}")
        return "floor", rule["floor"]
    if rule.get("cap") not in CAPS:
        check.fail(where, f"cap must be one of {CAPS}, not {rule.get('cap')!r}")
    return "cap", rule.get("cap")


def parse_ownership_conditions(
    check: Checker, raw: Any, choices: dict[str, list[str]]
) -> list[dict]:
    conditions = []
    for c, condition in enumerate(raw or []):
        where = f"ownership_conditions[{c}]"
        if not isinstance(condition, dict) or not text(condition.get("id")):
            check.fail(where, "needs an id")
            continue
        parsed = {
            "id": condition["id"],
            "title": text(condition.get("title")) or condition["id"],
            "when": check.condition(f"{where}.when", condition.get("when"), choices),
        }
        if text(condition.get("reason")):
            parsed["reason"] = text(condition["reason"])
        conditions.append(parsed)
    return conditions
