"""The bank's dimensions (what is scored, and how much each counts) and its thresholds."""

from __future__ import annotations

from typing import Any

from assessor.records.validators import DIMENSION_WEIGHT_RANGE

from .checker import Checker, is_number, text
from .contract import CONTRACT_DIMENSIONS


def parse_dimensions(check: Checker, raw: Any) -> list[dict]:
    dimensions: list[dict] = []
    if not isinstance(raw, list) or not raw:
        check.fail("dimensions", "a non-empty list is required")
        raw = []
    for dim, where in check.keyed(raw, "dimensions", "dimension"):
        weight = _weight(check, where, dim.get("weight", 1))
        dimensions.append(
            {
                "key": dim["key"],
                "label": text(dim.get("label")) or dim["key"],
                "description": text(dim.get("description")),
                "weight": float(weight),
                "frameworks": check.refs(where, dim.get("frameworks")),
            }
        )
    keys = {d["key"] for d in dimensions}
    for key in CONTRACT_DIMENSIONS:
        if dimensions and key not in keys:
            check.fail("dimensions", f"contract dimension {key!r} is missing")
    if dimensions and not any(d["weight"] > 0 for d in dimensions):
        check.fail("dimensions", "at least one dimension needs a weight above 0")
    return dimensions


def _weight(check: Checker, where: str, weight: Any) -> float:
    """The dimension's weight, or 0 (with a problem named) when it is not a usable number."""
    lowest, highest = DIMENSION_WEIGHT_RANGE
    if not is_number(weight) or weight < 0:
        check.fail(where, f"weight must be a number of 0 or more, not {weight!r}")
        return 0
    if not lowest <= weight <= highest:
        check.fail(where, f"weight must be from {lowest} to {highest}, not {weight!r}")
        return 0
    return weight


def parse_thresholds(check: Checker, thresholds: Any) -> dict:
    """The minimum scores for supervised and owner, checked (converted once the bank is valid)."""
    if not isinstance(thresholds, dict):
        check.fail("thresholds", "a mapping with 'supervised' and 'owner' is required")
        return {}
    for key in ("supervised", "owner"):
        if not is_number(thresholds.get(key)):
            check.fail(f"thresholds.{key}", f"must be a number, not {thresholds.get(key)!r}")
    extra = set(thresholds) - {"supervised", "owner"}
    if extra:
        check.fail("thresholds", f"unknown verdict(s) {sorted(extra)}")
    numbers = is_number(thresholds.get("supervised")) and is_number(thresholds.get("owner"))
    if numbers and not 0 <= thresholds["supervised"] < thresholds["owner"] <= 100:
        check.fail(
            "thresholds",
            "must be in order: 0 <= supervised < owner <= 100 "
            f"(got supervised={thresholds['supervised']}, owner={thresholds['owner']})",
        )
    return thresholds
