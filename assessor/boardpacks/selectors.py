"""Reads of board packs, every one filtered by the reader's teams.

A pack spans teams: its reader must hold a reading role (approver, auditor or team manager:
the people a board pack is for) in every one of them. A pack with one team outside the
reader's is answered like a pack that does not exist (404), as a record of another team is.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from assessor.models import Assessment, Membership, Team

from .models import BoardPack

# The roles that read a team's board packs (and its portfolio).
READ_ROLES = ("approver", "auditor", "team_manager")


def boardpack_teams(user) -> QuerySet[Team]:
    """The teams whose board packs `user` may read and build."""
    if not user.is_authenticated:
        return Team.objects.none()
    held = Q()
    for role in READ_ROLES:
        held |= Q(**{role: True})
    team_ids = Membership.objects.filter(held, user=user).values("team_id")
    return Team.objects.filter(pk__in=team_ids).order_by("name")


def boardpacks_for(user) -> QuerySet[BoardPack]:
    """The packs every team of which `user` may read, newest first, with their teams."""
    readable = boardpack_teams(user).values("pk")
    return (
        BoardPack.objects.exclude(teams__in=Team.objects.exclude(pk__in=readable))
        .filter(teams__isnull=False)
        .distinct()
        .select_related("requested_by", "issued_by")
        .prefetch_related("teams")
    )


def boardpack_for(user, pk: int) -> BoardPack | None:
    """The pack, if `user` may read it; None for a missing pack and an unreadable one alike."""
    return boardpacks_for(user).filter(pk=pk).first()


def boardpack_issuable_by(user, pack: BoardPack) -> bool:
    """Whether `user` is an approver in every team of the pack."""
    team_ids = {team.pk for team in pack.teams.all()}
    approving = set(
        Membership.objects.filter(user=user, approver=True, team_id__in=team_ids).values_list(
            "team_id", flat=True
        )
    )
    return bool(team_ids) and approving == team_ids


def boardpack_status(pack: BoardPack) -> dict:
    """What the progress bar shows (the JSON the pack's page polls)."""
    return {
        "id": pack.pk,
        "status": pack.status,
        "generation": pack.generation,
        "progress": pack.progress,
        "step": pack.step,
        "failure": pack.failure,
        "sha256": pack.sha256,
        "size": pack.size,
        "issued": pack.is_issued,
        "issuing": pack.is_issuing,
        "done": pack.generation == BoardPack.Generation.DONE,
    }


def boardpack_previous(pack: BoardPack) -> BoardPack | None:
    """The pack this one is compared with: of exactly the same teams, built, for an earlier
    period; an issued one (what the board saw) before a draft, then the latest period."""
    team_ids = sorted(team.pk for team in pack.teams.all())
    candidates = (
        BoardPack.objects.exclude(pk=pack.pk)
        .filter(figures__isnull=False, period_start__lt=pack.period_start)
        .annotate(
            team_count=Count("teams", distinct=True),
            matching=Count("teams", filter=Q(teams__in=team_ids), distinct=True),
        )
        .filter(team_count=len(team_ids), matching=len(team_ids))
    )
    issued = candidates.filter(status=BoardPack.Status.ISSUED)
    for rows in (issued, candidates):
        found = rows.order_by("-period_end", "-requested_at", "-id").first()
        if found is not None:
            return found
    return None


def last_full_quarter(today: date | None = None) -> tuple[date, date]:
    """The last calendar quarter that has ended: the default period of a new pack."""
    today = today or timezone.localdate()
    this_quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    end = this_quarter_start - timedelta(days=1)
    return date(end.year, end.month - 2, 1), end


def appendix_records(ids: list[int]) -> list[Assessment]:
    """The records of the appendix, by team then workflow name, with what their brief reads."""
    return list(
        Assessment.objects.filter(pk__in=ids)
        .select_related("team", "owner", "questionnaire", "agent")
        .order_by("team__name", "name", "pk")
    )
