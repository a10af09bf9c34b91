"""The daily review sweep over 30,000 approved records: at most 10 s (issue 24, part 5).

Runs in a process of its own on a throwaway SQLite database. Two figures, each one run
(`timeit`, number=1: a sweep changes what the next one finds):
- the first sweep, which opens a cycle for each of the 30,000 approvals (as after upgrading);
- a daily sweep with a quarter of the cycles moving into each of due, overdue and lapsed
  (22,500 changes announced: far more than a real day's), and one that finds nothing to do.
"""

import json
import os
import sys
import tempfile
import time
import timeit
from datetime import timedelta

from bench.common import note, report
from bench.server import script

RECORDS = 30_000
TARGET = 10.0


def run() -> bool:
    figures = script([sys.executable, __file__], timeout=900)
    note(f"{figures['records']:,} approved records seeded in {figures['seed_seconds']:.1f} s")
    note(f"daily sweep moved: {figures['moved']}")
    ok = report(
        "review sweep, first run: a cycle opened for each of 30,000 approvals",
        figures["first"],
        "s",
        "<= 10 s",
        figures["first"] <= TARGET,
    )
    ok &= report(
        "daily review sweep over 30,000 approvals (22,500 state changes)",
        figures["daily"],
        "s",
        "<= 10 s",
        figures["daily"] <= TARGET,
    )
    ok &= report(
        "daily review sweep with nothing to move",
        figures["idle"],
        "s",
        "<= 10 s",
        figures["idle"] <= TARGET,
    )
    return ok


def seed(questionnaire, team, owner) -> None:
    """30,000 approved records. Approved records are created only through the review workflow,
    one at a time (locked_records.py); the bench makes drafts in bulk, then marks them approved
    with one raw UPDATE below the guard, as a restored database would hold them."""
    from django.db import connection

    from assessor.models import Assessment

    Assessment._base_manager.bulk_create(
        (
            Assessment(name=f"Workflow {n}", questionnaire=questionnaire, team=team, owner=owner)
            for n in range(RECORDS)
        ),
        batch_size=5000,
    )
    table = connection.ops.quote_name(Assessment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET status = 'approved'")  # noqa: S608 (constant)


def spread(today) -> None:
    """A quarter of the cycles left current; the others due, overdue and lapsed by the clock."""
    from assessor.oversight.models import ReviewCycle

    ids = list(ReviewCycle.objects.order_by("pk").values_list("pk", flat=True))
    quarter = len(ids) // 4
    dates = [today + timedelta(days=400), today + timedelta(days=10), today - timedelta(days=5)]
    dates.append(today - timedelta(days=200))
    for n, review_by in enumerate(dates):
        chunk = ids[n * quarter : (n + 1) * quarter if n < 3 else None]
        ReviewCycle.objects.filter(pk__gte=chunk[0], pk__lte=chunk[-1]).update(review_by=review_by)


def main() -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='assessor-sweep-')}/b.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"  # as the test suite
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone

    from assessor import events
    from assessor.models import Questionnaire
    from assessor.oversight.cycle import review_cycle_sweep
    from assessor.teams.membership import member_add

    call_command("migrate", verbosity=0)
    call_command("load_questionnaire", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    reviewer = member_add(team_name="Bench", username="reviewer", role="reviewer")
    start = time.perf_counter()
    seed(Questionnaire.current(), reviewer.team, reviewer.user)
    seeded = time.perf_counter() - start
    heard = []
    # a listener, as the task queue's: it is told of each change
    events.event_published.connect(lambda sender, **event: heard.append(event["event_type"]))
    reverse("report", args=[1])  # a worker has its URLs loaded before its first job
    first = timeit.timeit(review_cycle_sweep, number=1)
    spread(timezone.localdate())
    moved = {}
    daily = timeit.timeit(lambda: moved.update(review_cycle_sweep()), number=1)
    idle = timeit.timeit(review_cycle_sweep, number=1)
    print(
        json.dumps(
            {
                "records": RECORDS,
                "seed_seconds": seeded,
                "first": first,
                "daily": daily,
                "idle": idle,
                "moved": moved,
                "announced": len(heard),
            }
        )
    )


if __name__ == "__main__":
    main()
