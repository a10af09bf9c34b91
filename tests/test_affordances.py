"""People see only the actions their role in the record's team allows; errors are styled pages."""

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from assessor.models import Answer, Assessment
from tests.builders import SAFEST, make_assessment

pytestmark = pytest.mark.django_db

HALF = dict(list(SAFEST.items())[:5])


@pytest.fixture
def draft_assessment(questionnaire, owner):
    return make_assessment(owner, answers=HALF, name="Half done")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ["approver", "auditor"])
def test_an_approver_or_auditor_gets_a_read_only_view_of_a_draft(draft_assessment, role, request):
    reader = client_for(request.getfixturevalue(role))
    dashboard = reader.get("/").content.decode()
    assert "Half done" in dashboard
    assert (
        f'href="{reverse("resume", args=[draft_assessment.pk])}"' not in dashboard
    )  # no "Continue"
    assert "Report<span" in dashboard
    report = reader.get(reverse("report", args=[draft_assessment.pk])).content.decode()
    assert "Edit answers" not in report and "Continue the assessment" not in report
    assert f"/assessments/{draft_assessment.pk}/step/" not in report  # no link into the wizard
    assert "this report is read-only for you" in report
    assert 'action="/assessments/' not in report  # no form that would be refused on save
    # the wizard itself sends them to the report
    wizard = reader.get(reverse("wizard", args=[draft_assessment.pk, 1]))
    assert wizard.status_code == 302 and wizard.url == reverse("report", args=[draft_assessment.pk])


def test_the_reviewer_sees_the_ways_to_continue(draft_assessment, owner):
    reviewer = client_for(owner)
    assert (
        f'href="{reverse("resume", args=[draft_assessment.pk])}"'
        in reviewer.get("/").content.decode()
    )
    report = reviewer.get(reverse("report", args=[draft_assessment.pk])).content.decode()
    assert "Edit answers" in report and "Continue the assessment" in report
    assert "read-only for you" not in report


def test_a_forbidden_post_shows_the_styled_403_and_saves_nothing(
    draft_assessment, approver, settings
):
    settings.DEBUG = False
    response = client_for(approver).post(
        reverse("wizard", args=[draft_assessment.pk, 5]),
        {"version": draft_assessment.version, "reversibility": "none"},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1" in html and "Not allowed" in html
    assert "approver is not a reviewer in team &#x27;Team A&#x27;" in html  # from access.py
    assert 'href="/">Back to your assessments' in html
    assert "bootstrap.min.css" in html and "Sign out (approver)" in html  # the app's own page
    assert not Answer.objects.filter(
        assessment=draft_assessment, question_key="reversibility"
    ).exists()
    assert Assessment.objects.get(pk=draft_assessment.pk).version == draft_assessment.version


def test_a_missing_page_is_the_styled_404(owner_client, settings):
    settings.DEBUG = False
    response = owner_client.get("/assessments/999999/report/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Not found" in html and 'href="/">Back to your assessments' in html
    assert "bootstrap.min.css" in html


def test_a_server_error_is_the_styled_500(owner_client, draft_assessment, settings, monkeypatch):
    settings.DEBUG = False

    def broken(*args, **kwargs):
        raise RuntimeError("canary")

    monkeypatch.setattr("assessor.documents.views.history_page.history_entries", broken)
    owner_client.raise_request_exception = False
    response = owner_client.get(reverse("history", args=[draft_assessment.pk]))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and "canary" not in html
    assert 'href="/">Back to your assessments' in html and "bootstrap.min.css" in html


def test_the_500_page_needs_no_request_and_no_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = render_to_string("500.html")
    assert "Something went wrong on our side" in html and "Sign out" not in html
