"""The task queue's jobs (django-q2, ORM broker), named by dotted path in its schedules.

Each job is safe to run twice or on two hosts at once: what it sends is owed once in the
outbox, and a delivery is claimed by one worker only (outbox.py).
"""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from ..evidence.services import evidence_expiry_sweep
from . import outbox

logger = logging.getLogger(__name__)

REVIEW_SWEEP = "assessor.oversight.cycle.review_cycle_sweep"
DELIVER = "assessor.notify.tasks.deliver_pending"


def deliver_pending() -> int:
    return outbox.deliver_pending(budget_seconds=settings.ASSESSOR_DELIVERY_BUDGET_SECONDS)


def review_sweep():
    """Run the review cycle's daily sweep (review states move on, reminders are owed)."""
    module_name, _, function_name = REVIEW_SWEEP.rpartition(".")
    try:
        sweep = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError):
        logger.error("The review sweep %s does not exist here; nothing swept.", REVIEW_SWEEP)
        return None
    result = sweep()
    # the same daily run: evidence past its expiry date asks for a re-review (once per file)
    evidence_expiry_sweep(timezone.localdate())
    deliver_pending()
    return result


def weekly_digests() -> int:
    owed = outbox.digests_owe()
    deliver_pending()
    outbox.outbox_prune()  # once a week is often enough to keep the outbox small
    return owed


def deliver_soon() -> None:
    """Wake a worker to deliver what was just owed (the frequent schedule is the fallback)."""
    try:
        async_task(DELIVER, task_name="deliver pending notifications")
    except Exception:  # the broker is the database: if it failed, the schedule catches up
        logger.exception("Could not queue the delivery task; the schedule will deliver.")


def _next(now, *, hour: int, weekday: int | None = None):
    """The next `hour`:00 (local time) after `now`, on `weekday` (0 = Monday) if given."""
    at = timezone.localtime(now).replace(hour=hour, minute=0, second=0, microsecond=0)
    while at <= now or (weekday is not None and at.weekday() != weekday):
        at += timedelta(days=1)
    return at


def _schedules(now) -> dict:
    # name: (function, schedule type, its fields); times in the server's time zone
    return {
        "Deliver pending notifications": (
            DELIVER,
            Schedule.MINUTES,
            {"minutes": 1, "next_run": now},
        ),
        "Daily review sweep": (
            "assessor.notify.tasks.review_sweep",
            Schedule.DAILY,
            {"next_run": _next(now, hour=6)},
        ),
        "Weekly digest": (
            "assessor.notify.tasks.weekly_digests",
            Schedule.WEEKLY,
            {"next_run": _next(now, hour=7, weekday=0)},
        ),
    }


SCHEDULES = tuple(_schedules(timezone.now()))


def schedules_ensure(*, now=None) -> list[str]:
    """Create the schedules, or put back their function and kind (idempotent: a schedule's
    next run is kept); the names of those created."""
    created = []
    for name, (func, schedule_type, extra) in _schedules(now or timezone.now()).items():
        schedule, was_created = Schedule.objects.get_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "repeats": -1, **extra},
        )
        if was_created:
            created.append(name)
        elif (schedule.func, schedule.schedule_type, schedule.repeats) != (
            func,
            schedule_type,
            -1,
        ):
            schedule.func, schedule.schedule_type, schedule.repeats = func, schedule_type, -1
            schedule.save(update_fields=["func", "schedule_type", "repeats"])
    return created
