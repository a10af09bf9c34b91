"""The portfolio listens to approvals (connected in AssessorConfig.ready): the approved record's
control gaps and portfolio row are written inside the approval's transaction, so they commit or
roll back with it."""

from __future__ import annotations

from .. import events
from ..models import Assessment
from .services import control_gaps_record, portfolio_record_write


def record(sender, *, event_type, team, payload, **kwargs):
    if event_type != events.ASSESSMENT_APPROVED:
        return
    assessment = Assessment.objects.get(pk=payload["assessment_id"])
    control_gaps_record(assessment=assessment)
    portfolio_record_write(assessment=assessment)


def connect() -> None:
    events.event_recorded.connect(record, dispatch_uid="portfolio-gaps")
