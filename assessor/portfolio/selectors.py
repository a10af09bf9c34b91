"""Reads of the portfolio: which teams a user may read it for, and its figures (figures.py).

A fixed number of queries whatever the portfolio holds, over narrow rows: each approved record's
`PortfolioRecord` (team, verdict, the workflow's verdict before, task type, environment: written
at approval) joined to its review cycle. The verdicts in force at every month end come from one
grouped query (a conditional count per date), the missing controls from one grouped query over
the control gaps stored at approval (gaps.py), each list (changes, review cycle) from a count
and one query of its first rows. The wide assessment rows (their frozen bank and result) are
read only for the names of the rows listed.
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
    Q,
    QuerySet,
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
from .gaps import CONDITION, CONDITION_PREFIX, RULE
from .models import ControlGap, PortfolioRecord

TASK_TYPE = "task_type"
ENVIRONMENT = "environment_tier"
PORTFOLIO_ROLES = roles.PORTFOLIO_ROLES
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


def _current_document() -> dict:
    questionnaire = Questionnaire.current()
    return questionnaire.compiled()[0] if questionnaire else {}


def _scope_choices(document: dict) -> dict[str, list[tuple[str, str]]]:
    found = {TASK_TYPE: [], ENVIRONMENT: []}
    for section in document.get("sections", ()):
        for question in section.get("questions", ()):
            if question["key"] in found:
                found[question["key"]] = [(c["key"], c["label"]) for c in question["choices"]]
    return found


def scope_choices() -> dict[str, list[tuple[str, str]]]:
    """(key, label) of the task types and environments, as the published bank words them."""
    return _scope_choices(_current_document())


def _control_labels(document: dict) -> dict[str, str]:
    """Each rule's and condition's words in the published bank, by its gap key (gaps.py)."""
    labels = {rule["id"]: rule["reason"] for rule in document.get("rules", ())}
    for condition in document.get("ownership_conditions", ()):
        labels[CONDITION_PREFIX + condition["id"]] = condition["title"]
    return labels


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_force_on(day: date) -> Q:
    """Approvals in force at the end of `day`, by their review cycle: approved by then, not
    superseded by then, not lapsed by then (by the clock, or as the sweep recorded it)."""
    after = _day_start(day + timedelta(days=1))
    grace = timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS)
    return (
        Q(cycle__approved_at__lt=after)
        & (Q(cycle__closed_at__isnull=True) | Q(cycle__closed_at__gte=after))
        & ~Q(cycle__review_by__lt=day - grace)
        & ~Q(cycle__state=State.LAPSED, cycle__state_since__lt=after)
    )


def _month_ends(start: date, as_of: date) -> list[date]:
    """The last day of each month from `start` to `as_of`, the last one `as_of` itself."""
    ends, year, month = [], start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        last = date(year, month, calendar.monthrange(year, month)[1])
        ends.append(min(last, as_of))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends or [as_of]


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
    document = _current_document()
    choices = _scope_choices(document)
    task_labels, env_labels = dict(choices[TASK_TYPE]), dict(choices[ENVIRONMENT])

    # The approvals, by their narrow portfolio rows (models.PortfolioRecord); the records in
    # progress, by the assessments themselves.
    facts = PortfolioRecord.objects.filter(team__in=teams)
    records = Assessment.objects.filter(team__in=teams)
    if not examples:
        facts = facts.filter(is_example=False)
        records = records.filter(is_example=False)
    if task_type:
        facts = facts.filter(task_type=task_type)
        records = records.filter(answers__question_key=TASK_TYPE, answers__choice_key=task_type)
    if environment:
        facts = facts.filter(environment=environment)
        records = records.filter(
            pk__in=Answer.objects.filter(question_key=ENVIRONMENT, choice_key=environment).values(
                "assessment_id"
            )
        )

    # The verdicts in force at each month end, in one grouped query.
    ends = _month_ends(max(start, date.min), as_of) if start <= as_of else [as_of]
    counts = {f"on_{i}": Count("pk", filter=_in_force_on(day)) for i, day in enumerate(ends)}
    grouped = list(
        facts.values("team_id", "verdict", "task_type", "environment").annotate(**counts).order_by()
    )
    last = f"on_{len(ends) - 1}"
    mix = dict.fromkeys(VERDICTS, 0)
    by_team: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    by_task: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    by_env: dict = defaultdict(lambda: dict.fromkeys(VERDICTS, 0))
    trend = [dict.fromkeys(VERDICTS, 0) for _ in ends]
    for row in grouped:
        verdict = row["verdict"]
        if verdict not in mix:
            continue
        for i in range(len(ends)):
            trend[i][verdict] += row[f"on_{i}"]
        n = row[last]
        if not n:
            continue
        mix[verdict] += n
        by_team[row["team_id"]][verdict] += n
        by_task[row["task_type"]][verdict] += n
        by_env[row["environment"]][verdict] += n

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
        changes=_changes(facts, start, end, team_names, rows_limit),
        review=_review(facts, team_names, rows_limit),
        missing_controls=_missing(facts.filter(_in_force_on(as_of)), _control_labels(document)),
    )


_PLACEHOLDER = 987654321


def _url(pk: int) -> str:
    """The record's report: `reverse` once, then the number put in (thousands of rows)."""
    return _report_url().replace(str(_PLACEHOLDER), str(pk))


@lru_cache(maxsize=1)
def _report_url() -> str:
    return reverse("report", args=[_PLACEHOLDER])


