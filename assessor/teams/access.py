"""Who may see and do what: the one place every view, service and command asks.

Roles are held per team (`Membership`), and every check is made against the team of the
record: a reviewer in team A who is an auditor in team B reads B's records and edits none of
them. Superusers get no record powers of their own; teams are the boundary for everyone.

A record of a team in which the user holds no reading role is answered with 404, so its
existence is not revealed; a record the user may read but not change is answered with 403.

The record and the user's roles in its team come back together: `assessments_for` joins the
user's membership row of each record's team (one row at most, by the unique constraint) and
annotates its role flags, so a wizard request checks access without a query of its own.
The join is a plain filter on the membership rows, in one `filter()` call whose join the role
annotations reuse: cheaper to build per request than a FilteredRelation, and the same SQL rows.
"""

from __future__ import annotations

import functools

from django.core.exceptions import PermissionDenied
from django.db import router
from django.db.models import F, Q, QuerySet, Value
from django.http import Http404

from assessor.models import Assessment, Membership, Team
from assessor.records.prepared import PreparedQuery
from assessor.teams import roles
from assessor.teams.roles import APPROVE, AUDIT, CREATE, EDIT, MANAGE, VIEW

__all__ = ["APPROVE", "AUDIT", "CREATE", "EDIT", "MANAGE", "VIEW"]  # re-exported for callers


class RoleRequired(PermissionDenied):
    """The user holds no role allowing the action in that team; the message says which."""


def _holds(prefix: str, action: str) -> Q:
    """A condition: the membership at `prefix` holds a role that allows `action`."""
    condition = Q()
    for role in roles.GRANTED_BY[action]:
        condition |= Q(**{f"{prefix}{role}": True})
    return condition


def assessments_for(user, action: str = VIEW) -> QuerySet[Assessment]:
    """The assessments of every team where the user holds a role allowing `action`.

    Each row carries the user's role flags in its team (`my_reviewer`, `my_approver`, ...), read
    in the same query; `allowed()` reads them.
    """
    if not user.is_authenticated:
        return Assessment.objects.none()
    return _with_roles(Assessment.objects.all(), user, action).annotate(my_user_id=Value(user.pk))


def _with_roles(queryset: QuerySet, user, action: str, *conditions: Q) -> QuerySet:
    """Rows of `queryset` whose team gives the user a role allowing `action`, with the flags.

    One filter() call: the annotations reuse its join of the user's membership row (one at
    most per team, by the unique constraint), so no record is listed twice."""
    return queryset.filter(
        *conditions, Q(team__memberships__user=user), _holds("team__memberships__", action)
    ).annotate(**{f"my_{role}": F(f"team__memberships__{role}") for role in roles.ROLE_FIELDS})


def roles_on(assessment) -> dict[str, bool]:
    """The roles the user it was fetched for holds in the record's team (from `assessments_for`)."""
    return {role: bool(getattr(assessment, f"my_{role}", False)) for role in roles.ROLE_FIELDS}


def allowed(assessment, action: str) -> bool:
    """Whether the user the record was fetched for may do `action` on it."""
    return roles.allows(roles_on(assessment), action)


def assessment_for(
    user, pk: int, action: str = VIEW, *, related: tuple[str, ...] = ("team", "owner", "agent")
) -> Assessment:
    """The record and the user's roles in its team, in one query; 404 or 403 as above.

    `related`: the record's relations fetched in the same query besides its questionnaire. A
    page that shows neither team nor owner (the wizard, the API's result) passes (): each
    joined table adds its columns to the query."""
    if not user.is_authenticated:
        raise Http404("No Assessment matches the given query.")  # as get_object_or_404 says
    rows = _record_query(tuple(related)).rows(pk=pk, user=user.pk)
    if not rows:
        raise Http404("No Assessment matches the given query.")
    assessment = _record_from_row(rows[0], related)
    assessment.my_user_id = user.pk  # as `assessments_for` annotates it, set without SQL
    if not allowed(assessment, action):
        raise _refusal(user, assessment.team, action)
    return assessment


