"""The register's pages: thin. Lookups through `selectors.agent_for` (404 outside the
person's teams, 403 for a role that may only read), writes through `services`."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessor import engine
from assessor.teams import access
from assessor.web import filter_form

from . import selectors, services
from .forms import AgentForm, AttachForm, IdentityForm

PAGE_SIZE = 25


def _failed(form, error: ValidationError) -> None:
    """A refusal from the service shown on the form, by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def agent_list(request):
    try:
        filters = selectors.AgentFilters.from_params(request.GET)
        filter_errors = {}
    except selectors.InvalidFilters as invalid:
        filters, filter_errors = selectors.AgentFilters(), invalid.errors
    agents = selectors.register_agents(request.user, filters)
    if filter_errors:
        agents = agents.none()  # a filter that cannot apply shows nothing, not all
    page = Paginator(agents, PAGE_SIZE).get_page(request.GET.get("page"))
    workflows = selectors.page_workflows(page.object_list)
    for agent in page.object_list:
        agent.workflows = workflows[agent.pk]
    filter_query = urlencode(filters.as_params())
    context = {
        "page": page,
        "filters": filters,
        "filter_query": filter_query,
        "filter_errors": filter_errors,
        "filter_fields": _filter_fields(filters, **selectors.filter_options(request.user)),
        "clear_url": reverse("agent_list") if filter_query else "",
        "can_create": access.teams_for(request.user, access.EDIT).exists(),
    }
    status = 400 if filter_errors else 200
    return render(request, "assessor/register/agent_list.html", context, status=status)


def _filter_fields(filters, *, teams, owners, platforms) -> list[filter_form.FilterField]:
    verdicts = [*engine.VERDICT_LABELS.items(), (selectors.NO_VERDICT, "No approved verdict")]
    # a platform in the address matches its option whatever its case, as the filter does
    platform = next((p for p in platforms if p.lower() == filters.platform.lower()), "")
    people = [(person.pk, person.get_full_name() or person.get_username()) for person in owners]
    return [
        filter_form.FilterField(
            name="q", label="Search by name or purpose", value=filters.query, kind="search", width=3
        ),
        filter_form.select(
            "team", "Team", filters.team, [(t.pk, t.name) for t in teams], any_label="Any team"
        ),
        filter_form.select(
            "status",
            "Status",
            filters.status,
            selectors.Agent.Status.choices,
            any_label="Any status",
        ),
        filter_form.select(
            "platform",
            "Platform",
            platform,
            [(p, p) for p in platforms],
            any_label="Any platform",
        ),
        filter_form.select(
            "verdict", "Current verdict", filters.verdict, verdicts, any_label="Any verdict"
        ),
        filter_form.select("owner", "Accountable owner", filters.owner, people, any_label="Anyone"),
    ]


@require_http_methods(["GET", "POST"])
def agent_new(request):
    teams = access.teams_for(request.user, access.EDIT)
    if not teams:
        raise PermissionDenied("Only a team's reviewers add agents to its register.")
    form = AgentForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            agent = services.agent_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _failed(form, error)
        else:
            messages.success(request, f"Added '{agent.name}' to the register.")
            return redirect(agent)
    return render(request, "assessor/register/agent_form.html", {"form": form})


def agent_detail(request, pk: int):
    agent = selectors.agent_for(request.user, pk)
    context = {
        "agent": agent,
        "workflows": selectors.agent_workflows(agent),
        "identities": list(agent.identities.all()),
        "history": selectors.agent_history(agent),
        "can_edit": access.may(request.user, agent.team, access.EDIT),
    }
    return render(request, "assessor/register/agent_detail.html", context)


@require_http_methods(["GET", "POST"])
def agent_edit(request, pk: int):
    agent = selectors.agent_for(request.user, pk, access.EDIT)
    form = AgentForm(request.POST or None, instance=agent, teams=None)
    if request.method == "POST" and form.is_valid():
        try:
            changes = {name: form.cleaned_data[name] for name in services.AGENT_FIELDS}
            services.agent_update(user=request.user, agent=agent, **changes)
        except ValidationError as error:
            _failed(form, error)
        else:
            messages.success(request, f"Saved '{agent.name}'.")
            return redirect(agent)
    return render(request, "assessor/register/agent_form.html", {"form": form, "agent": agent})


@require_http_methods(["GET", "POST"])
def identity_new(request, pk: int):
    agent = selectors.agent_for(request.user, pk, access.EDIT)
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_create(user=request.user, agent=agent, **form.cleaned_data)
        except ValidationError as error:
            _failed(form, error)
        else:
            messages.success(request, "Identity added.")
            return redirect(agent)
    context = {"form": form, "agent": agent}
    return render(request, "assessor/register/identity_form.html", context)


@require_http_methods(["GET", "POST"])
def identity_edit(request, pk: int, identity: int):
    agent = selectors.agent_for(request.user, pk, access.EDIT)
    found = selectors.identity_for(agent, identity)
    form = IdentityForm(request.POST or None, instance=found)
    if request.method == "POST" and form.is_valid():
        try:
            changes = {name: form.cleaned_data[name] for name in services.IDENTITY_FIELDS}
            services.identity_update(user=request.user, identity=found, **changes)
        except ValidationError as error:
            _failed(form, error)
        else:
            messages.success(request, "Identity saved.")
            return redirect(agent)
    context = {"form": form, "agent": agent, "identity": found}
    return render(request, "assessor/register/identity_form.html", context)


@require_POST
def identity_delete(request, pk: int, identity: int):
    agent = selectors.agent_for(request.user, pk, access.EDIT)
    found = selectors.identity_for(agent, identity)
    services.identity_delete(user=request.user, identity=found)
    messages.success(request, f"Removed {found}.")
    return redirect(agent)


@require_http_methods(["GET", "POST"])
def assessment_agent(request, pk: int):
    """Which agent runs a record's workflow: attach (or change, or detach) it."""
    assessment = access.assessment_for(request.user, pk, access.EDIT)
    form = AttachForm(request.POST or None, assessment=assessment)
    if request.method == "POST" and form.is_valid():
        agent = form.cleaned_data["agent"]
        try:
            services.assessment_agent_set(user=request.user, assessment=assessment, agent=agent)
        except ValidationError as error:
            _failed(form, error)
        else:
            said = f"Attached to {agent.name}." if agent else "No agent attached now."
            messages.success(request, said)
            return redirect("report", pk=assessment.pk)
    context = {"form": form, "assessment": assessment}
    return render(request, "assessor/register/assessment_agent.html", context)
