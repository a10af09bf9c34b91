"""The rules that cap a verdict, and the conditions for ownership."""

from __future__ import annotations

from typing import Any

from .. import scoring
from .checker import Checker, text


def parse_rules(check: Checker, raw: Any, choices: dict[str, list[str]]) -> list[dict]:
    rules: list[dict] = []
    if not isinstance(raw, list):
        check.fail("rules", "must be a list")
        raw = []
    caps = list(scoring.VERDICTS[:-1])
    for rule, where in check.keyed(raw, "rules", "rule", key="id"):
        if rule.get("cap") not in caps:
            check.fail(where, f"cap must be one of {caps}, not {rule.get('cap')!r}")
        if not text(rule.get("reason")):
            check.fail(where, "needs a reason a reviewer can read")
        when = check.condition(f"{where}.when", rule.get("when"), choices)
        rules.append(
            {
                "id": rule["id"],
                "cap": rule.get("cap"),
                "reason": text(rule.get("reason")),
                "when": when,
                "frameworks": check.refs(where, rule.get("frameworks")),
            }
        )
    return rules


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
