"""Who may see and do what: the one place every view asks.

A record outside the user's teams is answered with 404, so its existence is not revealed; a
record of the user's team that the user's role may not change is answered with 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from .models import Assessment, Team

VIEW = "assessor.view_assessment"
EDIT = "assessor.change_assessment"
CREATE = "assessor.add_assessment"
APPROVE = "assessor.approve_assessment"


def assessments_for(user) -> QuerySet[Assessment]:
    """Every assessment of the user's teams (superusers included: teams are the boundary)."""
    return Assessment.objects.filter(team__members=user)


def assessment_for(user, pk: int, permission: str = VIEW) -> Assessment:
    # The version's document is usually compiled in memory already (see bank.compiled).
    assessment = get_object_or_404(
        assessments_for(user)
        .select_related("questionnaire", "team", "owner")
        .defer("questionnaire__document"),
        pk=pk,
    )
    if not user.has_perm(permission):
        raise PermissionDenied
    return assessment


def teams_for(user, permission: str = CREATE) -> QuerySet[Team]:
    """The teams in which the user may act with `permission` (e.g. create assessments)."""
    if not user.has_perm(permission):
        return Team.objects.none()
    return Team.objects.filter(members=user)
