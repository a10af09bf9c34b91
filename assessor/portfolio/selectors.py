"""Reads of the portfolio: which teams a user may read it for, and its figures (figures.py).

A fixed number of queries whatever the portfolio holds: the verdicts in force at every month end
come from one grouped query over the review cycles (one row per team, verdict, task type and
environment, a conditional count per date), the missing controls from one grouped query over
the control gaps stored at approval (gaps.py), and each list (changes, review cycle) from one
query of its own.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone

from ..models import Answer, Assessment, Questionnaire, Team
from ..oversight.models import ReviewCycle
from ..teams import roles
from . import figures
from .figures import VERDICTS
from .models import ControlGap

TASK_TYPE = "task_type"
ENVIRONMENT = "environment_tier"
# The roles that read a team's portfolio: those who answer to a board for it.
PORTFOLIO_ROLES = (roles.APPROVER, roles.AUDITOR, roles.TEAM_MANAGER)
APPROVED = Assessment.Status.APPROVED
State = ReviewCycle.State


def portfolio_teams(user) -> QuerySet[Team]:
    """The teams whose portfolio `user` may read: where they are approver, auditor or team
    manager; every team for a superuser."""
    if not user.is_authenticated:
        return Team.objects.none()
    if user.is_superuser:
        return Team.objects.order_by("name")
    holds = Q()
    for role in PORTFOLIO_ROLES:
        holds |= Q(**{f"memberships__{role}": True})
    return Team.objects.filter(holds, memberships__user=user).distinct().order_by("name")


def scope_choices() -> dict[str, list[tuple[str, str]]]:
    """(key, label) of the task types and environments, as the published bank words them."""
    questionnaire = Questionnaire.current()
    document = questionnaire.compiled()[0] if questionnaire else {}
    found = {TASK_TYPE: [], ENVIRONMENT: []}
    for section in document.get("sections", ()):
        for question in section.get("questions", ()):
            if question["key"] in found:
                found[question["key"]] = [(c["key"], c["label"]) for c in question["choices"]]
    return found


def _answer(question_key: str) -> Subquery:
    return Subquery(
        Answer.objects.filter(
            assessment_id=OuterRef("assessment_id"), question_key=question_key
        ).values("choice_key")[:1]
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_force_on(day: date) -> Q:
    """Cycles whose approval is in force at the end of `day`: approved by then, not superseded
    by then, not lapsed by then (by the clock, or as the sweep recorded it)."""
    after = _day_start(day + timedelta(days=1))
    grace = timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS)
    return (
        Q(approved_at__lt=after)
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=after))
        & ~Q(review_by__lt=day - grace)
        & ~Q(state=State.LAPSED, state_since__lt=after)
    )


def _month_ends(start: date, as_of: date) -> list[date]:
    """The last day of each month from `start` to `as_of`, the last one `as_of` itself."""
    ends, year, month = [], start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(last, as_of))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends or [as_of]


def _prior_verdict():
    """The verdict of the nearest approved earlier revision (three revisions back)."""
    whens = []
    for depth in range(1, 4):
        path = "__".join(["assessment"] + ["previous"] * depth)
        whens.append(When(**{f"{path}__status": APPROVED}, then=F(f"{path}__verdict")))
    return Case(*whens, default=None)


def _label(key: str, labels: dict[str, str]) -> str:
    if not key:
        return "Not answered"
    return labels.get(key, key.replace("_", " ").capitalize())


def _breakdown(counts: dict[str, dict[str, int]], labels: dict[str, str], order: Iterable[str]):
    order = list(order)
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    return tuple(
        figures.Breakdown(key=str(k), label=_label(str(k), labels), counts=counts[k]) for k in keys
    )


def portfolio_figures(
    *,
    teams,
    start: date,
    end: date,
    today: date | None = None,
    task_type: str = "",
    environment: str = "",
    examples: bool = False,
    rows_limit: int | None = None,
) -> figures.Portfolio:
    """The figures of `teams` (the teams the caller may read, already checked) for the period
    `start`..`end` (inclusive), optionally for one task type and one environment. `rows_limit`:
    at most that many rows in each list of changes and of the review cycle (the earliest; their
    `totals` count them all); None: every row."""
    teams = list(teams)
    today = today or timezone.localdate()
    as_of = min(end, today)
    team_names = {team.pk: team.name for team in teams}
    choices = scope_choices()
    task_labels, env_labels = dict(choices[TASK_TYPE]), dict(choices[ENVIRONMENT])

    cycles = ReviewCycle.objects.filter(assessment__team__in=teams, assessment__status=APPROVED)
    records = Assessment.objects.filter(team__in=teams)
    if not examples:
        cycles = cycles.filter(assessment__is_example=False)
        records = records.filter(is_example=False)
    cycles = cycles.annotate(task=_answer(TASK_TYPE), env=_answer(ENVIRONMENT))
    if task_type:
        cycles = cycles.filter(task=task_type)
        records = records.filter(answers__question_key=TASK_TYPE, answers__choice_key=task_type)
    if environment:
        cycles = cycles.filter(env=environment)
        records = records.filter(
            pk__in=Answer.objects.filter(question_key=ENVIRONMENT, choice_key=environment).values(
                "assessment_id"
            )
        )

    # The verdicts in force at each month end, in one grouped query.
    ends = _month_ends(max(start, date.min), as_of) if start <= as_of else [as_of]
    counts = {f"on_{i}": Count("pk", filter=_in_force_on(day)) for i, day in enumerate(ends)}
    grouped = list(
        cycles.values("assessment__team_id", "assessment__verdict", "task", "env")
        .annotate(**counts)
        .order_by()
    )
    last = f"on_{len(ends) - 1}"
    mix = dict.fromkeys(VERDICTS, 0)
    by_team: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    by_task: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    by_env: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    trend = [dict.fromkeys(VERDICTS, 0) for _ in ends]
    for row in grouped:
        verdict = row["assessment__verdict"]
        if verdict not in mix:
            continue
        for i in range(len(ends)):
            trend[i][verdict] += row[f"on_{i}"]
        n = row[last]
        if not n:
            continue
        mix[verdict] += n
        by_team[row["assessment__team_id"]][verdict] += n
        by_task[row["task"] or ""][verdict] += n
        by_env[row["env"] or ""][verdict] += n

    statuses = dict(records.values_list("status").annotate(n=Count("pk")).order_by())
    verdict_mix = figures.VerdictMix(
        counts=mix,
        in_progress=statuses.get(Assessment.Status.DRAFT, 0)
        + statuses.get(Assessment.Status.RETURNED, 0),
        awaiting_approval=statuses.get(Assessment.Status.SUBMITTED, 0),
    )
    team_rows = tuple(
        figures.Breakdown(key=str(team.pk), label=team.name, counts=by_team[team.pk])
        for team in teams
        if team.pk in by_team
    )

    return figures.Portfolio(
        teams=tuple(team.name for team in teams),
        start=start,
        end=end,
        today=today,
        as_of=as_of,
        task_type=task_type,
        environment=environment,
        verdict_mix=verdict_mix,
        by_team=team_rows,
        by_task_type=_breakdown(by_task, task_labels, task_labels),
        by_environment=_breakdown(by_env, env_labels, env_labels),
        trend=tuple(
            figures.TrendPoint(month=day.strftime("%Y-%m"), on=day, counts=trend[i])
            for i, day in enumerate(ends)
        ),
        changes=_changes(cycles, start, end, team_names, rows_limit),
        review=_review(cycles, team_names, rows_limit),
        missing_controls=_missing(cycles.filter(_in_force_on(as_of))),
    )


_PLACEHOLDER = 987654321


def _url(pk: int) -> str:
    """The record's report: `reverse` once, then the number put in (thousands of rows)."""
    return _report_url().replace(str(_PLACEHOLDER), str(pk))


