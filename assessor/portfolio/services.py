"""Writes of the portfolio, at approval: the record's control gaps (see gaps.py) and its
narrow portfolio row (see models.PortfolioRecord)."""

from __future__ import annotations

from ..models import Answer, Assessment
from .gaps import gaps_of
from .models import ControlGap, PortfolioRecord

SCOPE = {"task_type": "task_type", "environment_tier": "environment"}


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


def _prior_verdict(assessment: Assessment) -> str:
    """The verdict of the nearest earlier approved revision ("" for a first approval)."""
    previous_id = assessment.previous_id
    while previous_id is not None:
        previous = Assessment.objects.only("status", "verdict", "previous_id").get(pk=previous_id)
        if previous.status == Assessment.Status.APPROVED:
            return previous.verdict
        previous_id = previous.previous_id
    return ""


def portfolio_record_write(*, assessment: Assessment) -> PortfolioRecord:
    """The approved record's portfolio row (replaced if there is one)."""
    answers = dict(
        Answer.objects.filter(assessment=assessment, question_key__in=SCOPE).values_list(
            "question_key", "choice_key"
        )
    )
    record, _ = PortfolioRecord.objects.update_or_create(
        assessment=assessment,
        defaults={
            "team_id": assessment.team_id,
            "verdict": assessment.verdict,
            "prior_verdict": _prior_verdict(assessment),
            "task_type": answers.get("task_type", ""),
            "environment": answers.get("environment_tier", ""),
            "is_example": assessment.is_example,
        },
    )
    return record
