"""The outbox: owing deliveries (in the action's transaction) and sending them (in workers).

Exactly once, as far as the far end lets us:
- an event owes each message under a unique key, written with the action itself, so a
  committed action owes it once and a rolled-back one owes nothing;
- a worker claims pending rows in a short transaction (`SELECT ... FOR UPDATE SKIP LOCKED` on
  PostgreSQL; SQLite's one write lock serialises the claims), stamping each with its own lease
  token and a lease end, so two workers never hold the same row;
- it sends, then marks the row sent at once, only while the row is still its own;
- a worker killed mid-job leaves its rows claimed until the lease ends; then another claims
  them again, so nothing is lost.
The one window left: a message the far end accepted, then the worker killed before the row is
marked sent (one UPDATE, milliseconds). That message goes again after the lease; emails keep
the same Message-ID and webhooks the same webhook-id, so receivers can drop the repeat.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import uuid
from datetime import timedelta

import urllib3
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..models import Assessment, Team
from . import formats, signing
from .addresses import UnsafeTarget, target_check
from .models import WEBHOOK_TEST, Delivery, Event, WebhookEndpoint
from .reminders import (
    REMINDER_TYPES,
    assessment_id,
    digest_content,
    digest_recipients,
    reminder_mail,
    reminder_recipients,
)

logger = logging.getLogger(__name__)
BATCH = 10


# --- owing: in the action's transaction -----------------------------------------------------


def _scope(event: Event) -> str:
    """What makes two events the same for their recipients: a reminder is owed once per record,
    state and review-by date, however many times the sweep announces it."""
    if event.type in REMINDER_TYPES:
        record = assessment_id(event.payload)
        return f"{event.type}:{record}:{event.payload.get('review_by', '')}"
    return str(event.id)


def event_record(*, event_type: str, team, payload: dict) -> Event:
    """Store the event and every delivery it owes: its webhooks and its reminders."""
    event = Event.objects.create(type=event_type, team=team, payload=payload)
    scope = _scope(event)
    endpoints = WebhookEndpoint.objects.filter(active=True).select_related("team")
    if team is not None:
        endpoints = endpoints.filter(team=team)
    rows = [
        Delivery(
            key=f"{scope}:hook:{endpoint.pk}",
            channel=Delivery.Channel.WEBHOOK,
            event=event,
            team=endpoint.team,
            endpoint=endpoint,
        )
        for endpoint in endpoints
        if endpoint.wants(event_type)
    ]
    if event_type in REMINDER_TYPES:
        record = (
            Assessment.objects.filter(pk=assessment_id(payload))
            .select_related("team", "owner")
            .first()
        )
        if record is None:
            logger.error("%s names no assessment that exists: %r", event_type, payload)
        else:
            subject, body = reminder_mail(event_type, record, payload)
            rows += [
                Delivery(
                    key=f"{scope}:mail:{user.pk}",
                    channel=Delivery.Channel.EMAIL,
                    event=event,
                    team=record.team,
                    recipient=user.email,
                    subject=subject,
                    body=body,
                )
                for user in reminder_recipients(record)
            ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return event


def webhook_test_owe(*, endpoint: WebhookEndpoint, user) -> Delivery:
    """A test message to one endpoint, through the queue like any other."""
    payload = {"endpoint": endpoint.name, "team": str(endpoint.team), "by": user.get_username()}
    with transaction.atomic():
        event = Event.objects.create(type=WEBHOOK_TEST, team=endpoint.team, payload=payload)
        return Delivery.objects.create(
            key=f"{event.id}:hook:{endpoint.pk}",
            channel=Delivery.Channel.WEBHOOK,
            event=event,
            team=endpoint.team,
            endpoint=endpoint,
        )


def digests_owe(*, now=None) -> int:
    """The weekly digest of every team with something to tell, owed once per person and week."""
    now = now or timezone.now()
    year, week, _ = timezone.localdate(now).isocalendar()
    rows = []
    for team in Team.objects.order_by("pk"):
        content = digest_content(team, now=now)
        if content is None:
            continue
        subject, body = content
        rows += [
            Delivery(
                key=f"digest:{team.pk}:{year}-W{week:02}:{user.pk}",
                channel=Delivery.Channel.EMAIL,
                team=team,
                recipient=user.email,
                subject=subject,
                body=body,
            )
            for user in digest_recipients(team)
        ]
    owed = set(
        Delivery.objects.filter(key__in=[row.key for row in rows]).values_list("key", flat=True)
    )
    new = [row for row in rows if row.key not in owed]
    Delivery.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run: still once
    return len(new)


def outbox_prune(*, now=None, keep_days: int = 90) -> int:
    """Forget events (and their deliveries) older than `keep_days`, and sent or failed digests
    as old: the delivery log and the digests look back a week at most."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    events = Event.objects.filter(created_at__lt=cutoff).delete()[0]
    rest = Delivery.objects.filter(event=None, created_at__lt=cutoff).exclude(
        status=Delivery.Status.PENDING
    )
    return events + rest.delete()[0]


