"""Who is reminded of what: review reminders (due, overdue, lapsed) and the weekly digest.

Reads and message text only; the outbox (outbox.py) stores and sends them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from ..events import REVIEW_DUE, REVIEW_LAPSED, REVIEW_OVERDUE
from ..models import Assessment, Team
from .formats import HEADLINES, absolute
from .models import Event

REMINDER_TYPES = (REVIEW_DUE, REVIEW_OVERDUE, REVIEW_LAPSED)
WHAT_HAPPENED = {
    REVIEW_DUE: "is due for review",
    REVIEW_OVERDUE: "is overdue for review",
    REVIEW_LAPSED: "has lapsed: its approval no longer counts as a current verdict",
}


def _wanting_reminders(users):
    """Those of `users` with an address who have not turned reminders off."""
    return (
        users.exclude(email="")
        .exclude(notification_preference__reminder_emails=False)
        .distinct()
        .order_by("username")
    )


def reminder_recipients(assessment: Assessment) -> list:
    """Who is reminded about `assessment`: its owner (who created it), the accountable owner
    of the agent that runs it (from the register), and the approvers of its team, each once,
    without those who turned reminders off."""
    people = get_user_model().objects
    users = people.filter(pk=assessment.owner_id) | people.filter(
        memberships__team_id=assessment.team_id, memberships__approver=True
    )
    if assessment.agent_id is not None:
        users = users | people.filter(agents_owned__pk=assessment.agent_id)
    return list(_wanting_reminders(users))


def digest_recipients(team: Team) -> list:
    """The team's approvers and managers who want digests."""
    people = get_user_model().objects
    users = people.filter(memberships__team=team, memberships__approver=True) | people.filter(
        memberships__team=team, memberships__team_manager=True
    )
    return list(_wanting_reminders(users))


def assessment_id(payload: dict) -> int | None:
    """The record an event is about (payloads name it `assessment_id`, or `assessment` as a
    number or an object with an `id`)."""
    value = payload.get("assessment_id", payload.get("assessment"))
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _settings_url() -> str:
    return absolute(reverse("account_settings"))


def reminder_mail(event_type: str, assessment: Assessment, payload: dict) -> tuple[str, str]:
    """The subject and body of a reminder."""
    name = " ".join(assessment.name.split())
    subject = f"{HEADLINES[event_type]}: {name}"
    review_by = payload.get("review_by")
    when = f" Its review-by date is {review_by}." if review_by else ""
    body = (
        f"“{assessment.name}” (team {assessment.team}, revision {assessment.revision}) "
        f"{WHAT_HAPPENED[event_type]}.{when}\n\n"
        f"Open the record and start the re-review: "
        f"{absolute(reverse('report', args=[assessment.pk]))}\n\n"
        f"You get this because you own the record or approve for team {assessment.team}. "
        f"Turn reminders off in your settings: {_settings_url()}\n"
    )
    return subject, body


def digest_content(team: Team, *, now) -> tuple[str, str] | None:
    """The weekly digest of a team (subject, body), or None when there is nothing to tell."""
    awaiting = list(
        Assessment.objects.filter(team=team, status=Assessment.Status.SUBMITTED)
        .order_by("name", "pk")
        .values_list("pk", "name")
    )
    since = now - timedelta(days=7)
    changes = {event_type: [] for event_type in REMINDER_TYPES}
    for event in Event.objects.filter(
        team=team, type__in=REMINDER_TYPES, created_at__gte=since
    ).order_by("created_at"):
        changes[event.type].append(event.payload)
    if not awaiting and not any(changes.values()):
        return None
    base = settings.ASSESSOR_BASE_URL.rstrip("/")
    lines = [f"The week in team {team}.", ""]
    for event_type, payloads in changes.items():
        if payloads:
            lines.append(f"{HEADLINES[event_type]} ({len(payloads)}):")
            for payload in payloads:
                name = " ".join(str(payload.get("name", "")).split())
                by = payload.get("review_by")
                lines.append(f"- {name} (review by {by})" if by else f"- {name}")
            lines.append("")
    if awaiting:
        lines.append(f"Awaiting approval ({len(awaiting)}):")
        for pk, name in awaiting:
            lines.append(f"- {' '.join(name.split())}: {base}{reverse('report', args=[pk])}")
        lines.append("")
    lines.append(f"Turn digests off in your settings: {_settings_url()}")
    subject = f"Weekly digest: team {team}"
    return subject, "\n".join(lines) + "\n"
