"""Writes of the grants: issue one at approval, revoke it (an approver's withdrawal, a lapse,
a re-review, a newer revision). Each issue or revocation is announced (grant.issued,
grant.revoked) in the same transaction, so webhooks tell runtimes of it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessor import events
from assessor.oversight.cycle import review_by_date
from assessor.records.validators import field_text_checked
from assessor.teams import access

from ..models import Answer, Assessment
from . import signing
from .models import CONDITIONS_MAX_LENGTH, REASON_MAX_LENGTH, AutonomyGrant

GRANTED_VERDICTS = ("supervised", "owner")  # copilot: a person acts, nothing to grant


class GrantError(ValueError):
    """A grant that cannot be issued or revoked, with the reason a person can act on."""


def grant_refusal(assessment: Assessment) -> str:
    """Why an approval of `assessment` would issue no grant ('' when it would)."""
    if assessment.verdict not in GRANTED_VERDICTS:
        return "a copilot verdict grants no autonomy: a person decides and acts"
    if assessment.agent_id is None:
        return "attach an agent to issue a grant"
    return ""


def conditions_checked(conditions: str) -> str:
    return field_text_checked(
        conditions,
        model=AutonomyGrant,
        field="conditions",
        max_length=CONDITIONS_MAX_LENGTH,
        error=GrantError,
        noun="conditions",
    )


def workflow_key(assessment: Assessment) -> str:
    """The workflow a runtime names: the first revision's id, the same for every revision."""
    seen, root = set(), assessment
    while root.previous_id is not None and root.previous_id not in seen:
        seen.add(root.pk)
        root = Assessment.objects.only("pk", "previous_id").get(pk=root.previous_id)
    return str(root.pk)


def _end_of_day(day) -> datetime:
    """The last moment of `day` in the installation's time zone: the grant holds all of it."""
    start = datetime.combine(day + timedelta(days=1), time.min)
    return timezone.make_aware(start, timezone.get_default_timezone())


def _claims(assessment, *, jti, approved_at, valid_until, conditions, approver) -> dict:
    agent = assessment.agent
    scope = dict(
        Answer.objects.filter(
            assessment=assessment, question_key__in=("task_type", "environment_tier")
        ).values_list("question_key", "choice_key")
    )
    report = assessment.approved_report
    return {
        "iss": settings.ASSESSOR_GRANT_ISSUER,
        "sub": f"agent:{agent.pk}",
        "jti": str(jti),
        "iat": int(timezone.now().timestamp()),
        "nbf": int(approved_at.timestamp()),
        "exp": int(valid_until.timestamp()),
        "grant": {
            "verdict": assessment.verdict,
            "conditions": conditions,
            "approved_by": approver.get_username(),
            "agent": {"id": agent.pk, "name": agent.name, "team": assessment.team.name},
            "identities": [
                {
                    "id": identity.pk,
                    "kind": identity.kind,
                    "system": identity.system,
                    "credential_type": identity.credential_type,
                }
                for identity in agent.identities.order_by("pk")
            ],
            "workflow": {
                "key": workflow_key(assessment),
                "assessment_id": assessment.pk,
                "revision": assessment.revision,
                "name": assessment.name,
                "task_type": scope.get("task_type", ""),
                "environment": scope.get("environment_tier", ""),
            },
            "questionnaire_version": assessment.questionnaire.version,
            "report_sha256": report.sha256,
        },
    }


def _announce(event_type: str, grant: AutonomyGrant, **extra) -> None:
    events.event_publish(
        event_type,
        team=grant.assessment.team,
        payload={
            "grant": str(grant.jti),
            "name": grant.assessment.name,
            "team": grant.assessment.team.name,
            "assessment_id": grant.assessment_id,
            "agent_id": grant.agent_id,
            "verdict": grant.verdict,
            "valid_until": grant.valid_until.isoformat(),
            "url": reverse("grant", args=[grant.assessment_id]),
            **extra,
        },
    )


