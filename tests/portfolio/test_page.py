from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessor.models import Team
from assessor.teams.membership import member_add
from tests.builders import AT_VERDICT, bulk_portfolio, make_approval, make_user

URL = "/portfolio/"


@pytest.fixture
def approver_a(db):
    return make_user("approver_a", team="Team A", roles=("approver",))


@pytest.fixture
def workflows(approver_a, questionnaire, stub_pdf):
    """A workflow approved today in Team A and one in Team B, each with a second approver."""
    today = timezone.localdate()
    a_owner = make_user("a_owner", team="Team A", roles=("reviewer",))
    b_owner = make_user("b_owner", team="Team B", roles=("reviewer",))
    b_approver = make_user("b_approver", team="Team B", roles=("approver",))
    a = make_approval(a_owner, approver_a, answers=AT_VERDICT["owner"], on=today, name="Alpha flow")
    b = make_approval(
        b_owner, b_approver, answers=AT_VERDICT["copilot"], on=today, name="Beta flow"
    )
    return {"a": a, "b": b}


def test_an_approver_sees_their_teams_portfolio_with_links_to_the_records(
    client, approver_a, workflows
):
    client.force_login(approver_a)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alpha flow" in page and reverse("report", args=[workflows["a"].pk]) in page
    assert "Beta flow" not in page  # Team B is not theirs
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert f'href="{URL}"' in page  # the nav link


def test_a_reviewer_only_gets_403_and_no_nav_link(client, db):
    reviewer = make_user("only_reviewer", team="Team A", roles=("reviewer",))
    client.force_login(reviewer)
    assert client.get(URL).status_code == 403
    assert f'href="{URL}"' not in client.get("/").content.decode()


def test_an_approver_in_a_and_reviewer_in_b_reads_only_a(client, approver_a, workflows):
    member_add(team_name="Team B", username="approver_a", role="reviewer")
    client.force_login(approver_a)
    page = client.get(URL).content.decode()
    assert "Alpha flow" in page and "Beta flow" not in page
    team_b = Team.objects.get(name="Team B")
    response = client.get(URL, {"team": team_b.pk})
    assert response.status_code == 400
    assert "You cannot read the portfolio of team" in response.content.decode()
    assert "Beta flow" not in response.content.decode()


def test_a_team_manager_and_an_auditor_read_it_too(client, workflows):
    for role in ("manager", "auditor"):
        user = make_user(f"a_{role}", team="Team A", roles=(role,))
        client.force_login(user)
        assert "Alpha flow" in client.get(URL).content.decode()


def test_a_superuser_reads_every_team(client, workflows):
    admin = get_user_model().objects.create_superuser("root", password="x" * 20)
    client.force_login(admin)
    page = client.get(URL).content.decode()
    assert "Alpha flow" in page and "Beta flow" in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "The period ends before it starts"),
        ({"start": "2026-02-30"}, "Enter a valid date."),
        ({"end": "yesterday"}, "Enter a valid date."),
        ({"start": ""}, "This field is required."),
        ({"team": "x"}, "You cannot read the portfolio of team x"),
        ({"team": "999999"}, "You cannot read the portfolio of team 999999"),
        ({"task_type": "juggling"}, "Select a valid choice."),
        ({"environment": "moon"}, "Select a valid choice."),
        ({"start": "2010-01-01", "end": "2026-01-01"}, "five years at most"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(client, approver_a, questionnaire, params, message):
    client.force_login(approver_a)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'id="filter-errors"' in response.content.decode()


def test_filtering_to_one_team_and_a_task_type(client, approver_a, workflows):
    member_add(team_name="Team B", username="approver_a", role="auditor")
    client.force_login(approver_a)
    team_b = Team.objects.get(name="Team B")
    page = client.get(URL, {"team": team_b.pk}).content.decode()
    assert "Beta flow" in page and "Alpha flow" not in page
    other_task = AT_VERDICT["owner"]["task_type"]
    page = client.get(URL, {"task_type": other_task}).content.decode()
    assert "Alpha flow" in page and "Beta flow" not in page


def test_the_page_takes_a_fixed_number_of_queries_for_3_or_30_workflows(client, questionnaire):
    today = timezone.localdate()
    reader = make_user("reader", team="Small", roles=("approver", "reviewer"))
    member_add(team_name="Large", username="reader", role="auditor")
    small, large = Team.objects.get(name="Small"), Team.objects.get(name="Large")
    bulk_portfolio(team=small, owner=reader, questionnaire=questionnaire, workflows=3, today=today)
    bulk_portfolio(team=large, owner=reader, questionnaire=questionnaire, workflows=30, today=today)
    client.force_login(reader)
    period = {"start": (today - timedelta(days=365)).isoformat(), "end": today.isoformat()}

    def queries(team) -> tuple[int, str]:
        client.get(URL, {**period, "team": team.pk})  # warm caches (the bank's compiled form)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, {**period, "team": team.pk})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    few, small_page = queries(small)
    many, large_page = queries(large)
    assert few == many
    assert "Workflow 29" in large_page  # the larger one did list its records
    assert "Verdicts raised (1)" in small_page and "Verdicts raised (10)" in large_page


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_portfolio_with_no_approval_says_what_counts(client, approver_a, questionnaire):
    client.force_login(approver_a)
    page = client.get(URL).content.decode()
    assert 'id="portfolio-empty"' in page
    assert "Only approved assessments count here" in page


@pytest.mark.parametrize(("role", "shown"), [("approver", True), ("reviewer", False)])
def test_the_menu_shows_the_portfolio_to_its_readers_without_a_query_of_its_own(
    db, client, role, shown, django_assert_num_queries
):
    """The session's user is loaded with the answer, so no page pays a query for the menu."""
    user = make_user(f"menu-{role}", roles=(role,))
    client.force_login(user)
    client.get(reverse("password_change"))  # warm what a first request loads
    with django_assert_num_queries(2):  # the session and the user: nothing for the menu
        page = client.get(reverse("password_change")).content.decode()
    assert (f'href="{reverse("portfolio")}"' in page) is shown
