"""Writes of the register: agents, their identities, and which agent runs a workflow.

Each write checks the person's role in the agent's team (reviewers change the register) and
saves in one transaction; a bad value is a ValidationError naming the field, nothing saved.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from assessor.oversight.selectors import current_approvals
from assessor.oversight.services import ReviewRequestError, review_request
from assessor.teams import access

from ..models import Assessment
from .models import Agent, AgentIdentity

AGENT_FIELDS = ("name", "purpose", "owner", "platform", "status")
IDENTITY_FIELDS = ("kind", "system", "credential_type", "credential_lifetime", "notes")


def _check_owner(team, owner) -> None:
    if owner is not None and not team.memberships.filter(user=owner).exists():
        raise ValidationError(
            {"owner": f"{owner.get_username()} is not a member of team {team.name!r}."}
        )


def _saved(obj, user):
    obj._history_user = user  # the API has no request for simple-history's middleware
    obj.full_clean()  # the fixed lists, lengths, text, one name per team: errors by field
    obj.save()
    return obj


@transaction.atomic
def agent_create(*, user, team, name: str, owner, purpose="", platform="", status=None) -> Agent:
    access.require(user, team, access.EDIT)
    _check_owner(team, owner)
    agent = Agent(team=team, name=name, owner=owner, purpose=purpose, platform=platform)
    if status:
        agent.status = status
    return _saved(agent, user)


@transaction.atomic
def agent_update(*, user, agent: Agent, **changes) -> Agent:
    access.require(user, agent.team_id, access.EDIT)
    unknown = set(changes) - set(AGENT_FIELDS)
    if unknown:
        raise TypeError(f"agent_update() does not change {sorted(unknown)}")
    if "owner" in changes:
        _check_owner(agent.team, changes["owner"])
    for name, value in changes.items():
        setattr(agent, name, value)
    return _saved(agent, user)


@transaction.atomic
def identity_create(*, user, agent: Agent, **fields) -> AgentIdentity:
    access.require(user, agent.team_id, access.EDIT)
    return _saved(AgentIdentity(agent=agent, **fields), user)


@transaction.atomic
def identity_update(*, user, identity: AgentIdentity, **changes) -> AgentIdentity:
    access.require(user, identity.agent.team_id, access.EDIT)
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise TypeError(f"identity_update() does not change {sorted(unknown)}")
    before = identity.get_credential_type_display()
    changed_credential = (
        "credential_type" in changes and changes["credential_type"] != identity.credential_type
    )
    for name, value in changes.items():
        setattr(identity, name, value)
    saved = _saved(identity, user)
    if changed_credential:
        _rereview_for_credential(saved, before)
    return saved


def _rereview_for_credential(identity: AgentIdentity, before: str) -> None:
    """An identity the agent acts as now holds another kind of credential: each workflow the
    agent runs under a current approval is asked for a re-review (the approval was given for
    the old one)."""
    reason = (
        f"The credential of identity {identity} changed from {before} to "
        f"{identity.get_credential_type_display()}."
    )
    for assessment in current_approvals(identity.agent.assessments.all()):
        try:
            review_request(assessment=assessment, reason=reason)
        except ReviewRequestError:
            continue  # superseded meanwhile: its newer revision has its own cycle


@transaction.atomic
def identity_delete(*, user, identity: AgentIdentity) -> None:
    access.require(user, identity.agent.team_id, access.EDIT)
    identity._history_user = user
    identity.delete()


def _chain(assessment: Assessment) -> list[Assessment]:
    """Every revision of the record's workflow: back through `previous`, then forward."""
    root = assessment
    while root.previous_id is not None:
        root = Assessment.objects.only("pk", "previous_id").get(pk=root.previous_id)
    chain, frontier = [], [root.pk]
    while frontier:
        rows = list(Assessment.objects.filter(pk__in=frontier).select_for_update())
        chain += rows
        frontier = list(Assessment.objects.filter(previous__in=rows).values_list("pk", flat=True))
    return chain


@transaction.atomic
def assessment_agent_set(*, user, assessment: Assessment, agent: Agent | None) -> int:
    """Attach the record's workflow (every revision of it) to `agent`, or detach it (None);
    how many records changed. Allowed in any status: the agent is register metadata, outside
    what was assessed (see locked_records.REGISTER_FIELDS); history records who did it."""
    access.require_on(user, assessment, access.EDIT)
    if agent is not None and agent.team_id != assessment.team_id:
        raise ValidationError({"agent": "Choose an agent of the record's own team."})
    changed = 0
    for record in _chain(assessment):
        if record.agent_id != (agent.pk if agent else None):
            record.agent = agent
            record._history_user = user
            record.save(update_fields=["agent"])
            changed += 1
    return changed
