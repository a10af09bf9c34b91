"""Two review sweeps at once (two scheduler workers firing together): every change is made and
announced exactly once between them.

transaction=True: each sweep runs on its own connection in its own thread, as two worker
processes would. On PostgreSQL (`export DATABASE_URL=$(scripts/start-postgres.sh)`) the second
UPDATE waits for the rows the first holds, then finds them moved; SQLite runs one writer at a
time.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from assessor import events
from assessor.models import Assessment, Team
from assessor.oversight import cycle
from assessor.oversight.models import ReviewCycle
from tests.builders import make_user

pytestmark = pytest.mark.django_db(transaction=True)

RECORDS = 300


def test_two_sweeps_at_once_move_and_announce_each_cycle_once(questionnaire):
    owner = make_user("owner")
    team = Team.objects.get(name="Team A")
    records = Assessment.objects.bulk_create(
        Assessment(name=f"Workflow {n}", questionnaire=questionnaire, team=team, owner=owner)
        for n in range(RECORDS)
    )
    long_ago = timezone.now() - dt.timedelta(days=900)
    ReviewCycle.objects.bulk_create(
        ReviewCycle(
            assessment=record,
            approved_at=long_ago,
            review_by=timezone.localdate(long_ago),
            state_since=long_ago,
        )
        for record in records
    )
    sent, lock = [], threading.Lock()

    def receiver(sender, event_type, team, payload, **kwargs):
        with lock:
            sent.append((event_type, payload["assessment"]))

    barrier = threading.Barrier(2)
    counts, failures = [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            counts.append(cycle.review_cycle_sweep())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))
        finally:
            connection.close()

    events.event_published.connect(receiver)
    try:
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        events.event_published.disconnect(receiver)
    assert failures == []
    assert sum(c["lapsed"] for c in counts) == RECORDS
    assert sorted(pk for _, pk in sent) == sorted(r.pk for r in records)
    assert {kind for kind, _ in sent} == {events.REVIEW_LAPSED}
    assert set(ReviewCycle.objects.values_list("state", flat=True)) == {"lapsed"}
