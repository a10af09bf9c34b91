"""Reads of the register: the agents a person may see, filtered, and each agent's workflows
with their current verdicts.

A workflow is one chain of revisions (`Assessment.previous`); attaching an agent attaches the
whole chain and reassessing carries it on, so an agent's records are whole chains. A
workflow's current verdict is the verdict of its latest approved revision (none while no
revision is approved). The review cycle narrows "current" further (a lapsed approval no
longer counts): `current_approval` is the one place that decides, for a page and a list.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from assessor import engine
from assessor.oversight.models import ReviewCycle
from assessor.teams import access

from ..models import Assessment
from .models import Agent, AgentIdentity

APPROVED = Assessment.Status.APPROVED
QUERY_MAX_LENGTH = 200
NO_VERDICT = "none"  # the verdict filter: agents with no current verdict at all
VERDICT_VALUES = (*engine.VERDICTS, NO_VERDICT)


# --- who sees which agents --------------------------------------------------------------------


def agents_for(user, action: str = access.VIEW) -> QuerySet[Agent]:
    """The agents of every team where the user holds a role allowing `action`."""
    return Agent.objects.filter(team__in=access.teams_for(user, action))


def agent_for(user, pk: int, action: str = access.VIEW) -> Agent:
    """One agent: 404 outside the user's readable teams (existence not revealed), 403 (the
    access module's RoleRequired) where the user reads it but may not do `action`."""
    agent = agents_for(user).select_related("team", "owner").filter(pk=pk).first()
    if agent is None:
        raise Http404("No Agent matches the given query.")
    if action != access.VIEW:
        access.require(user, agent.team, action)
    return agent


def identity_for(agent: Agent, pk: int) -> AgentIdentity:
    identity = agent.identities.filter(pk=pk).first()
    if identity is None:
        raise Http404("No identity of this agent matches the given query.")
    return identity


@dataclass(frozen=True)
class HistoryEntry:
    at: object  # datetime
    who: object  # the user, or None for a change made outside a request
    what: str


HISTORY_SHOWN = 50


def agent_history(agent: Agent) -> list[HistoryEntry]:
    """The agent's changes and its identities' (added, changed, removed), newest first."""
    verbs = {"+": "added", "~": "changed", "-": "removed"}
    entries = []
    for row in agent.history.select_related("history_user", "owner")[:HISTORY_SHOWN]:
        what = f"status {row.get_status_display()}, owner {row.owner}"
        entries.append(
            HistoryEntry(
                row.history_date, row.history_user, f"Agent {verbs[row.history_type]}: {what}"
            )
        )
    identities = AgentIdentity.history.filter(agent_id=agent.pk).select_related("history_user")
    for row in identities[:HISTORY_SHOWN]:
        what = f"{row.get_kind_display()} in {row.system}, {row.get_credential_type_display()}"
        entries.append(
            HistoryEntry(
                row.history_date, row.history_user, f"Identity {verbs[row.history_type]}: {what}"
            )
        )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)[:HISTORY_SHOWN]


def owner_choices(teams) -> QuerySet:
    """People who may be an agent's accountable owner: members of the given teams."""
    return (
        get_user_model().objects.filter(memberships__team__in=teams).distinct().order_by("username")
    )


# --- a workflow's current verdict ---------------------------------------------------------------


def superseded_approval() -> Q:
    """An approved record with a later approved revision (followed three revisions on: a
    chain where three unapproved revisions follow one another is not met in practice). One
    EXISTS per depth, each an index lookup on `previous`: an OR of the joins inside one EXISTS
    made SQLite scan every record for every agent."""
    later = Q()
    for depth in range(1, 4):
        path = "__".join(["previous"] * depth)
        approved_later = Assessment.objects.filter(status=APPROVED, **{path: OuterRef("pk")})
        later |= Q(Exists(approved_later))
    return later


def current_approval() -> Q:
    """The records (of an agent) whose verdict counts now: approved, not superseded, and not
    lapsed (an approval past its review date and grace period no longer counts)."""
    lapsed = Q(review_cycle__state=ReviewCycle.State.LAPSED)
    return Q(status=APPROVED) & ~superseded_approval() & ~lapsed


@dataclass(frozen=True)
class Workflow:
    """One chain of revisions run by an agent: its newest revision and its current approval."""

    latest: Assessment
    approved: Assessment | None  # the latest approved revision, None if none yet
    lapsed: bool = False  # that approval is past its review date and grace: it no longer counts

    @property
    def verdict(self) -> str:
        """The current verdict: the latest approval's, unless it lapsed."""
        return self.approved.verdict if self.approved and not self.lapsed else ""

    @property
    def verdict_label(self) -> str:
        if self.lapsed:
            return "Approval lapsed"
        return engine.VERDICT_LABELS.get(self.verdict, "No approved verdict")


def lapsed_among(records: list[Assessment]) -> set[int]:
    """Which of `records` hold an approval that lapsed (one query)."""
    approved_ids = [record.pk for record in records if record.status == APPROVED]
    if not approved_ids:
        return set()
    lapsed = ReviewCycle.objects.filter(
        assessment_id__in=approved_ids, state=ReviewCycle.State.LAPSED
    )
    return set(lapsed.values_list("assessment_id", flat=True))