def _rank(field: str) -> Case:
    """A verdict's rank (copilot 0, supervised 1, owner 2) in SQL."""
    whens = [When(**{field: verdict}, then=Value(i)) for i, verdict in enumerate(VERDICTS)]
    return Case(*whens, default=None, output_field=IntegerField())


def _first_rows(rows, partition: str, order: list[str], limit: int | None):
    """At most `limit` rows per value of `partition` (all when None). The first rows are
    picked on the narrow rows alone (a row number per partition, in a subquery), then read
    with their names: numbering thousands of rows joined to the wide assessment rows took
    0.1 s."""
    if limit is None:
        return rows.order_by(partition, *order)
    numbered = rows.annotate(
        row_number=Window(RowNumber(), partition_by=F(partition), order_by=[F(o) for o in order])
    )
    first = numbered.filter(row_number__lte=limit).values("pk")
    return rows.filter(pk__in=first).order_by(partition, *order)


def _changes(facts, start: date, end: date, team_names, limit) -> figures.Changes:
    """Approvals in the period against the workflow's approval before (new, raised, lowered),
    and the approvals that lapsed in the period (as the daily review sweep recorded them)."""
    after_end = _day_start(end + timedelta(days=1))
    approvals = (
        facts.filter(cycle__approved_at__gte=_day_start(start), cycle__approved_at__lt=after_end)
        .annotate(prior_rank=_rank("prior_verdict"), new_rank=_rank("verdict"))
        .annotate(
            kind=Case(
                When(prior_verdict="", then=Value("new")),
                When(new_rank__gt=F("prior_rank"), then=Value("raised")),
                When(new_rank__lt=F("prior_rank"), then=Value("lowered")),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .exclude(kind="")
    )
    lapses = facts.filter(
        cycle__state=State.LAPSED,
        cycle__state_since__gte=_day_start(start),
        cycle__state_since__lt=after_end,
    ).annotate(kind=Value("lapsed", output_field=CharField()))
    totals = dict.fromkeys(("new", "raised", "lowered", "lapsed"), 0)
    totals.update(approvals.values_list("kind").annotate(n=Count("pk")).order_by())
    totals["lapsed"] = lapses.count()
    fields = ("assessment_id", "assessment__name", "team_id", "verdict", "prior_verdict")
    found: dict[str, list] = {kind: [] for kind in totals}
    order = ["cycle__approved_at", "assessment_id"]
    for row in _first_rows(approvals, "kind", order, limit).values(
        *fields, "kind", "cycle__approved_at"
    ):
        on = timezone.localdate(row["cycle__approved_at"])
        found[row["kind"]].append(_change(row, team_names, row["prior_verdict"], on))
    order = ["cycle__state_since", "assessment_id"]
    for row in _first_rows(lapses, "kind", order, limit).values(*fields, "cycle__state_since"):
        on = timezone.localdate(row["cycle__state_since"])
        found["lapsed"].append(_change(row, team_names, row["verdict"], on))
    return figures.Changes(**{kind: tuple(rows) for kind, rows in found.items()}, totals=totals)


def _change(row, team_names, old: str, on: date) -> figures.Change:
    return figures.Change(
        workflow=row["assessment__name"],
        team=team_names.get(row["team_id"], ""),
        assessment_id=row["assessment_id"],
        old_verdict=old,
        new_verdict=row["verdict"],
        on=on,
        url=_url(row["assessment_id"]),
    )


def _review(facts, team_names, limit) -> figures.ReviewCycleFigures:
    """Today's open cycles that are due, overdue or lapsed (as the daily sweep left them)."""
    states = [State.DUE, State.OVERDUE, State.LAPSED]
    open_cycles = facts.filter(cycle__closed_at__isnull=True, cycle__state__in=states)
    totals = dict.fromkeys(states, 0)
    totals.update(open_cycles.values_list("cycle__state").annotate(n=Count("pk")).order_by())
    order = ["cycle__review_by", "assessment_id"]
    rows = _first_rows(open_cycles, "cycle__state", order, limit).values(
        "cycle__state",
        "cycle__review_by",
        "assessment_id",
        "assessment__name",
        "team_id",
        "verdict",
        "assessment__owner__username",
        "assessment__business_owner",
    )
    found: dict[str, list] = {state: [] for state in states}
    for row in rows:
        found[row["cycle__state"]].append(
            figures.ReviewItem(
                workflow=row["assessment__name"],
                team=team_names.get(row["team_id"], ""),
                assessment_id=row["assessment_id"],
                verdict=row["verdict"],
                review_by=row["cycle__review_by"],
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


def _missing(in_force, labels: dict[str, str]) -> tuple[figures.MissingControl, ...]:
    """The controls holding back the workflows in force, most often missing first. Counted on
    the gaps' index alone; worded as the published bank words them, or, for a rule it no longer
    has, as the record's own snapshot did."""
    rows = list(
        ControlGap.objects.filter(assessment_id__in=in_force.values("pk"))
        .values("key")
        .annotate(held=Count("pk"), up=Count("pk", filter=Q(lifts=True)))
        .order_by("-held", "-up", "key")
    )
    # Always this one query (on no key, an impossible one), so the count stays fixed.
    unknown = [row["key"] for row in rows if row["key"] not in labels] or [""]
    stored = ControlGap.objects.filter(key__in=unknown).order_by().values_list("key", "label")
    labels = {**labels, **dict(stored)}
    return tuple(
        figures.MissingControl(
            kind=CONDITION if row["key"].startswith(CONDITION_PREFIX) else RULE,
            key=row["key"],
            label=labels[row["key"]],
            held_back=row["held"],
            would_move_up=row["up"],
        )
        for row in rows
    )
