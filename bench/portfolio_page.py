"""The portfolio page (`/portfolio/`) over 30,000 assessments: the median server time of the
page (in-process, Django's test client: no network, no browser), for the default period (the
last quarter to date) and for a year (twelve month-end columns), and its number of SQL
queries, which must not grow with the portfolio (the same with 3,000 and 30,000 records).

The records are the agent register bench's (bench/register_list.py: 10,000 agents, 30,000
assessments), with what the portfolio reads added: each approval's review cycle (dates over two
years, every review state), the scope answers (task type, environment), the control gaps
stored at approval, the narrow portfolio rows, and half the second revisions approved
(raised or lowered verdicts).
Runs in a process of its own on a throwaway SQLite database (`timeit`, median of 7).
"""

import json
import os
import statistics
import sys
import tempfile
import time
import timeit
from datetime import date, datetime, timedelta

from bench.common import note, report
from bench.server import script

TARGET_MS = 500
SMALL = 3_000  # the same page on a tenth of the records, for the query count


def run() -> bool:
    figures = script([sys.executable, __file__], timeout=1200)
    note(
        f"{figures['assessments']:,} assessments ({figures['approved']:,} approved, "
        f"{figures['gaps']:,} control gaps) seeded in {figures['seed_seconds']:.1f} s"
    )
    ok = True
    for key, label in (("quarter", "the last quarter"), ("year", "a year, 12 columns")):
        ms = figures[key]["median_ms"]
        ok &= report(
            f"portfolio page, {label} (median of 7)",
            ms,
            "ms",
            f"<= {TARGET_MS} ms",
            ms <= TARGET_MS,
        )
    counts = {figures[key]["queries"] for key in ("small", "quarter", "year")}
    ok &= report(
        "SQL queries per portfolio page (3,000 and 30,000 records)",
        max(counts),
        "",
        "fixed",
        len(counts) == 1,
    )
    return ok


def enrich(team, today: date) -> dict:
    """What the portfolio reads, added to the register bench's records (see the docstring)."""
    from django.utils import timezone

    from assessor.models import (
        Answer,
        Assessment,
        ControlGap,
        PortfolioRecord,
        Questionnaire,
        ReviewCycle,
    )

    rows = Assessment._base_manager
    revisions = list(rows.filter(team=team, previous__isnull=False).order_by("pk"))
    raised = [r for r in revisions if r.pk % 2 == 0]
    for n, r in enumerate(raised):
        r.status, r.verdict = "approved", ("copilot", "supervised", "owner")[n % 3]
    rows.bulk_update(raised, ["status", "verdict"], batch_size=2000)
    approved = list(rows.filter(team=team, status="approved").order_by("pk"))

    def aware(day: date):
        return timezone.make_aware(datetime.combine(day, datetime.min.time()))

    later = {r.pk: r for r in raised}
    superseded = {r.previous_id: r for r in raised}
    cycles = []
    for n, record in enumerate(approved):
        approved_on = (
            today - timedelta(days=(n * 7) % 730)
            if record.pk not in later
            else today - timedelta(days=n % 80)
        )
        review_by = approved_on + timedelta(days=365)
        state = (
            ("current", "due", "overdue", "lapsed")[n % 4]
            if review_by < today + timedelta(days=30)
            else "current"
        )
        closed = None
        if record.pk in superseded:
            closed = aware(today - timedelta(days=n % 80 + 1))
        cycles.append(
            ReviewCycle(
                assessment=record,
                approved_at=aware(approved_on),
                state_since=aware(approved_on),
                review_by=review_by,
                state=state,
                closed_at=closed,
            )
        )
    ReviewCycle.objects.bulk_create(cycles, batch_size=5000)
    tasks = ("provisioning", "deprovisioning", "access_review", "secret_rotation")
    envs = ("production", "non_production", "mixed")
    Answer._base_manager.bulk_create(
        (
            Answer(assessment_id=record.pk, question_key=key, choice_key=choice)
            for n, record in enumerate(approved)
            for key, choice in (("task_type", tasks[n % 4]), ("environment_tier", envs[n % 3]))
        ),
        batch_size=5000,
    )
    verdicts = dict(rows.filter(team=team).values_list("pk", "verdict"))
    PortfolioRecord.objects.bulk_create(
        (
            PortfolioRecord(
                assessment_id=record.pk,
                team=team,
                verdict=record.verdict,
                prior_verdict=verdicts[record.previous_id] if record.previous_id else "",
                task_type=tasks[n % 4],
                environment=envs[n % 3],
            )
            for n, record in enumerate(approved)
        ),
        batch_size=5000,
    )
    # The shipped bank's own conditions and rules, as the approvals would have stored them.
    document = Questionnaire.current().document
    controls = [
        ("condition", f"condition-{c['id']}", c["title"]) for c in document["ownership_conditions"]
    ] + [("rule", r["id"], r["reason"]) for r in document["rules"][:8]]
    ControlGap.objects.bulk_create(
        (
            ControlGap(
                assessment_id=record.pk, kind=kind, key=key, label=label, lifts=(n + i) % 5 == 0
            )
            for n, record in enumerate(approved)
            if record.verdict != "owner"
            for i, (kind, key, label) in enumerate(controls[n % 6 : n % 6 + 3])
        ),
        batch_size=5000,
    )
    return {"approved": len(approved), "gaps": ControlGap.objects.count()}


def measure(client, url: str, connection) -> dict:
    # Counted by an execute wrapper: CaptureQueriesContext loses a request's queries, as
    # Django empties the query log when a request starts.
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    client.get(url)  # warm-up
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    times = timeit.repeat(lambda: client.get(url), number=1, repeat=7)
    return {"median_ms": statistics.median(times) * 1000, "queries": len(executed)}


def main() -> None:
    os.environ["DATABASE_URL"] = (
        f"sqlite:///{tempfile.mkdtemp(prefix='assessor-portfolio-')}/b.sqlite3"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"  # as the test suite
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from assessor.models import Questionnaire
    from assessor.teams.membership import member_add
    from bench import register_list

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    published = Questionnaire.current()
    total_core = len(published.scoring_model().core_keys)
    today = timezone.localdate()
    reviewer = member_add(team_name="Bench", username="reviewer", role="reviewer")
    member_add(team_name="Bench", username="reviewer", role="approver")
    start = time.perf_counter()
    seeded = register_list.seed(reviewer.team, reviewer.user, published, total_core)
    seeded.update(enrich(reviewer.team, today))
    # A team a tenth the size, read alone: the query count must not move.
    small = member_add(team_name="Small", username="reviewer", role="approver").team
    register_list.AGENTS, saved = SMALL // 3, register_list.AGENTS
    register_list.seed(small, reviewer.user, published, total_core)
    register_list.AGENTS = saved
    enrich(small, today)
    seeded["seed_seconds"] = time.perf_counter() - start
    client = Client()
    client.force_login(reviewer.user)
    year = f"start={(today - timedelta(days=364)).isoformat()}&end={today.isoformat()}"
    bench_team, small_team = reviewer.team.pk, small.pk
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        figures = {
            "quarter": measure(client, f"/portfolio/?team={bench_team}", connection),
            "year": measure(client, f"/portfolio/?team={bench_team}&{year}", connection),
            "small": measure(client, f"/portfolio/?team={small_team}", connection),
        }
    print(json.dumps({**seeded, **figures}))


if __name__ == "__main__":
    main()
