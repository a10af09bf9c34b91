"""The portfolio's figures: frozen dataclasses of plain data (no ORM objects), built by
`selectors.portfolio_figures` and read by the page, the API (`Portfolio.as_json()`) and the board
pack (which stores `as_json()` to compare with the next pack).

What counts:

- A *workflow* is a chain of revisions (`Assessment.previous`). Its verdict on a day is that of
  its approval in force that day: approved on or before it, not yet superseded by an approved
  revision, not lapsed (past its review-by date and grace period). Examples are left out.
- `verdict_mix`, `by_team`, `by_task_type`, `by_environment`: workflows by verdict as of
  `as_of` (the period's end, or today if the period ends later).
- `trend`: the same count at the end of each month of the period (the last point is `as_of`),
  so a board sees how many workflows stood at each verdict, not how many were approved.
- `changes`: approvals and lapses within the period: `new` (a workflow's first approval),
  `raised` / `lowered` (a verdict above / below the workflow's approval before it), `lapsed`
  (approvals that lapsed in the period, as the daily review sweep recorded them). A
  re-approval at the same verdict is not a change. `totals` counts each list in full.
- `review`: today's review cycle of approvals in force: `due`, `overdue`, and `lapsed`
  (approvals that lapsed with no newer revision approved since).
- `missing_controls`: across the workflows counted in `verdict_mix`, each rule or condition for
  ownership holding some back, how many (`held_back`), and for how many fixing that one control
  alone lifts the workflow one verdict (`would_move_up`), read from the engine's plan for the
  next level frozen with each approved record (see gaps.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from assessor.engine import VERDICT_LABELS, VERDICTS

__all__ = [
    "VERDICTS",
    "VERDICT_LABELS",
    "Breakdown",
    "Change",
    "Changes",
    "MissingControl",
    "Portfolio",
    "ReviewItem",
    "ReviewCycleFigures",
    "TrendPoint",
    "VerdictMix",
]


def _zero() -> dict[str, int]:
    return dict.fromkeys(VERDICTS, 0)


@dataclass(frozen=True)
class VerdictMix:
    """Workflows by verdict key (copilot, supervised, owner), plus records not (yet) counted."""

    counts: dict[str, int] = field(default_factory=_zero)
    in_progress: int = 0  # records being drafted or returned for changes, today
    awaiting_approval: int = 0  # records submitted and not yet approved or returned, today

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Breakdown:
    """One row of a breakdown (a team, a task type, an environment): workflows by verdict."""

    key: str
    label: str
    counts: dict[str, int] = field(default_factory=_zero)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class TrendPoint:
    """Workflows by verdict in force at the end of `month` (the last point: at `on`)."""

    month: str  # YYYY-MM
    on: date
    counts: dict[str, int] = field(default_factory=_zero)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Change:
    workflow: str
    team: str
    assessment_id: int
    old_verdict: str  # "" for a new workflow
    new_verdict: str  # the verdict that lapsed, for a lapse
    on: date
    url: str = ""


@dataclass(frozen=True)
class Changes:
    new: tuple[Change, ...] = ()
    raised: tuple[Change, ...] = ()
    lowered: tuple[Change, ...] = ()
    lapsed: tuple[Change, ...] = ()
    # How many of each there are: the lists may hold only the first (see `rows_limit`).
    totals: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewItem:
    workflow: str
    team: str
    assessment_id: int
    verdict: str
    review_by: date
    owner: str  # who owns the record (the reviewer's user name)
    business_owner: str = ""
    url: str = ""


@dataclass(frozen=True)
class ReviewCycleFigures:
    due: tuple[ReviewItem, ...] = ()
    overdue: tuple[ReviewItem, ...] = ()
    lapsed: tuple[ReviewItem, ...] = ()
    totals: dict[str, int] = field(default_factory=dict)  # due, overdue, lapsed: all of them


@dataclass(frozen=True)
class MissingControl:
    kind: str  # "condition" (a condition for ownership) or "rule"
    key: str
    label: str
    held_back: int  # workflows this control holds back
    would_move_up: int  # of those, how many fixing it alone lifts one verdict (engine's plan)


@dataclass(frozen=True)
class Portfolio:
    teams: tuple[str, ...]
    start: date
    end: date
    today: date
    as_of: date
    task_type: str = ""  # the filter, "" for all
    environment: str = ""
    verdict_mix: VerdictMix = field(default_factory=VerdictMix)
    by_team: tuple[Breakdown, ...] = ()
    by_task_type: tuple[Breakdown, ...] = ()
    by_environment: tuple[Breakdown, ...] = ()
    trend: tuple[TrendPoint, ...] = ()
    changes: Changes = field(default_factory=Changes)
    review: ReviewCycleFigures = field(default_factory=ReviewCycleFigures)
    missing_controls: tuple[MissingControl, ...] = ()
    trend_kind: str = "in_force_at_month_end"

    def as_json(self) -> dict:
        """JSON-safe: dates as ISO strings, tuples as lists, totals included."""
        data = _jsonable(asdict(self))
        data["verdict_mix"]["total"] = self.verdict_mix.total
        for name in ("by_team", "by_task_type", "by_environment", "trend"):
            for row, obj in zip(data[name], getattr(self, name), strict=True):
                row["total"] = obj.total
        data["verdict_labels"] = dict(VERDICT_LABELS)
        return data


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
