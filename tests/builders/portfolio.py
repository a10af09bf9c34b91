"""Portfolios: approved workflows dated where a test needs them (approval day, revisions)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from assessor.models import Answer, Assessment, ControlGap, PortfolioRecord, ReviewCycle, Team
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


GAP_RULES = (
    ("rule", "data-uneven", "Data quality is uneven"),
    ("condition", "condition-identity", "Own identity"),
)


def bulk_portfolio(*, team, owner, questionnaire, workflows: int, today: date) -> list[Assessment]:
    """`workflows` approved workflows written straight to the tables (as the bench does), for
    tests of how the portfolio scales: verdicts, scope answers, dates and review states
    cycle; every third workflow has an approved second revision; each record carries
    control gaps. Returns the records."""
    verdicts = ("copilot", "supervised", "owner")
    rows = Assessment._base_manager
    total_core = len(questionnaire.scoring_model().core_keys)

    def record(n, **fields):
        return Assessment(
            name=f"Workflow {n}",
            questionnaire=questionnaire,
            team=team,
            owner=owner,
            status="approved",
            total_core=total_core,
            answered_core=total_core,
            **fields,
        )

    first = rows.bulk_create([record(n, verdict=verdicts[n % 3]) for n in range(workflows)])
    second = rows.bulk_create(
        [
            record(n, verdict=verdicts[(n + 1) % 3], previous=first[n], revision=2)
            for n in range(0, workflows, 3)
        ]
    )
    records = first + second
    scope = [
        (
            ("provisioning", "deprovisioning", "access_review")[i % 3],
            ("production", "non_production")[i % 2],
        )
        for i in range(len(records))
    ]
    Answer._base_manager.bulk_create(
        Answer(assessment=r, question_key=key, choice_key=choice)
        for r, (task, env) in zip(records, scope, strict=True)
        for key, choice in (("task_type", task), ("environment_tier", env))
    )
    prior = {r.pk: r.verdict for r in first}
    PortfolioRecord.objects.bulk_create(
        PortfolioRecord(
            assessment=r,
            team=team,
            verdict=r.verdict,
            prior_verdict=prior.get(r.previous_id, ""),
            task_type=task,
            environment=env,
        )
        for r, (task, env) in zip(records, scope, strict=True)
    )
    cycles = []
    for i, r in enumerate(first):
        approved = today - timedelta(days=20 + 11 * i % 300)
        closed = None
        if r.pk in {s.previous_id for s in second}:
            closed = _aware(today - timedelta(days=10))
        review_by = today + timedelta(days=(-40, -5, 10, 200)[i % 4])
        cycles.append(
            ReviewCycle(
                assessment=r,
                approved_at=_aware(approved),
                state_since=_aware(approved),
                review_by=review_by,
                state=("lapsed", "overdue", "due", "current")[i % 4],
                closed_at=closed,
            )
        )
    for r in second:
        day = _aware(today - timedelta(days=10))
        cycles.append(
            ReviewCycle(
                assessment=r,
                approved_at=day,
                state_since=day,
                review_by=today + timedelta(days=355),
            )
        )
    ReviewCycle.objects.bulk_create(cycles)
    ControlGap.objects.bulk_create(
        ControlGap(assessment=r, kind=kind, key=key, label=label, lifts=i % 2 == 0)
        for i, r in enumerate(records)
        if r.verdict != "owner"
        for kind, key, label in GAP_RULES
    )
    return records
