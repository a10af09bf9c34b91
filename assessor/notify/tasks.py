"""The task queue's jobs (django-q2, ORM broker), named by dotted path in its schedules.

Each job is safe to run twice or on two hosts at once: what it sends is owed once in the
outbox, and a delivery is claimed by one worker only (outbox.py).
"""

from __future__ import annotations

import importlib
import logging

from django.conf import settings
from django_q.models import Schedule
from django_q.tasks import async_task

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
    deliver_pending()
    return result


def weekly_digests() -> int:
    owed = outbox.digests_owe()
    deliver_pending()
    return owed


def deliver_soon() -> None:
    """Wake a worker to deliver what was just owed (the frequent schedule is the fallback)."""
    try:
        async_task(DELIVER, task_name="deliver pending notifications")
    except Exception:  # the broker is the database: if it failed, the schedule catches up
        logger.exception("Could not queue the delivery task; the schedule will deliver.")


SCHEDULES = {
    # name: (function, schedule type, extra fields)
    "Deliver pending notifications": (DELIVER, Schedule.MINUTES, {"minutes": 1}),
    "Daily review sweep": (
        "assessor.notify.tasks.review_sweep",
        Schedule.CRON,
        {"cron": "0 6 * * *"},
    ),
    "Weekly digest": ("assessor.notify.tasks.weekly_digests", Schedule.CRON, {"cron": "0 7 * * 1"}),
}


def schedules_ensure() -> list[str]:
    """Create or update the schedules (idempotent); the names of those created."""
    created = []
    for name, (func, schedule_type, extra) in SCHEDULES.items():
        _, was_created = Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": schedule_type, "repeats": -1, **extra},
        )
        if was_created:
            created.append(name)
    return created
