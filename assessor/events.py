"""What happened, told to whoever listens: the one place the app announces its events.

The review workflow, the review cycle and the studio announce an event here once its transaction
has committed; notifications (emails, reminders, webhooks) listen, so the workflow knows nothing
of who is told or how. An event names its type, the team it concerns (None for an
organisation-wide one, such as a published questionnaire) and a JSON-safe payload.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

# The event types, as webhooks name them (add beside, never rename: receivers rely on them).
ASSESSMENT_SUBMITTED = "assessment.submitted"
ASSESSMENT_RETURNED = "assessment.returned"
ASSESSMENT_APPROVED = "assessment.approved"
REVIEW_DUE = "review.due"
REVIEW_OVERDUE = "review.overdue"
REVIEW_LAPSED = "review.lapsed"
QUESTIONNAIRE_PUBLISHED = "questionnaire.published"
GRANT_ISSUED = "grant.issued"
GRANT_REVOKED = "grant.revoked"

EVENT_TYPES = (
    ASSESSMENT_SUBMITTED,
    ASSESSMENT_RETURNED,
    ASSESSMENT_APPROVED,
    REVIEW_DUE,
    REVIEW_OVERDUE,
    REVIEW_LAPSED,
    QUESTIONNAIRE_PUBLISHED,
    GRANT_ISSUED,
    GRANT_REVOKED,
)

# Receivers get: event_type (one of EVENT_TYPES), team (a Team or None), payload (a dict).
# `event_recorded` is sent at once, inside the action's transaction: a receiver that writes
# rows there (the notification outbox) commits or rolls back with the action itself.
# `event_published` is sent once that transaction has committed: for what must not run on
# work that may still roll back (waking the task queue, sending anything).
event_recorded = Signal()
event_published = Signal()


def event_publish(event_type: str, *, team, payload: dict) -> None:
    """Announce `event_type` once the current transaction commits (at once outside one), so an
    action that rolls back announces nothing."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    event_recorded.send(sender=event_publish, event_type=event_type, team=team, payload=payload)
    transaction.on_commit(
        lambda: event_published.send(
            sender=event_publish, event_type=event_type, team=team, payload=payload
        ),
        robust=False,
    )
