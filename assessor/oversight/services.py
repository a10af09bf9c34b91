"""Writes of the review cycle: open one at approval, request a re-review, follow a team's new
interval. The clock's own moves are the sweep's (cycle.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from assessor import engine
from assessor.grants.services import grants_revoke_of
from assessor.records.validators import field_text_checked
from assessor.studio import impact
from assessor.teams import access

from ..models import Assessment, Questionnaire, Team
from .cycle import ORDER, cycles_open_missing, review_by_date, state_today
from .models import REASON_MAX_LENGTH, ReviewCycle


class ReviewRequestError(ValueError):
    """A re-review that cannot be requested, with the reason a person can act on."""


def _ancestors(assessment: Assessment) -> list[int]:
    ids, previous = [], assessment.previous_id
    while previous is not None and previous not in ids:
        ids.append(previous)
        previous = Assessment.objects.filter(pk=previous).values_list("previous_id", flat=True)[0]
    return ids


def review_cycle_open(*, assessment: Assessment, approved_at) -> ReviewCycle:
    """The cycle of a record approved at `approved_at` (called by the approval, in its
    transaction); the cycles of its earlier revisions close: this revision supersedes them."""
    ReviewCycle.objects.filter(
        assessment_id__in=_ancestors(assessment), closed_at__isnull=True
    ).update(closed_at=approved_at)
    cycle, _ = ReviewCycle.objects.get_or_create(
        assessment=assessment,
        defaults={
            "approved_at": approved_at,
            "review_by": review_by_date(approved_at, assessment.team),
            "state": ReviewCycle.State.CURRENT,
            "state_since": approved_at,
        },
    )
    return cycle


def _checked_reason(reason: str) -> str:
    return field_text_checked(
        reason,
        model=ReviewCycle,
        field="rereview_reason",
        max_length=REASON_MAX_LENGTH,
        error=ReviewRequestError,
        noun="reason",
        required="Say why it should be reviewed again: a reason is required.",
    )


@transaction.atomic
def review_request(*, assessment: Assessment, reason: str, user=None) -> ReviewCycle:
    """Mark an approved record's cycle "re-review requested" with `reason` (the newest request
    replaces an earlier one). With `user`, they must review or approve in the record's team;
    without, it is the system asking (a new questionnaire version, a changed credential).
    ReviewRequestError for a record that is not approved, is superseded, or a missing reason."""
    if user is not None and not (
        access.may(user, assessment.team_id, access.EDIT)
        or access.may(user, assessment.team_id, access.APPROVE)
    ):
        access.require_on(user, assessment, access.APPROVE)  # raises, naming the role
    reason = _checked_reason(reason)
    if assessment.status != Assessment.Status.APPROVED:
        raise ReviewRequestError(
            "Only an approved assessment has a review cycle; this one is "
            f"{assessment.get_status_display().lower()}."
        )
    now = timezone.now()
    cycle = ReviewCycle.objects.select_for_update().filter(assessment=assessment).first()
    if cycle is None:
        cycles_open_missing(now)
        cycle = ReviewCycle.objects.select_for_update().get(assessment=assessment)
    if cycle.closed_at is not None:
        raise ReviewRequestError(
            "A newer revision of this assessment is approved: review that one instead."
        )
    cycle.rereview_requested_at, cycle.rereview_requested_by = now, user
    cycle.rereview_reason = reason
    cycle.save(update_fields=["rereview_requested_at", "rereview_requested_by", "rereview_reason"])
    # a record under re-review no longer vouches for the agent: its grant ends now
    grants_revoke_of(assessment_ids=[assessment.pk], reason=f"Re-review requested: {reason}")
    return cycle


def review_requests_for_version(
    questionnaire: Questionnaire, *, preview: impact.Impact | None = None
) -> int:
    """After `questionnaire` is published: request a re-review of each approved record whose
    verdict it would change (as the impact preview counts it). How many.

    `preview`: the impact preview of this version already computed over every team (the
    studio's four-eyes check has one), so the costly pass over all records runs once."""
    if preview is None:
        preview = impact.impact_preview(questionnaire, readable=Team.objects.all())
    elif preview.unreadable.total:
        # a preview that only counts some records cannot say which of them to re-review
        raise ValueError("The impact preview must name the records of every team.")
    changed = [c for c in preview.changes if c.status == Assessment.Status.APPROVED]
    records = Assessment.objects.in_bulk([c.assessment_id for c in changed])
    label = {**engine.VERDICT_LABELS, impact.INCOMPLETE: "incomplete"}
    count = 0
    for change in changed:
        record = records[change.assessment_id]
        if ReviewCycle.objects.filter(assessment=record, closed_at__isnull=False).exists():
            continue  # superseded: its newer revision is the one to look at
        if record.revisions.filter(status=Assessment.Status.APPROVED).exists():
            continue
        try:
            review_request(
                assessment=record,
                reason=(
                    f"Questionnaire version {questionnaire.version} would change its verdict "
                    f"from {label[change.before]} to {label[change.after]}."
                ),
            )
        except ReviewRequestError:  # superseded meanwhile: publishing goes on regardless
            continue
        count += 1
    return count


@transaction.atomic
def review_cycles_reschedule(*, team: Team) -> int:
    """After the team's interval changed: the review-by date of each of its open cycles from
    its approval date and the new interval. A later date can move a cycle back (an overdue
    approval becomes current again); an earlier one is left to the sweep, which announces it.
    How many changed."""
    cycles = list(
        ReviewCycle.objects.filter(
            assessment__team=team, closed_at__isnull=True
        ).select_for_update()
    )
    now, changed = timezone.now(), []
    for cycle in cycles:
        review_by = review_by_date(cycle.approved_at, team)
        if review_by == cycle.review_by:
            continue
        cycle.review_by = review_by
        state = state_today(review_by)
        if ORDER.index(state) < ORDER.index(cycle.state):
            cycle.state, cycle.state_since = state, now
        changed.append(cycle)
    ReviewCycle.objects.bulk_update(changed, ["review_by", "state", "state_since"])
    return len(changed)
