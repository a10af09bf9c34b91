from datetime import timedelta

import pytest
import yaml
from django.utils import timezone
from rest_framework.test import APIClient

from assessor.models import Team
from assessor.portfolio.selectors import portfolio_figures
from tests.builders import AT_VERDICT, api_client, make_approval, make_user

URL = "/api/v1/portfolio/"


@pytest.fixture
def approver(db):
    return make_user("approver", team="Team A", roles=("approver", "auditor"))


@pytest.fixture
def approved(approver, questionnaire, stub_pdf):
    owner = make_user("a_owner", team="Team A", roles=("reviewer",))
    today = timezone.localdate()
    make_approval(owner, approver, answers=AT_VERDICT["supervised"], on=today, name="Alpha")
    return make_approval(owner, approver, answers=AT_VERDICT["copilot"], on=today, name="Gamma")


def test_the_api_serves_the_figures_the_page_shows(client, approver, approved):
    today = timezone.localdate()
    params = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    response = api_client(approver).get(URL, params)
    assert response.status_code == 200
    body = response.json()
    team = Team.objects.get(name="Team A")
    expected = portfolio_figures(
        teams=[team], start=today - timedelta(days=30), end=today, today=today
    ).as_json()
    assert body == expected
    assert body["verdict_mix"]["counts"] == {"copilot": 1, "supervised": 1, "owner": 0}
    assert [c["workflow"] for c in body["changes"]["new"]] == ["Alpha", "Gamma"]
    # the page, filtered the same way, shows the same counts and rows
    client.force_login(approver)
    page = client.get("/portfolio/", params).content.decode()
    assert "2 workflows with an approval in force" in page
    assert "New workflows approved (2)" in page


def test_the_api_needs_a_token(db):
    assert APIClient().get(URL).status_code == 401


def test_a_reviewer_only_gets_403(db):
    reviewer = make_user("reviewer", team="Team A", roles=("reviewer",))
    response = api_client(reviewer).get(URL)
    assert response.status_code == 403
    assert "approvers, auditors and team managers" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end", "ends before it starts"),
        ({"start": "01/05/2026"}, "start", "Enter a valid date."),
        ({"team": "2147483647"}, "team", "You cannot read the portfolio of team 2147483647"),
        ({"task_type": "nope"}, "task_type", "Select a valid choice."),
        ({"start": "9999-12-31", "end": "9999-12-31"}, "end", "between 1970 and 2999"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(approver, questionnaire, params, field, message):
    response = api_client(approver).get(URL, params)
    assert response.status_code == 400
    assert message in " ".join(response.json()[field])


def test_a_team_the_token_holder_cannot_read_is_refused_not_ignored(approver, questionnaire):
    make_user("b_approver", team="Team B", roles=("approver",))
    team_b = Team.objects.get(name="Team B")
    response = api_client(approver).get(URL, {"team": team_b.pk})
    assert response.status_code == 400
    assert "team" in response.json()


def test_the_portfolio_is_in_the_openapi_schema(approver):
    schema = yaml.safe_load(api_client(approver).get("/api/v1/schema/").content)
    parameters = schema["paths"]["/api/v1/portfolio/"]["get"]["parameters"]
    assert {p["name"] for p in parameters} >= {"team", "start", "end", "task_type", "environment"}
