"""parse_bank: check a bank part by part and return its normalised document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .checker import Checker, text
from .contract import BankError
from .dimensions import parse_dimensions, parse_thresholds
from .files import DEFAULT_BANK, read_yaml
from .follow_ups import check_reachable
from .frameworks import cited, framework_notes, load_catalog
from .questions import check_core_contract, mark_scope, parse_sections
from .rules import parse_ownership_conditions, parse_rules


def parse_bank(raw: Any, catalog: dict[str, dict[str, str]] | None = None) -> dict:
    """Validate a bank and return its normalised document, or raise BankError naming each fault."""
    catalog = load_catalog() if catalog is None else catalog
    check = Checker(catalog)
    if not isinstance(raw, dict):
        raise BankError(["the bank must be a mapping at the top level"])
    # Each part in the order of the file, so the problems read top to bottom.
    version = raw.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        check.fail("version", "a non-empty version label is required")
    dimensions = parse_dimensions(check, raw.get("dimensions"))
    thresholds = parse_thresholds(check, raw.get("thresholds"))
    sections, choices = parse_sections(check, raw.get("sections"), {d["key"] for d in dimensions})
    questions = {q["key"]: q for s in sections for q in s["questions"]}
    check_core_contract(check, questions, choices)
    rules = parse_rules(check, raw.get("rules") or [], choices)
    conditions = parse_ownership_conditions(check, raw.get("ownership_conditions"), choices)
    mark_scope(check, raw.get("scope"), questions)
    for question in questions.values():
        check_reachable(check, question, questions)
    baseline = check.refs("baseline_frameworks", raw.get("baseline_frameworks"))
    notes = framework_notes(check, raw.get("framework_notes"))
    if check.problems:
        raise BankError(check.problems)

    used = set(baseline)
    for part in (dimensions, questions.values(), rules):
        used.update(ref for entry in part for ref in entry["frameworks"])
    return {
        "version": str(version).strip(),
        "title": text(raw.get("title")) or "IAM workflow autonomy assessment",
        "description": text(raw.get("description")),
        "dimensions": dimensions,
        "thresholds": {
            "supervised": float(thresholds["supervised"]),
            "owner": float(thresholds["owner"]),
        },
        "sections": sections,
        "rules": rules,
        "ownership_conditions": conditions,
        # How the engine reads this bank (see build_model): snapshots of records signed off
        # before these existed lack them and are read as they were signed.
        "binding_conditions": True,
        "follow_ups_assumed_riskiest": True,
        "baseline_frameworks": baseline,
        "frameworks": cited(catalog, notes, used),
    }


def load_bank_file(path: Path | str = DEFAULT_BANK) -> dict:
    return parse_bank(read_yaml(path))
