"""The agent register: agents, their identities, the workflows they run and their verdicts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessor.dashboard.examples import examples_create
from assessor.documents import pdf, spreadsheet
from assessor.models import Agent, AgentIdentity, Assessment
from assessor.records import chain as record_chain
from assessor.records import services
from assessor.register import selectors
from assessor.register import services as register_services
from assessor.review import services as review
from tests.builders import SAFEST, api_client, make_agent, make_assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def stub_pdf(monkeypatch):
    """Approving stores a PDF; these tests are about the register, not rendering."""
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF-1.4 stub")


def approved(owner, approver, **kwargs):
    record = make_assessment(owner, answers=SAFEST, **kwargs)
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    record.refresh_from_db()
    return record


# --- pages ---------------------------------------------------------------------------------------


def test_a_reviewer_adds_an_agent_and_sees_it_listed(owner_client, owner):
    response = owner_client.post(
        reverse("agent_new"),
        {"name": "Joiner bot", "purpose": "Creates accounts", "owner": owner.pk,
         "platform": "Copilot Studio", "status": "active"},
    )  # fmt: skip
    agent = Agent.objects.get(name="Joiner bot")
    assert response.status_code == 302 and response["Location"] == agent.get_absolute_url()
    listed = owner_client.get(reverse("agent_list")).content.decode()
    assert "Joiner bot" in listed and "Copilot Studio" in listed
    assert agent.history.first().history_user == owner


def test_a_second_agent_of_the_same_name_in_a_team_is_a_form_error(owner_client, owner):
    make_agent(owner, name="Joiner bot")
    response = owner_client.post(
        reverse("agent_new"), {"name": "Joiner bot", "owner": owner.pk, "status": "active"}
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Agent.objects.count() == 1


def test_the_owner_must_be_a_member_of_the_agents_team(owner_client, owner, outsider):
    response = owner_client.post(
        reverse("agent_new"), {"name": "Joiner bot", "owner": outsider.pk, "status": "active"}
    )
    assert response.status_code == 200 and not Agent.objects.exists()
    assert "owner" in response.context["form"].errors


def test_an_unknown_identity_kind_is_a_form_error_and_saves_nothing(owner_client, owner):
    agent = make_agent(owner, identities=0)
    response = owner_client.post(
        reverse("identity_new", args=[agent.pk]),
        {"kind": "robot_overlord", "system": "AWS", "credential_type": "api_key",
         "credential_lifetime": "days_90"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "robot_overlord is not one of the available choices" in response.content.decode()
    assert list(response.context["form"].errors) == ["kind"]
    assert not AgentIdentity.objects.exists()


def test_identities_are_added_edited_and_removed(owner_client, owner):
    agent = make_agent(owner, identities=0)
    data = {"kind": "service_account", "system": "Okta", "credential_type": "password",
            "credential_lifetime": "no_expiry", "notes": "legacy"}  # fmt: skip
    owner_client.post(reverse("identity_new", args=[agent.pk]), data)
    identity = agent.identities.get()
    owner_client.post(
        reverse("identity_edit", args=[agent.pk, identity.pk]),
        {**data, "credential_type": "certificate", "credential_lifetime": "year"},
    )
    identity.refresh_from_db()
    assert identity.credential_type == "certificate"
    page = owner_client.get(agent.get_absolute_url()).content.decode()
    assert "Certificate (mTLS)" in page and "Up to a year" in page
    owner_client.post(reverse("identity_delete", args=[agent.pk, identity.pk]))
    assert not agent.identities.exists()
    history = owner_client.get(agent.get_absolute_url()).content.decode()
    assert "Identity removed: Service account in Okta, Certificate (mTLS) · by owner" in history


def test_approvers_and_auditors_read_the_register_but_change_nothing(client, owner, auditor):
    agent = make_agent(owner)
    client.force_login(auditor)
    assert client.get(agent.get_absolute_url()).status_code == 200
    assert "Edit agent" not in client.get(agent.get_absolute_url()).content.decode()
    assert client.get(reverse("agent_edit", args=[agent.pk])).status_code == 403
    assert client.post(reverse("identity_new", args=[agent.pk]), {}).status_code == 403
    assert client.get(reverse("agent_new")).status_code == 403


def test_another_teams_agent_is_not_found(client, owner, outsider):
    agent = make_agent(owner, name="Team A's bot")
    client.force_login(outsider)
    assert client.get(agent.get_absolute_url()).status_code == 404
    assert "Team A&#x27;s bot" not in client.get(reverse("agent_list")).content.decode()


def test_list_filters(owner_client, owner, teammate, approver, questionnaire):
    triage = make_agent(owner, name="Triage", status="active")
    make_agent(teammate, name="Rotator", status="proposed", platform="Vault")
    approved(owner, approver)  # a record with no agent counts for no agent
    record = approved(owner, approver, name="Access triage")
    register_services.assessment_agent_set(user=owner, assessment=record, agent=triage)

    def names(**params):
        response = owner_client.get(reverse("agent_list"), params)
        return [agent.name for agent in response.context["page"].object_list]

    assert names() == ["Rotator", "Triage"]
    assert names(status="active") == ["Triage"]
    assert names(owner=teammate.pk) == ["Rotator"]
    assert names(q="rot") == ["Rotator"]
    assert names(platform="vault") == ["Rotator"]
    assert names(verdict=record.verdict) == ["Triage"]
    assert names(verdict="none") == ["Rotator"]
    bad = owner_client.get(reverse("agent_list"), {"status": "gone", "team": "x"})
    assert bad.status_code == 400 and set(bad.context["filter_errors"]) == {"status", "team"}


def test_the_filter_form_shows_the_filters_in_the_address(owner_client, owner):
    make_agent(owner, name="Rotator", platform="Vault")
    html = owner_client.get(reverse("agent_list")).content.decode()
    assert 'aria-label="Filter agents"' in html and ">Clear</a>" not in html
    page = owner_client.get(reverse("agent_list"), {"platform": "VAULT", "q": "rot"})
    html = page.content.decode()
    assert '<option value="Vault" selected>Vault</option>' in html  # whatever the case typed
    assert 'id="filter-q" name="q" value="rot"' in html
    assert f'<a href="{reverse("agent_list")}" class="btn btn-link">Clear</a>' in html


def test_the_list_page_costs_the_same_queries_for_3_or_30_agents(
    owner_client, owner, questionnaire
):
    def add(numbers):
        for number in numbers:
            agent = make_agent(owner, name=f"Agent {number}", identities=2)
            record = make_assessment(owner, name=f"Workflow {number}")
            register_services.assessment_agent_set(user=owner, assessment=record, agent=agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(reverse("agent_list"))
        assert "Workflow 2" in response.content.decode()  # the workflows are on the page
        return len(captured)

    add(range(3))
    few = queries()
    add(range(3, 30))
    assert queries() == few


# --- workflows and verdicts ----------------------------------------------------------------------


def test_attaching_an_approved_record_keeps_it_approved_and_its_chain_intact(
    owner_client, owner, approver, questionnaire
):
    agent = make_agent(owner)
    record = approved(owner, approver)
    report = owner_client.get(reverse("report", args=[record.pk])).content.decode()
    assert "attach to an agent" in report
    response = owner_client.post(reverse("assessment_agent", args=[record.pk]), {"agent": agent.pk})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.agent == agent and record.status == "approved"
    assert record.history.first().history_user == owner  # who attached it, in the trail
    verdicts = record_chain.chain_verify(Assessment.objects.filter(pk=record.pk))
    assert verdicts and all(verdict.intact for verdict in verdicts)
    [workflow] = selectors.agent_workflows(agent)
    assert workflow.approved == record and workflow.verdict == record.verdict


def test_the_rest_of_an_approved_record_stays_locked(owner, approver, questionnaire):
    record = approved(owner, approver)
    record.name = "Renamed"
    with pytest.raises(Exception, match="cannot be changed"):
        record.save()


def test_a_reassessment_keeps_the_agent_and_the_approved_verdict_stays_current(
    owner, approver, questionnaire
):
    agent = make_agent(owner)
    record = approved(owner, approver)
    register_services.assessment_agent_set(user=owner, assessment=record, agent=agent)
    revision = services.assessment_reassess(
        assessment=Assessment.objects.get(pk=record.pk), user=owner
    )
    assert revision.agent_id == agent.pk
    [workflow] = selectors.agent_workflows(agent)
    assert workflow.latest == revision and workflow.approved == record


def test_attaching_a_revision_attaches_the_whole_workflow(owner, approver, questionnaire):
    record = approved(owner, approver)
    revision = services.assessment_reassess(assessment=record, user=owner)
    agent = make_agent(owner)
    assert register_services.assessment_agent_set(user=owner, assessment=revision, agent=agent) == 2
    assert set(agent.assessments.values_list("pk", flat=True)) == {record.pk, revision.pk}


def test_an_agent_of_another_team_cannot_be_attached(owner_client, owner, outsider, questionnaire):
    theirs = make_agent(outsider, name="Theirs")
    record = make_assessment(owner)
    response = owner_client.post(
        reverse("assessment_agent", args=[record.pk]), {"agent": theirs.pk}
    )
    assert response.status_code == 200 and "agent" in response.context["form"].errors
    record.refresh_from_db()
    assert record.agent is None


def test_a_new_assessment_may_name_its_agent(owner_client, owner, outsider, questionnaire):
    mine, theirs = make_agent(owner), make_agent(outsider, name="Theirs")
    owner_client.post(reverse("assessment_new"), {"name": "Theirs?", "agent": theirs.pk})
    assert not Assessment.objects.exists()
    owner_client.post(reverse("assessment_new"), {"name": "Triage", "agent": mine.pk})
    assert Assessment.objects.get().agent == mine


def test_the_export_names_each_records_agent(owner, questionnaire):
    agent = make_agent(owner, name="Triage bot")
    record = make_assessment(owner)
    register_services.assessment_agent_set(user=owner, assessment=record, agent=agent)
    header, row = spreadsheet.table(Assessment.objects.all())
    assert header[-5:] == ["agent", "agent id", "agent status", "agent platform", "agent owner"]
    assert (
        row[header.index("agent")] == "Triage bot" and row[header.index("workflow")] == record.name
    )


# --- the API -------------------------------------------------------------------------------------


def test_the_api_lists_creates_and_updates_agents(owner, teammate):
    api = api_client(owner)
    team = owner.memberships.get().team_id
    created = api.post(
        "/api/v1/agents/",
        {"name": "Joiner bot", "team": team, "owner": "teammate", "status": "active"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api.get("/api/v1/agents/?status=active").json()["results"][0]["id"] == pk
    updated = api.patch(f"/api/v1/agents/{pk}/", {"status": "suspended"}, format="json")
    assert updated.status_code == 200 and updated.json()["status"] == "suspended"
    assert api.get("/api/v1/agents/?status=nope").status_code == 400


def test_the_api_names_an_unknown_identity_kind(owner):
    agent = make_agent(owner, identities=0)
    response = api_client(owner).post(
        f"/api/v1/agents/{agent.pk}/identities/",
        {"kind": "robot", "system": "AWS", "credential_type": "api_key",
         "credential_lifetime": "days_90"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and list(response.json()) == ["kind"]
    assert not AgentIdentity.objects.exists()


@pytest.mark.parametrize("username", ["team\x00mate", "team\ufffemate", "team\x0bmate"])
def test_the_api_names_an_owner_no_username_can_hold_and_saves_nothing(owner, teammate, username):
    """A NUL in a lookup would make PostgreSQL refuse the query (a 500); it is a 400 on the
    field, like any other bad owner."""
    team = owner.memberships.get().team_id
    response = api_client(owner).post(
        "/api/v1/agents/",
        {"name": "Joiner bot", "team": team, "owner": username},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()) == ["owner"]
    assert not Agent.objects.exists()


def test_the_api_keeps_to_the_team_and_role_rules(owner, outsider, auditor):
    agent = make_agent(owner)
    assert api_client(outsider).get(f"/api/v1/agents/{agent.pk}/").status_code == 404
    assert api_client(outsider).get("/api/v1/agents/").json()["count"] == 0
    reader = api_client(auditor)
    assert reader.get(f"/api/v1/agents/{agent.pk}/identities/").status_code == 200
    refused = reader.patch(f"/api/v1/agents/{agent.pk}/", {"status": "retired"}, format="json")
    assert refused.status_code == 403
    agent.refresh_from_db()
    assert agent.status == "proposed"


def test_the_api_creates_an_assessment_run_by_an_agent_of_its_team(owner, outsider, questionnaire):
    mine, theirs = make_agent(owner), make_agent(outsider, name="Theirs")
    api, team = api_client(owner), owner.memberships.get().team_id
    refused = api.post(
        "/api/v1/assessments/", {"name": "X", "team": team, "agent": theirs.pk}, format="json"
    )
    assert refused.status_code == 400 and "agent" in refused.json()
    created = api.post(
        "/api/v1/assessments/", {"name": "X", "team": team, "agent": mine.pk}, format="json"
    )
    assert created.status_code == 201 and created.json()["agent"] == mine.pk


def test_the_examples_are_attached_to_agents(owner, questionnaire):
    records = examples_create(owner=owner, team=owner.memberships.get().team)
    assert all(record.agent is not None for record in records)
    assert Agent.objects.count() == 2 and AgentIdentity.objects.count() == 3