@lru_cache(maxsize=1)
def _report_url() -> str:
    return reverse("report", args=[_PLACEHOLDER])


def _rank(path: str) -> Case:
    """A verdict's rank (copilot 0, supervised 1, owner 2) in SQL, from `path`__verdict."""
    whens = [When(**{f"{path}__verdict": v}, then=Value(i)) for i, v in enumerate(VERDICTS)]
    return Case(*whens, default=None, output_field=IntegerField())


def _prior_rank() -> Case:
    whens = []
    for depth in range(1, 4):
        path = "__".join(["assessment"] + ["previous"] * depth)
        whens.append(When(**{f"{path}__status": APPROVED}, then=_rank(path)))
    return Case(*whens, default=None, output_field=IntegerField())


def _first_rows(rows, partition: str, order: list[str], limit: int | None):
    """At most `limit` rows per value of `partition` (all when None), in one query."""
    if limit is None:
        return rows.order_by(partition, *order)
    numbered = rows.annotate(
        row_number=Window(RowNumber(), partition_by=F(partition), order_by=[F(o) for o in order])
    )
    return numbered.filter(row_number__lte=limit).order_by(partition, *order)


def _changes(cycles, start: date, end: date, team_names, limit) -> figures.Changes:
    """Approvals in the period against the workflow's approval before (new, raised, lowered),
    and the approvals that lapsed in the period (as the daily review sweep recorded them)."""
    after_end = _day_start(end + timedelta(days=1))
    approvals = (
        cycles.filter(approved_at__gte=_day_start(start), approved_at__lt=after_end)
        .annotate(prior=_prior_verdict(), prior_rank=_prior_rank(), new_rank=_rank("assessment"))
        .annotate(
            kind=Case(
                When(prior_rank__isnull=True, then=Value("new")),
                When(new_rank__gt=F("prior_rank"), then=Value("raised")),
                When(new_rank__lt=F("prior_rank"), then=Value("lowered")),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .exclude(kind="")
    )
    lapses = cycles.filter(
        state=State.LAPSED, state_since__gte=_day_start(start), state_since__lt=after_end
    ).annotate(kind=Value("lapsed", output_field=CharField()))
    totals = dict.fromkeys(("new", "raised", "lowered", "lapsed"), 0)
    totals.update(approvals.values_list("kind").annotate(n=Count("pk")).order_by())
    totals["lapsed"] = lapses.count()
    fields = ("assessment_id", "assessment__name", "assessment__team_id", "assessment__verdict")
    found: dict[str, list] = {kind: [] for kind in totals}
    for row in _first_rows(approvals, "kind", ["approved_at", "assessment_id"], limit).values(
        *fields, "kind", "prior", "approved_at"
    ):
        found[row["kind"]].append(
            _change(row, team_names, row["prior"] or "", timezone.localdate(row["approved_at"]))
        )
    for row in _first_rows(lapses, "kind", ["state_since", "assessment_id"], limit).values(
        *fields, "state_since"
    ):
        verdict = row["assessment__verdict"]
        found["lapsed"].append(
            _change(row, team_names, verdict, timezone.localdate(row["state_since"]))
        )
    return figures.Changes(**{kind: tuple(rows) for kind, rows in found.items()}, totals=totals)


def _change(row, team_names, old: str, on: date) -> figures.Change:
    return figures.Change(
        workflow=row["assessment__name"],
        team=team_names.get(row["assessment__team_id"], ""),
        assessment_id=row["assessment_id"],
        old_verdict=old,
        new_verdict=row["assessment__verdict"],
        on=on,
        url=_url(row["assessment_id"]),
    )


def _review(cycles, team_names, limit) -> figures.ReviewCycleFigures:
    """Today's open cycles that are due, overdue or lapsed (as the daily sweep left them)."""
    states = [State.DUE, State.OVERDUE, State.LAPSED]
    open_cycles = cycles.filter(closed_at__isnull=True, state__in=states)
    totals = dict.fromkeys(states, 0)
    totals.update(open_cycles.values_list("state").annotate(n=Count("pk")).order_by())
    rows = _first_rows(open_cycles, "state", ["review_by", "assessment_id"], limit).values(
        "state",
        "review_by",
        "assessment_id",
        "assessment__name",
        "assessment__team_id",
        "assessment__verdict",
        "assessment__owner__username",
        "assessment__business_owner",
    )
    found: dict[str, list] = {state: [] for state in states}
    for row in rows:
        found[row["state"]].append(
            figures.ReviewItem(
                workflow=row["assessment__name"],
                team=team_names.get(row["assessment__team_id"], ""),
                assessment_id=row["assessment_id"],
                verdict=row["assessment__verdict"],
                review_by=row["review_by"],
                owner=row["assessment__owner__username"],
                business_owner=row["assessment__business_owner"],
                url=_url(row["assessment_id"]),
            )
        )
    return figures.ReviewCycleFigures(
        due=tuple(found[State.DUE]),
        overdue=tuple(found[State.OVERDUE]),
        lapsed=tuple(found[State.LAPSED]),
        totals={str(state): n for state, n in totals.items()},
    )


def _missing(in_force) -> tuple[figures.MissingControl, ...]:
    """The controls holding back the workflows in force, most often missing first."""
    rows = (
        ControlGap.objects.filter(assessment_id__in=in_force.values("assessment_id"))
        .values("kind", "key")
        .annotate(held=Count("pk"), up=Count("pk", filter=Q(lifts=True)), label=Max("label"))
        .order_by("-held", "-up", "key")
    )
    return tuple(
        figures.MissingControl(
            kind=row["kind"],
            key=row["key"],
            label=row["label"],
            held_back=row["held"],
            would_move_up=row["up"],
        )
        for row in rows
    )