def _loaded_fields(relation: str | None) -> list:
    """The columns read of the record (None) or of one of its relations."""
    if relation is None:
        return Assessment._meta.concrete_fields
    fields = Assessment._meta.get_field(relation).related_model._meta.concrete_fields
    # The version's document is usually compiled in memory already (see bank.compiled).
    return [f for f in fields if relation != "questionnaire" or f.name != "document"]


@functools.cache
def _record_query(related: tuple[str, ...]) -> PreparedQuery:
    """`assessment_for`'s query: the record, its questionnaire and `related`, and the user's
    role flags in its team; its SQL is built once per process (see records.prepared)."""

    def build(pk, user):
        columns = [f.attname for f in _loaded_fields(None)]
        for relation in ("questionnaire", *related):
            columns += [f"{relation}__{f.name}" for f in _loaded_fields(relation)]
        records = _with_roles(Assessment.objects.order_by(), user, VIEW, Q(pk=pk))
        return records.values_list(*columns, *(f"my_{role}" for role in roles.ROLE_FIELDS))

    return PreparedQuery(build, "pk", "user")


def _record_from_row(row: tuple, related: tuple[str, ...]) -> Assessment:
    """The Assessment (its relations attached, its role flags set) from `_record_query`'s row."""
    db = router.db_for_read(Assessment)
    fields = _loaded_fields(None)
    assessment = Assessment.from_db(db, [f.attname for f in fields], row[: len(fields)])
    start = len(fields)
    for relation in ("questionnaire", *related):
        fields = _loaded_fields(relation)
        values = row[start : start + len(fields)]
        start += len(fields)
        if getattr(assessment, Assessment._meta.get_field(relation).attname) is not None:
            model = Assessment._meta.get_field(relation).related_model
            setattr(assessment, relation, model.from_db(db, [f.attname for f in fields], values))
        else:  # no such relation (a record of no agent): as select_related leaves it
            setattr(assessment, relation, None)
    for role, value in zip(roles.ROLE_FIELDS, row[start:], strict=True):
        setattr(assessment, f"my_{role}", value)
    return assessment


def teams_for(user, action: str = CREATE) -> QuerySet[Team]:
    """The teams in which the user holds a role allowing `action` (e.g. create assessments)."""
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(Q(memberships__user=user) & _holds("memberships__", action))


def may(user, team, action: str) -> bool:
    """Whether the user holds a role allowing `action` in `team` (a Team or its id)."""
    if not user.is_authenticated:
        return False
    team_id = getattr(team, "pk", team)
    return Membership.objects.filter(_holds("", action), team_id=team_id, user=user).exists()


def require(user, team, action: str) -> None:
    """Raise RoleRequired unless the user holds a role allowing `action` in `team`."""
    if not may(user, team, action):
        if not isinstance(team, Team):
            team = Team.objects.get(pk=team)
        raise _refusal(user, team, action)


def require_on(user, assessment: Assessment, action: str) -> None:
    """`require` for a record, reusing the roles fetched with it for this user when present."""
    if getattr(assessment, "my_user_id", None) == user.pk:
        if not allowed(assessment, action):
            raise _refusal(user, assessment.team, action)
        return
    require(user, assessment.team_id, action)


def _refusal(user, team: Team, action: str) -> RoleRequired:
    return RoleRequired(
        f"{user.get_username()} is not {roles.needed(action)} in team {team.name!r}, so may "
        f"not {roles.ACTION_NAMES[action]} its assessments."
    )


def manages(user, team=None) -> bool:
    """Whether the user may change the members of `team` (a Team or its id), or of any team
    when `team` is None: a superuser, or a team manager there."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if team is None:
        return teams_for(user, MANAGE).exists()
    return may(user, team, MANAGE)


def bank_editor(user) -> bool:
    """Questionnaire admin in any team: the bank is shared by every team (see roles.py)."""
    return (
        user.is_authenticated
        and Membership.objects.filter(user=user, questionnaire_admin=True).exists()
    )