def workflows_of(records: list[Assessment], lapsed_ids: set[int] | None = None) -> list[Workflow]:
    """The records (whole chains of revisions) grouped into workflows, newest first.
    `lapsed_ids`: which approvals lapsed, when the caller already knows (else one query)."""
    if lapsed_ids is None:
        lapsed_ids = lapsed_among(records)
    by_pk = {record.pk: record for record in records}
    chains: dict[int, list[Assessment]] = defaultdict(list)
    for record in records:
        root = record
        while root.previous_id in by_pk:
            root = by_pk[root.previous_id]
        chains[root.pk].append(record)
    workflows = []
    for chain in chains.values():
        chain.sort(key=lambda r: (r.revision, r.pk))
        approved = [r for r in chain if r.status == APPROVED]
        last = approved[-1] if approved else None
        lapsed = last is not None and last.pk in lapsed_ids
        workflows.append(Workflow(latest=chain[-1], approved=last, lapsed=lapsed))
    workflows.sort(key=lambda w: (w.latest.name.lower(), w.latest.pk))
    return workflows


def agent_workflows(agent: Agent) -> list[Workflow]:
    """The agent's workflows, each with its newest revision and current verdict (two
    queries' worth: its records, with their team)."""
    records = agent.assessments.select_related("team", "owner").defer(
        "snapshot_document", "snapshot_result"
    )
    return workflows_of(list(records))


def page_workflows(agents: list[Agent]) -> dict[int, list[Workflow]]:
    """Workflows of a page of agents in one query, whatever the page holds."""
    records = (
        Assessment.objects.filter(agent__in=[agent.pk for agent in agents])
        .only("pk", "name", "status", "verdict", "revision", "previous_id", "agent_id")
        .order_by()
    )
    grouped: dict[int, list[Assessment]] = defaultdict(list)
    for record in records:
        grouped[record.agent_id].append(record)
    lapsed_ids = lapsed_among([record for group in grouped.values() for record in group])
    return {agent.pk: workflows_of(grouped[agent.pk], lapsed_ids) for agent in agents}


# --- the list's filters -------------------------------------------------------------------------


class InvalidFilters(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


def _one_of(value: str, allowed) -> str:
    shown = value.encode("utf-8", "backslashreplace").decode()[:40]
    return f"“{shown}” is not one of {', '.join(allowed)} (or empty for any)."


def _number(params, name: str, errors: dict) -> int | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        errors[name] = f"“{value[:40]}” is not an id (a whole number)."
        return None
    return int(value)


@dataclass(frozen=True)
class AgentFilters:
    team: int | None = None
    status: str = ""
    platform: str = ""
    verdict: str = ""  # a verdict key: agents with a workflow at that current verdict
    owner: int | None = None
    query: str = ""  # searched in name and purpose

    @classmethod
    def from_params(cls, params) -> AgentFilters:
        """From query parameters; raises InvalidFilters naming each bad value."""
        errors: dict[str, str] = {}
        status, verdict = params.get("status", ""), params.get("verdict", "")
        if status not in ("", *Agent.Status.values):
            errors["status"] = _one_of(status, Agent.Status.values)
        if verdict not in ("", *VERDICT_VALUES):
            errors["verdict"] = _one_of(verdict, VERDICT_VALUES)
        query = params.get("q", "").strip()[:QUERY_MAX_LENGTH]
        platform = params.get("platform", "").strip()[:QUERY_MAX_LENGTH]
        for name, value in (("q", query), ("platform", platform)):
            if "\x00" in value:
                errors[name] = "The text contains a NUL character, which no name holds."
        team, owner = _number(params, "team", errors), _number(params, "owner", errors)
        if errors:
            raise InvalidFilters(errors)
        return cls(team, status, platform, verdict, owner, query)

    def as_params(self) -> dict[str, str]:
        params = {
            "team": self.team or "",
            "status": self.status,
            "platform": self.platform,
            "verdict": self.verdict,
            "owner": self.owner or "",
            "q": self.query,
        }
        return {key: str(value) for key, value in params.items() if value}

    def apply(self, agents: QuerySet[Agent]) -> QuerySet[Agent]:
        if self.team:
            agents = agents.filter(team_id=self.team)
        if self.status:
            agents = agents.filter(status=self.status)
        if self.platform:
            agents = agents.filter(platform__iexact=self.platform)
        if self.owner:
            agents = agents.filter(owner_id=self.owner)
        if self.query:
            agents = agents.filter(Q(name__icontains=self.query) | Q(purpose__icontains=self.query))
        if self.verdict:
            current = Assessment.objects.filter(current_approval(), agent=OuterRef("pk"))
            if self.verdict == NO_VERDICT:
                agents = agents.filter(~Exists(current))
            else:
                agents = agents.filter(Exists(current.filter(verdict=self.verdict)))
        return agents


def _count(queryset) -> Subquery:
    counted = queryset.order_by().values("agent").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def register_agents(user, filters: AgentFilters) -> QuerySet[Agent]:
    """The agents the user may read, filtered, by name; each with its number of identities,
    in the same query."""
    identities = AgentIdentity.objects.filter(agent=OuterRef("pk"))
    return (
        filters.apply(agents_for(user))
        .select_related("team", "owner")
        .annotate(identity_count=_count(identities))
        .order_by("name", "id")
    )


def filter_options(user) -> dict:
    """What the list's filters offer: the user's readable teams, their people, the platforms."""
    teams = list(access.teams_for(user, access.VIEW).distinct().order_by("name"))
    platforms = agents_for(user).exclude(platform="").values_list("platform", flat=True)
    return {
        "teams": teams,
        "owners": list(owner_choices(teams)),
        "platforms": list(platforms.order_by("platform").distinct()),
    }


def attachable_agents(assessment: Assessment) -> QuerySet[Agent]:
    """Agents a record may be attached to: its own team's, not retired."""
    return Agent.objects.filter(team_id=assessment.team_id).exclude(status=Agent.Status.RETIRED)
