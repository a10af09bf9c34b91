"""The notification outbox: events, the deliveries they owe (emails, webhook posts) and the
webhook endpoints team managers register.

A delivery row is written in the same transaction as the action that owes it (see
`events.event_recorded`), under a unique key, so an action that commits owes each message
exactly once and one that rolls back owes none. Workers of the task queue claim pending rows
(`outbox.py`), send them and mark them sent.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ..events import EVENT_TYPES

WEBHOOK_TEST = "webhook.test"  # the test button's event: never announced by the app itself
EVENT_CHOICES = [(event_type, event_type) for event_type in EVENT_TYPES]


class Event(models.Model):
    """One announced event. Its id is the webhook-id every endpoint receives for it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40)
    team = models.ForeignKey(
        "assessor.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} at {self.created_at:%Y-%m-%d %H:%M}"


class WebhookEndpoint(models.Model):
    """Where a team's events are posted: a URL, the events it wants, a signing secret."""

    class Format(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks (JSON)"
        SLACK = "slack", "Slack incoming webhook"
        TEAMS = "teams", "Microsoft Teams incoming webhook (Workflows)"

    team = models.ForeignKey(
        "assessor.Team", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.STANDARD)
    event_types = models.JSONField(default=list)
    # Kept readable: the payloads are signed with it (shown once, at creation).
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "name", "id"]

    def __str__(self):
        return f"{self.name} ({self.team})"

    def wants(self, event_type: str) -> bool:
        return self.active and (event_type == WEBHOOK_TEST or event_type in self.event_types)


class Delivery(models.Model):
    """One message owed: an email to one address, or one event to one endpoint."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    # What makes it this message and no other: a second attempt to owe it is a no-op.
    key = models.CharField(max_length=200, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE)
    team = models.ForeignKey(
        "assessor.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    recipient = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A claim: the worker holding `lease_token` sends it before `leased_until`; past that, a
    # worker that died mid-job has let go and another may claim it.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=64, blank=True)  # "<pid>-<random>" of its worker
    last_error = models.TextField(blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due")]
        verbose_name_plural = "deliveries"

    def __str__(self):
        target = self.recipient if self.channel == self.Channel.EMAIL else self.endpoint
        return f"{self.get_channel_display()} to {target}: {self.status}"