def grant_issue(
    *, assessment: Assessment, approver, approved_at, conditions: str = "", review_by=None
):
    """The grant of a record just approved (called by the approval, in its transaction), or
    None when it gets none (copilot, no agent). Grants of its earlier revisions are revoked:
    this revision supersedes them."""
    for earlier in AutonomyGrant.objects.filter(
        agent__isnull=False,
        assessment__in=_ancestors(assessment),
        status=AutonomyGrant.Status.ACTIVE,
    ):
        _revoke(earlier, user=None, reason=f"Superseded by revision {assessment.revision}.")
    if grant_refusal(assessment):
        return None
    grant = AutonomyGrant(assessment=assessment, agent=assessment.agent, issued_by=approver)
    valid_until = _end_of_day(review_by or review_by_date(approved_at, assessment.team))
    claims = _claims(
        assessment,
        jti=grant.jti,
        approved_at=approved_at,
        valid_until=valid_until,
        conditions=conditions,
        approver=approver,
    )
    try:
        grant.token, grant.kid = signing.token_sign(claims)
    except signing.KeyUnreadable as error:
        raise GrantError(str(error)) from error
    grant.claims, grant.verdict, grant.conditions = claims, assessment.verdict, conditions
    grant.valid_from, grant.valid_until = approved_at, valid_until
    grant.save()
    _announce(events.GRANT_ISSUED, grant)
    return grant


@transaction.atomic
def grant_issue_late(*, assessment: Assessment, user, conditions: str = "") -> AutonomyGrant:
    """The grant of a record approved before an agent was attached to it: an approver of its
    team issues it, valid from now until the approval's review-by date. Only for a standing
    approval (current, due or overdue; no re-review asked) that never had a grant: a withdrawn
    or revoked grant is not issued again (approve a new revision instead)."""
    access.require_on(user, assessment, access.APPROVE)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    conditions = conditions_checked(conditions)
    refusal = grant_refusal(assessment)
    if assessment.status != Assessment.Status.APPROVED:
        refusal = "only an approved record gets a grant"
    if AutonomyGrant.objects.filter(assessment=assessment).exists():
        refusal = "this record had a grant already; approve a new revision for another"
    cycle = getattr(assessment, "review_cycle", None)
    if not refusal and (cycle is None or cycle.closed_at is not None):
        refusal = "a newer revision of this workflow is approved: issue it there"
    elif not refusal and (cycle.state == cycle.State.LAPSED or cycle.rereview_requested_at):
        refusal = "the approval lapsed or is under re-review: approve a new revision first"
    if refusal:
        raise GrantError(f"No grant issued: {refusal}.")
    return grant_issue(
        assessment=assessment,
        approver=user,
        approved_at=timezone.now(),
        conditions=conditions,
        review_by=cycle.review_by,
    )


def _ancestors(assessment: Assessment) -> list[int]:
    ids, previous = [], assessment.previous_id
    while previous is not None and previous not in ids:
        ids.append(previous)
        previous = Assessment.objects.filter(pk=previous).values_list("previous_id", flat=True)[0]
    return ids


def _revoke(grant: AutonomyGrant, *, user, reason: str) -> AutonomyGrant:
    grant.status, grant.revoked_at = AutonomyGrant.Status.REVOKED, timezone.now()
    grant.revoked_by, grant.revoke_reason = user, reason
    grant.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    _announce(events.GRANT_REVOKED, grant, reason=reason)
    return grant


def _reason_checked(reason: str) -> str:
    return field_text_checked(
        reason,
        model=AutonomyGrant,
        field="revoke_reason",
        max_length=REASON_MAX_LENGTH,
        error=GrantError,
        noun="reason",
        required="Say why the grant is withdrawn: a reason is required.",
    )


@transaction.atomic
def grant_revoke(*, assessment: Assessment, user, reason: str) -> AutonomyGrant:
    """An approver of the record's team withdraws its active grant, saying why."""
    access.require_on(user, assessment, access.APPROVE)
    reason = _reason_checked(reason)
    grant = (
        AutonomyGrant.objects.select_for_update()
        .filter(assessment=assessment, status=AutonomyGrant.Status.ACTIVE)
        .first()
    )
    if grant is None:
        raise GrantError("This record has no active autonomy grant to withdraw.")
    return _revoke(grant, user=user, reason=f"Withdrawn by {user.get_username()}: {reason}")


@transaction.atomic  # its own when an event is announced outside one (it joins the sweep's)
def grants_revoke_of(*, assessment_ids, reason: str) -> int:
    """The app revokes the active grants of these records (a lapse, a re-review). How many."""
    grants = AutonomyGrant.objects.select_for_update().filter(
        assessment_id__in=list(assessment_ids), status=AutonomyGrant.Status.ACTIVE
    )
    count = 0
    for grant in grants.select_related("assessment__team"):
        _revoke(grant, user=None, reason=reason)
        count += 1
    return count
