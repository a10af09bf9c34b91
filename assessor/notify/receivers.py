"""The outbox listens to the app's events (connected in AssessorConfig.ready)."""

from __future__ import annotations

from ..events import event_published, event_recorded
from . import outbox, tasks


def record(sender, *, event_type, team, payload, **kwargs):
    # inside the action's transaction: the deliveries commit or roll back with it
    outbox.event_record(event_type=event_type, team=team, payload=payload)


def wake(sender, **kwargs):
    tasks.deliver_soon()


def connect() -> None:
    event_recorded.connect(record, dispatch_uid="notify-record")
    event_published.connect(wake, dispatch_uid="notify-wake")
