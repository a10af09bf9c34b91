"""Reads of the review cycle: an approval's review-by date and state, and which approvals
still count as current verdicts (for the dashboard, the API, the register and the board)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from ..models import Assessment
from .cycle import review_by_date, state_today
from .models import ReviewCycle

SUPERSEDED = "superseded"  # a closed cycle: a newer revision is approved
REVIEW_STATES = tuple(ReviewCycle.State.values)
REVIEW_STATE_CHOICES = tuple(ReviewCycle.State.choices)  # (key, label), for filters


def cycle_of(assessment: Assessment) -> ReviewCycle | None:
    """The record's cycle (from `select_related("review_cycle")` when loaded so), or None."""
    try:
        return assessment.review_cycle
    except ReviewCycle.DoesNotExist:
        return None


@dataclass(frozen=True)
class ReviewStatus:
    review_by: date
    state: str  # one of REVIEW_STATES, or SUPERSEDED
    state_since: datetime | None
    rereview_reason: str = ""
    rereview_requested_at: datetime | None = None

    @property
    def lapsed(self) -> bool:
        return self.state == ReviewCycle.State.LAPSED

    @property
    def lapses_on(self) -> date:
        """The first day the approval counts as lapsed (the grace period over)."""
        return self.review_by + timedelta(days=settings.ASSESSOR_REVIEW_GRACE_DAYS + 1)

    @property
    def lapsed_on(self) -> date | None:
        return self.lapses_on if self.lapsed else None

    @property
    def label(self) -> str:
        return "Superseded" if self.state == SUPERSEDED else ReviewCycle.State(self.state).label


def review_status(assessment: Assessment, approved_at: datetime | None) -> ReviewStatus | None:
    """An approved record's review-by date and state; None unless approved. Read from its
    cycle; for a record the sweep has not reached yet, computed the same way from
    `approved_at` (its approval time)."""
    if assessment.status != Assessment.Status.APPROVED:
        return None
    cycle = cycle_of(assessment)
    if cycle is not None:
        return ReviewStatus(
            review_by=cycle.review_by,
            state=SUPERSEDED if cycle.closed_at else cycle.state,
            state_since=cycle.closed_at or cycle.state_since,
            rereview_reason=cycle.rereview_reason if cycle.rereview_requested else "",
            rereview_requested_at=cycle.rereview_requested_at if cycle.rereview_requested else None,
        )
    if approved_at is None:
        return None
    review_by = review_by_date(approved_at, assessment.team)
    return ReviewStatus(review_by=review_by, state=state_today(review_by), state_since=None)


def lapsed_or_superseded() -> Q:
    """Records whose approval no longer counts: lapsed, or replaced by an approved revision."""
    approved_revision = Assessment.objects.filter(
        previous=OuterRef("pk"), status=Assessment.Status.APPROVED
    )
    return (
        Q(review_cycle__state=ReviewCycle.State.LAPSED)
        | Q(review_cycle__closed_at__isnull=False)
        | Q(Exists(approved_revision))
    )


def current_approvals(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """The approved records among `assessments` whose verdict still counts: neither lapsed nor
    superseded by an approved revision. The register and the board read current verdicts here."""
    return assessments.filter(status=Assessment.Status.APPROVED).exclude(lapsed_or_superseded())


def with_review_state(assessments: QuerySet[Assessment], state: str) -> QuerySet[Assessment]:
    """Records in review `state` (one of REVIEW_STATES): open cycles only."""
    return assessments.filter(review_cycle__state=state, review_cycle__closed_at__isnull=True)
