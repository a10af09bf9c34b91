"""The review cycle's clock: the review-by date of an approval, the state a date puts it in,
and the daily sweep that moves every cycle whose state is behind the clock.

    current --(due window before review_by)--> due --(after review_by)--> overdue
            --(grace period after review_by)--> lapsed

`review_by_date` is the one computation of the review-by date (brief, PDF, report, API,
export). `review_cycle_sweep` is scheduled daily by the task queue (by dotted path
`assessor.oversight.cycle.review_cycle_sweep`) and run by `manage.py review_sweep`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from .. import events
from ..models import Assessment, Decision, Team
from .models import ReviewCycle

log = logging.getLogger(__name__)

State = ReviewCycle.State
# Forward only: the sweep never moves a cycle back (a longer interval does, see services).
ORDER = (State.CURRENT, State.DUE, State.OVERDUE, State.LAPSED)
EVENT_OF = {
    State.DUE: events.REVIEW_DUE,
    State.OVERDUE: events.REVIEW_OVERDUE,
    State.LAPSED: events.REVIEW_LAPSED,
}


def interval_days(team: Team | None) -> int:
    """The team's review interval, or the installation's default."""
    days = getattr(team, "review_interval_days", None)
    return days or settings.ASSESSOR_REVIEW_INTERVAL_DAYS


def review_by_date(approved_at: datetime, team: Team | None) -> date:
    """The date an approval is due for review again: its (local) date plus the interval."""
    return timezone.localdate(approved_at) + timedelta(days=interval_days(team))


def state_on(review_by: date, today: date, *, due_window: int, grace: int) -> str:
    """The state `review_by` puts an approval in on `today`. Due from `due_window` days before
    the date (inclusive), overdue the day after it, lapsed once `grace` days after it passed."""
    if today > review_by + timedelta(days=grace):
        return State.LAPSED
    if today > review_by:
        return State.OVERDUE
    if today >= review_by - timedelta(days=due_window):
        return State.DUE
    return State.CURRENT


def state_today(review_by: date, today: date | None = None) -> str:
    """`state_on` with the installation's window and grace period."""
    return state_on(
        review_by,
        today or timezone.localdate(),
        due_window=settings.ASSESSOR_REVIEW_DUE_WINDOW_DAYS,
        grace=settings.ASSESSOR_REVIEW_GRACE_DAYS,
    )


# --- the sweep ---------------------------------------------------------------------------------


def _moves(today: date) -> list[tuple[str, tuple[str, ...], str, list]]:
    """(target state, states it moves from, SQL condition on review_by, its parameters), the
    furthest first, so one sweep takes each cycle straight to where the clock puts it."""
    grace = timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS)
    window = timedelta(days=settings.ASSESSOR_REVIEW_DUE_WINDOW_DAYS)
    day = connection.ops.adapt_datefield_value
    return [
        (State.LAPSED, ORDER[:3], "review_by < %s", [day(today - grace)]),
        (
            State.OVERDUE,
            ORDER[:2],
            "review_by < %s AND review_by >= %s",
            [day(today), day(today - grace)],
        ),
        (
            State.DUE,
            ORDER[:1],
            "review_by <= %s AND review_by >= %s",
            [day(today + window), day(today)],
        ),
    ]


def _move(target: str, sources: tuple[str, ...], condition: str, params: list, now) -> list[int]:
    """Move the open cycles in `sources` that meet `condition` to `target`; the ids moved.

    One conditional UPDATE ... RETURNING: two sweeps at once (threads, processes, hosts) each
    get back only the rows they moved, since the second re-checks the state of a row the first
    changed (PostgreSQL re-evaluates the WHERE of a row it waited for; SQLite runs one writer
    at a time). So each change is announced once."""
    table = connection.ops.quote_name(ReviewCycle._meta.db_table)
    marks = ", ".join(["%s"] * len(sources))
    sql = (
        f"UPDATE {table} SET state = %s, state_since = %s "  # noqa: S608 (no user input)
        f"WHERE closed_at IS NULL AND state IN ({marks}) AND {condition} RETURNING id"
    )
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(sql, [target, stamp, *sources, *params])
        return [row[0] for row in cursor.fetchall()]


