"""The checker every part of the parser reports to: problems, references and conditions."""

from __future__ import annotations

import math
from typing import Any

from assessor.records.validators import condition_problem


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


class Checker:
    """Collects every problem of a bank, so one refusal names them all."""

    def __init__(self, catalog: dict[str, dict[str, str]]):
        self.catalog = catalog
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def keyed(self, raw: list, path: str, noun: str, key: str = "key", prefix: str = ""):
        """Each mapping of a list of keyed items, with the name to report its problems under.

        An item without its key is named by position and skipped; a key seen before is named
        as a duplicate (the item still counts, so its other problems are named too)."""
        needs = f"needs {'an' if key[0] in 'aeiou' else 'a'} {key}"
        seen = set()
        for index, item in enumerate(raw):
            if not isinstance(item, dict) or not text(item.get(key)):
                self.fail(f"{path}[{index}]", needs)
                continue
            where = f"{prefix}{noun} {item[key]!r}"
            if item[key] in seen:
                self.fail(where, f"duplicate {noun} {key}")
            seen.add(item[key])
            yield item, where

    def refs(self, where: str, value: Any) -> list[str]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, "frameworks must be a list of references such as 'csf:PR.AA-05'")
            return []
        for ref in value:
            if ref not in self.catalog:
                self.fail(where, f"unknown framework reference {ref!r}")
        # A set in meaning: kept in catalog order, so a bank read back from the database
        # (where references have no order) compiles to the same document.
        order = {ref: position for position, ref in enumerate(self.catalog)}
        return sorted(set(value), key=lambda ref: order.get(ref, len(order)))

    def condition(
        self, where: str, value: Any, choices: dict[str, list[str]], unknown="unknown question"
    ) -> dict | None:
        """Check a condition against the questions in `choices` (key -> its choice keys)."""
        # Shape and depth first, without recursion: a condition nested hundreds deep must get
        # a clear refusal, not exhaust the stack.
        problem = condition_problem(value, where)
        if problem is not None:
            self.problems.append(problem)
            return None
        return self._condition(where, value, choices, unknown)

    def _condition(self, where, value, choices, unknown) -> dict | None:
        if not isinstance(value, dict):
            self.fail(where, "a condition must be a mapping")
            return None
        for op in ("all", "any"):
            if op in value:
                return self._group(where, value, op, choices, unknown)
        return self._leaf(where, value, choices, unknown)

    def _group(self, where, value, op, choices, unknown) -> dict | None:
        children = value[op]
        if set(value) != {op} or not isinstance(children, list) or not children:
            self.fail(where, f"'{op}' must be the only key and hold a non-empty list")
            return None
        parsed = [
            self._condition(f"{where}.{op}[{i}]", child, choices, unknown)
            for i, child in enumerate(children)
        ]
        return None if None in parsed else {op: parsed}

    def _leaf(self, where, value, choices, unknown) -> dict | None:
        ops = [op for op in ("in", "not_in") if op in value]
        if set(value) - {"question", "in", "not_in"} or len(ops) != 1 or "question" not in value:
            self.fail(where, "a condition needs 'question' and one of 'in' or 'not_in'")
            return None
        op, key = ops[0], value["question"]
        if key not in choices:
            self.fail(where, f"names {unknown} {key!r}")
            return None
        listed = value[op]
        if not isinstance(listed, list) or not listed:
            self.fail(where, f"'{op}' must be a non-empty list of choice keys")
            return None
        unknown = [c for c in listed if c not in choices[key]]
        if unknown:
            self.fail(where, f"names unknown choice(s) {unknown} of question {key!r}")
            return None
        return {"question": key, op: list(listed)}