# --- sending: in the workers -----------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after a failed attempt: doubling from the base, capped at six hours."""
    base = settings.ASSESSOR_DELIVERY_BACKOFF_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def deliveries_claim(*, limit: int = BATCH, now=None) -> tuple[str, list[int]]:
    """Claim up to `limit` pending rows that are due and not held by a live lease."""
    now = now or timezone.now()
    token = f"{os.getpid()}-{uuid.uuid4().hex}"  # whose claim it is, for the log and tests
    with transaction.atomic():
        due = (
            Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(leased_until__isnull=True) | Q(leased_until__lt=now))
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
        )
        ids = list(due.values_list("id", flat=True)[:limit])
        if ids:
            Delivery.objects.filter(id__in=ids).update(
                leased_until=now + timedelta(seconds=settings.ASSESSOR_DELIVERY_LEASE_SECONDS),
                lease_token=token,
                attempts=F("attempts") + 1,
            )
    return token, ids


def _mark_sent(delivery: Delivery, token: str, response_code=None) -> None:
    done = Delivery.objects.filter(pk=delivery.pk, lease_token=token).update(
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        leased_until=None,
        response_code=response_code,
        last_error="",
    )
    if not done:  # our lease ran out and another worker holds it: it was slow, not lost
        logger.warning("Delivery %s was sent after its lease ended", delivery.pk)


def _mark_failed(delivery: Delivery, token: str, error: str, *, response_code=None, final=False):
    gave_up = final or delivery.attempts >= settings.ASSESSOR_DELIVERY_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk, lease_token=token).update(
        status=Delivery.Status.FAILED if gave_up else Delivery.Status.PENDING,
        next_attempt_at=timezone.now() + backoff(delivery.attempts),
        leased_until=None,
        last_error=error[:2000],
        response_code=response_code,
    )
    log = logger.error if gave_up else logger.warning
    log("Delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)


def _message_id(delivery: Delivery) -> str:
    # the same on every attempt, so a mail system can drop a repeat
    digest = hashlib.sha256(delivery.key.encode()).hexdigest()[:32]
    return f"<{digest}@autonomy-assessor>"


def _send_email(delivery: Delivery, token: str, connection) -> None:
    message = EmailMessage(
        delivery.subject,
        delivery.body,
        to=[delivery.recipient],
        headers={"Message-ID": _message_id(delivery)},
        connection=connection,
    )
    try:
        message.send(fail_silently=False)
    except Exception as error:  # refused, timed out, dropped: try again later
        _mark_failed(delivery, token, f"{type(error).__name__}: {error}")
        connection.close()  # a broken connection is not reused for the next one
        return
    _mark_sent(delivery, token)


def webhook_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` at the address checked now; the status code. No redirects."""
    target = target_check(url)
    timeout = urllib3.Timeout(total=settings.ASSESSOR_WEBHOOK_TIMEOUT_SECONDS)
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    if ":" in target.host and target.port == default_port:
        host_header = f"[{target.host}]"
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            timeout=timeout,
            retries=False,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False
        )
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "host": host_header},
            redirect=False,
            retries=False,
        )
    return response.status


def _send_webhook(delivery: Delivery, token: str) -> None:
    endpoint, event = delivery.endpoint, delivery.event
    body = formats.body(
        endpoint.format,
        event_type=event.type,
        event_id=str(event.id),
        created_at=event.created_at,
        payload=event.payload,
    )
    headers = signing.headers(
        endpoint.secret, msg_id=str(event.id), timestamp=int(time.time()), body=body
    )
    try:
        status = webhook_post(endpoint.url, body, headers)
    except UnsafeTarget as error:  # the address changed to one not allowed: no retry
        _mark_failed(delivery, token, str(error), final=True)
        return
    except Exception as error:  # refused, reset, timed out, bad certificate
        _mark_failed(delivery, token, f"{type(error).__name__}: {error}")
        return
    if 200 <= status < 300:
        _mark_sent(delivery, token, response_code=status)
    else:
        reason = "redirects are not followed" if 300 <= status < 400 else "not a 2xx answer"
        _mark_failed(delivery, token, f"HTTP {status}: {reason}", response_code=status)


def deliveries_send(token: str, ids: list[int]) -> None:
    """Send the rows claimed under `token`."""
    rows = Delivery.objects.filter(id__in=ids, lease_token=token).select_related(
        "endpoint", "event"
    )
    connection = None
    try:
        for delivery in rows.order_by("id"):
            if delivery.channel == Delivery.Channel.EMAIL:
                connection = connection or get_connection(fail_silently=False)
                _send_email(delivery, token, connection)
            elif delivery.endpoint is None or delivery.event is None:
                _mark_failed(delivery, token, "the endpoint was deleted", final=True)
            else:
                _send_webhook(delivery, token)
    finally:
        if connection is not None:
            connection.close()


def deliver_pending(*, budget_seconds: float = 50.0) -> int:
    """Claim and send batches until none is due or the time budget is spent; rows claimed."""
    started, claimed = time.monotonic(), 0
    while time.monotonic() - started < budget_seconds:
        token, ids = deliveries_claim()
        if not ids:
            break
        claimed += len(ids)
        deliveries_send(token, ids)
    return claimed
