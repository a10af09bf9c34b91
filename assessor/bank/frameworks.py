"""The framework catalog, and a bank's references to it: baseline, notes, resolved titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .checker import Checker, text
from .files import FRAMEWORK_CATALOG


def load_catalog(path: Path = FRAMEWORK_CATALOG) -> dict[str, dict[str, str]]:
    """Citable references: "prefix:id" -> {framework, id, title}, in catalog order."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    catalog: dict[str, dict[str, str]] = {}
    for framework in data["frameworks"]:
        for entry in framework["entries"]:
            catalog[f"{framework['prefix']}:{entry['id']}"] = {
                "framework": framework["name"],
                "id": entry["id"],
                "title": entry["title"],
            }
    return catalog


def framework_notes(check: Checker, raw: Any) -> dict[str, str]:
    """Why a reference is cited, where its title alone would mislead (ref -> note)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.fail("framework_notes", "must map references to notes")
        return {}
    notes = {}
    for ref, note in raw.items():
        if ref not in check.catalog:
            check.fail("framework_notes", f"unknown framework reference {ref!r}")
        elif not text(note):
            check.fail(f"framework_notes.{ref}", "needs a note")
        else:
            notes[ref] = text(note)
    return notes


def cited(catalog: dict, notes: dict[str, str], used: set[str]) -> dict[str, dict]:
    """Resolved titles, in catalog order, so a stored document needs no catalog to render."""
    return {
        ref: {**entry, "note": notes[ref]} if ref in notes else entry
        for ref, entry in catalog.items()
        if ref in used
    }
