"""What an endpoint receives for an event: Standard Webhooks JSON, or the message Slack or
Microsoft Teams incoming webhooks expect. Pure functions of the event's data."""

from __future__ import annotations

import json

from django.conf import settings

from ..events import (
    ASSESSMENT_APPROVED,
    ASSESSMENT_RETURNED,
    ASSESSMENT_SUBMITTED,
    GRANT_ISSUED,
    GRANT_REVOKED,
    QUESTIONNAIRE_PUBLISHED,
    REVIEW_DUE,
    REVIEW_LAPSED,
    REVIEW_OVERDUE,
)
from .models import WEBHOOK_TEST, WebhookEndpoint

HEADLINES = {
    ASSESSMENT_SUBMITTED: "Submitted for approval",
    ASSESSMENT_RETURNED: "Returned for changes",
    ASSESSMENT_APPROVED: "Approved",
    REVIEW_DUE: "Review due",
    REVIEW_OVERDUE: "Review overdue",
    REVIEW_LAPSED: "Approval lapsed",
    QUESTIONNAIRE_PUBLISHED: "Questionnaire published",
    GRANT_ISSUED: "Autonomy grant issued",
    GRANT_REVOKED: "Autonomy grant revoked",
    WEBHOOK_TEST: "Test message",
}


def absolute(url: str) -> str:
    """A payload's link, absolute (the review cycle may give a path)."""
    if url.startswith("/"):
        return settings.ASSESSOR_BASE_URL.rstrip("/") + url
    return url


def summary(event_type: str, payload: dict) -> str:
    """One line a person reads in a chat channel or a subject line."""
    headline = HEADLINES.get(event_type, event_type)
    if event_type == WEBHOOK_TEST:
        return f"{headline} from the Autonomy Assessor: this endpoint is reached."
    if event_type == QUESTIONNAIRE_PUBLISHED:
        return f"{headline}: version {payload.get('version', '?')}"
    name = " ".join(str(payload.get("name", "")).split()) or "an assessment"
    text = f"{headline}: {name}"
    if payload.get("team"):
        text += f" (team {payload['team']})"
    if payload.get("review_by"):
        text += f", review by {payload['review_by']}"
    return text


def body(endpoint_format: str, *, event_type: str, event_id: str, created_at, payload) -> bytes:
    """The bytes posted (and signed) for one event."""
    text = summary(event_type, payload)
    link = absolute(str(payload.get("url", ""))) if payload.get("url") else ""
    if endpoint_format == WebhookEndpoint.Format.SLACK:
        message = {"text": f"{text} <{link}|Open>" if link else text}
    elif endpoint_format == WebhookEndpoint.Format.TEAMS:
        blocks = [{"type": "TextBlock", "text": text, "wrap": True}]
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": blocks,
        }
        if link:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open", "url": link}]
        message = {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    else:
        data = dict(payload)
        if link:
            data["url"] = link
        message = {
            "id": event_id,
            "type": event_type,
            "timestamp": created_at.isoformat(),
            "data": data,
        }
    return json.dumps(message, sort_keys=True, separators=(",", ":")).encode()