def event_payload(*, assessment_id: int, name: str, team: str, state: str, review_by) -> dict:
    """What a review event tells its listeners (JSON-safe). `assessment_id` and `url` are the
    names every other event uses (the webhook message links `url`); `assessment` and `report`
    stay beside them for receivers that read them."""
    report = reverse("report", args=[assessment_id])
    return {
        "assessment": assessment_id,
        "assessment_id": assessment_id,
        "name": name,
        "team": team,
        "state": state,
        "review_by": review_by.isoformat(),
        "report": report,
        "url": report,
    }


def _announce(ids: list[int], state: str) -> None:
    """One event per cycle moved into `state`, read in chunks as plain rows (a sweep after a
    long pause may move tens of thousands)."""
    teams = {team.pk: team for team in Team.objects.all()}
    for start in range(0, len(ids), 5000):
        rows = (
            ReviewCycle.objects.filter(pk__in=ids[start : start + 5000])
            .order_by("pk")
            .values_list("assessment_id", "assessment__name", "assessment__team_id", "review_by")
        )
        for assessment_id, name, team_id, review_by in rows:
            team = teams[team_id]
            events.event_publish(
                EVENT_OF[state],
                team=team,
                payload=event_payload(
                    assessment_id=assessment_id,
                    name=name,
                    team=team.name,
                    state=state,
                    review_by=review_by,
                ),
            )


def cycles_open_missing(now: datetime) -> int:
    """A cycle for each approved record that has none (approved before the cycle existed, or
    by a route that did not open one); a superseded record's is closed at once. How many."""
    last_approval = Decision.objects.filter(
        assessment=OuterRef("pk"), action=Decision.Action.APPROVED
    ).order_by("-created_at", "-id")
    rows_of = (
        Assessment.objects.filter(status=Assessment.Status.APPROVED, review_cycle__isnull=True)
        .annotate(approved_at=Subquery(last_approval.values("created_at")[:1]))
        .values_list("pk", "team_id", "approved_at")
    )
    teams = {team.pk: team for team in Team.objects.all()}
    superseded = set(
        Assessment.objects.filter(
            status=Assessment.Status.APPROVED, revisions__status=Assessment.Status.APPROVED
        ).values_list("pk", flat=True)
    )
    ops = connection.ops
    rows = []
    for pk, team_id, approved_at in rows_of.iterator(chunk_size=5000):
        approved_at = approved_at or now
        rows.append(
            (
                pk,
                ops.adapt_datetimefield_value(approved_at),
                ops.adapt_datefield_value(review_by_date(approved_at, teams.get(team_id))),
                State.CURRENT,
                ops.adapt_datetimefield_value(approved_at),
                ops.adapt_datetimefield_value(now) if pk in superseded else None,
            )
        )
    # Plain rows, not model instances: after an upgrade there may be tens of thousands, and
    # a concurrent sweep may have opened some (ON CONFLICT: PostgreSQL and SQLite alike).
    table = ops.quote_name(ReviewCycle._meta.db_table)
    sql = (
        f"INSERT INTO {table} (assessment_id, approved_at, review_by, state, state_since, "  # noqa: S608
        "closed_at, rereview_reason) VALUES (%s, %s, %s, %s, %s, %s, '') "
        "ON CONFLICT (assessment_id) DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])
    return len(rows)


def review_cycle_sweep(now: datetime | None = None) -> dict[str, int]:
    """Move every open cycle whose state is behind the clock at `now` (default: now), and
    announce each change once (review.due, review.overdue, review.lapsed). Idempotent: a second
    run at the same time moves nothing. Returns the counts: opened (cycles created for approved
    records that had none), due, overdue, lapsed (cycles moved into each state).

    A `now` earlier than a previous sweep's moves nothing back: the states stay as they are
    (the sweep only moves forward), and cycles that are behind even that earlier clock move."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"opened": cycles_open_missing(now)}
    for target, sources, condition, params in _moves(today):
        with transaction.atomic():  # the events go out once the move is committed
            moved = _move(target, sources, condition, params, now)
            _announce(moved, target)
        counts[target] = len(moved)
    log.info(
        "review sweep on %s: %s",
        today.isoformat(),
        ", ".join(f"{key} {value}" for key, value in counts.items()),
    )
    return counts
