"""The verdict on the published autonomy scales a board asks about (issue 21).

Data, not engine: `bank/autonomy_scales.yaml` places each verdict at one level of each scale
with a one-line reason, and the same file names the scales' levels for the framework
catalogue. Pure Python (no Django): the report, the PDF's page 1, the API and `assess` all
read it through `placements()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from assessor.bank import BANK_DIR
from assessor.engine import VERDICTS

SCALES_FILE = BANK_DIR / "autonomy_scales.yaml"
REASON_MAX_LENGTH = 130  # one line of the report's table and of page 1


@dataclass(frozen=True)
class Placement:
    """One verdict's level on one scale, and why."""

    scale: str  # the scale's catalogue prefix, e.g. "aws_agentic_scope"
    scale_name: str
    scale_short: str  # the name page 1 of the PDF uses
    level: str  # the level's id in the catalogue, e.g. "Scope 2"
    level_name: str
    reason: str

    @property
    def ref(self) -> str:
        """The level as the catalogue cites it, "prefix:id"."""
        return f"{self.scale}:{self.level}"

    def to_dict(self) -> dict[str, str]:
        return {
            "scale": self.scale,
            "scale_name": self.scale_name,
            "level": self.level,
            "level_name": self.level_name,
            "reason": self.reason,
        }


class ScalesError(ValueError):
    """The scales file is wrong; the message names every problem."""


def problems(data: Any) -> list[str]:
    """Every problem with a scales document: each verdict on one known level of every scale,
    each with a reason of one line. An empty list means usable."""
    if not isinstance(data, dict) or not isinstance(data.get("scales"), list):
        return ["scales: must be a list"]
    found = []
    levels = {
        scale.get("prefix"): {level.get("id") for level in scale.get("levels") or ()}
        for scale in data["scales"]
        if isinstance(scale, dict)
    }
    verdicts = data.get("verdicts") or {}
    for verdict in VERDICTS:
        placed = verdicts.get(verdict) or {}
        for prefix, ids in levels.items():
            where = f"verdicts.{verdict}.{prefix}"
            entry = placed.get(prefix)
            if not isinstance(entry, dict):
                found.append(f"{where}: the verdict has no level on this scale")
                continue
            if entry.get("level") not in ids:
                found.append(f"{where}: unknown level {entry.get('level')!r}")
            reason = entry.get("reason")
            if not isinstance(reason, str) or not reason.strip():
                found.append(f"{where}: needs a reason")
            elif "\n" in reason.strip() or len(reason) > REASON_MAX_LENGTH:
                found.append(f"{where}: the reason must be one line of {REASON_MAX_LENGTH} or less")
        found += [f"verdicts.{verdict}.{p}: unknown scale" for p in placed if p not in levels]
    found += [f"verdicts.{v}: unknown verdict" for v in verdicts if v not in VERDICTS]
    return found


def read(path: Path = SCALES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    wrong = problems(data)
    if wrong:
        raise ScalesError(f"{path}: " + "; ".join(wrong))
    return data


@cache
def _all() -> dict[str, tuple[Placement, ...]]:
    data = read()
    by_verdict = {}
    for verdict in VERDICTS:
        rows = []
        for scale in data["scales"]:
            entry = data["verdicts"][verdict][scale["prefix"]]
            titles = {level["id"]: level["title"] for level in scale["levels"]}
            rows.append(
                Placement(
                    scale=scale["prefix"],
                    scale_name=scale["name"],
                    scale_short=scale.get("short_name") or scale["name"],
                    level=entry["level"],
                    level_name=titles[entry["level"]],
                    reason=entry["reason"].strip(),
                )
            )
        by_verdict[verdict] = tuple(rows)
    return by_verdict


def placements(verdict: str) -> tuple[Placement, ...]:
    """The verdict's level on each scale, in the file's order of scales."""
    return _all()[verdict]


def as_json(verdict: str | None) -> list[dict[str, str]]:
    """The placements as the API and `assess` give them; none while there is no verdict."""
    return [p.to_dict() for p in placements(verdict)] if verdict else []
