"""Portfolios: approved workflows dated where a test needs them (approval day, revisions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from assessor.models import Answer, Assessment, ReviewCycle, Team
from assessor.records import services
from assessor.review import services as review


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def make_approval(
    owner,
    approver,
    *,
    answers,
    on: date,
    name="Workflow",
    team=None,
    previous=None,
    review_by=None,
    example=False,
) -> Assessment:
    """A record approved (through the services) and dated `on`: a new workflow in `team` (the
    owner's first team by default), or a revision of `previous`. Its review-by date is a year
    on unless `review_by` says; an earlier revision's cycle closes on `on`. Needs `stub_pdf`."""
    if previous is None:
        team = team or Team.objects.filter(memberships__user=owner).order_by("pk").first()
        record = services.assessment_create(owner=owner, team=team, name=name, system="IAM")
        existing = {}
        if example:
            Assessment.objects.filter(pk=record.pk).update(is_example=True)
    else:
        record = services.assessment_reassess(assessment=previous, user=owner)
        existing = {a.question_key: a for a in Answer.objects.filter(assessment=record)}
    submitted = {key: (choice, "", "") for key, choice in answers.items()}
    services.answers_save(assessment=record, existing=existing, submitted=submitted, user=owner)
    record.refresh_from_db()
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    ReviewCycle.objects.filter(assessment=record).update(
        approved_at=_aware(on),
        state_since=_aware(on),
        review_by=review_by or on + timedelta(days=365),
    )
    if previous is not None:
        ReviewCycle.objects.filter(assessment=previous).update(closed_at=_aware(on))
    record.refresh_from_db()
    return record
