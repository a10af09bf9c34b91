"""Reads of the grants: a person's (team-scoped) grants, a record's grant, the public
revocation list and the OPA data bundle."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from assessor.teams import access

from .models import AutonomyGrant


def grants_for(user) -> QuerySet[AutonomyGrant]:
    """The grants of every team where the user may read records."""
    readable = access.teams_for(user, access.VIEW)
    return AutonomyGrant.objects.filter(assessment__team__in=readable).select_related(
        "assessment__team", "agent", "revoked_by"
    )


def grant_get(user, pk: int) -> AutonomyGrant:
    """One grant the user may read; 404 for any other (as a grant that does not exist)."""
    return get_object_or_404(grants_for(user), pk=pk)


def grant_of(assessment) -> AutonomyGrant | None:
    """The record's grant: the active one, else the newest revoked one, else None."""
    grants = AutonomyGrant.objects.filter(assessment=assessment).select_related("revoked_by")
    return grants.order_by("status", "-created_at", "-id").first()  # "active" < "revoked"


def revocations(now: datetime | None = None) -> list[dict]:
    """Every revoked grant that would otherwise still be in its validity window: its jti and
    when. Past the window a grant is refused anyway, so the list stays short."""
    now = now or timezone.now()
    rows = (
        AutonomyGrant.objects.filter(status=AutonomyGrant.Status.REVOKED, valid_until__gt=now)
        .order_by("revoked_at", "id")
        .values_list("jti", "revoked_at", "valid_until")
    )
    return [
        {"jti": str(jti), "revoked_at": revoked_at.isoformat(), "exp": int(until.timestamp())}
        for jti, revoked_at, until in rows
    ]


def _identities(claims: dict) -> list[str]:
    return [str(identity["id"]) for identity in claims["grant"]["identities"]]


def grants_bundle(user, now: datetime | None = None) -> dict:
    """What OPA loads as `data` for policy/autonomy.rego: the active grants of the user's
    teams by agent then workflow, and the revoked ones still inside their window."""
    now = now or timezone.now()
    mine = grants_for(user).filter(valid_until__gt=now)
    grants: dict[str, dict] = {}
    for grant in mine.filter(status=AutonomyGrant.Status.ACTIVE).order_by("created_at", "id"):
        claims = grant.claims
        workflow = claims["grant"]["workflow"]
        grants.setdefault(str(grant.agent_id), {})[workflow["key"]] = {
            "jti": str(grant.jti),
            "verdict": grant.verdict,
            "identities": _identities(claims),
            "nbf": claims["nbf"],
            "exp": claims["exp"],
            "assessment_id": grant.assessment_id,
            "workflow": workflow["name"],
            "team": grant.assessment.team.name,
            "conditions": grant.conditions,
        }
    revoked = mine.filter(status=AutonomyGrant.Status.REVOKED).order_by("revoked_at", "id")
    return {
        "grants": grants,
        "revoked": [str(jti) for jti in revoked.values_list("jti", flat=True)],
        "generated_at": now.isoformat(),
    }
