"""Writes of the portfolio: the control gaps of an approved record (see gaps.py)."""

from __future__ import annotations

from ..models import Assessment
from .gaps import gaps_of
from .models import ControlGap


def control_gaps_record(*, assessment: Assessment) -> int:
    """Store what holds `assessment` back, from its frozen result; replaces any earlier rows
    (idempotent, for the backfill). Returns how many rows it wrote."""
    ControlGap.objects.filter(assessment=assessment).delete()
    rows = [
        ControlGap(assessment=assessment, kind=g.kind, key=g.key, label=g.label, lifts=g.lifts)
        for g in gaps_of(assessment.snapshot_result)
    ]
    ControlGap.objects.bulk_create(rows)
    return len(rows)


def control_gaps_backfill() -> int:
    """Gaps for every approved record that has none yet (records approved before the table)."""
    records = Assessment.objects.filter(status=Assessment.Status.APPROVED, control_gaps=None)
    return sum(control_gaps_record(assessment=record) for record in records.iterator())
