"""Grants follow the review cycle's events (connected in AssessorConfig.ready)."""

from __future__ import annotations

from ..events import REVIEW_LAPSED, event_recorded
from .services import grants_revoke_of


def lapsed(sender, *, event_type, team, payload, **kwargs):
    # inside the sweep's transaction: the cycle's move and the revocation commit together
    if event_type == REVIEW_LAPSED:
        grants_revoke_of(
            assessment_ids=[payload["assessment_id"]],
            reason=f"Approval lapsed: its review-by date {payload['review_by']} passed.",
        )


def connect() -> None:
    event_recorded.connect(lapsed, dispatch_uid="grants-lapsed")
