"""Review emails, against a real SMTP server on a loopback port (aiosmtpd).

The database is transactional here: emails leave only once the action's transaction has
committed, so the commits must be real.
"""

import logging

import pytest
from django.db import transaction
from django.urls import reverse

from assessor.documents import pdf
from assessor.models import Assessment, NotificationPreference
from assessor.review import services as review
from tests.builders import SAFEST, free_port, make_assessment, make_user

# approvals here store a stub PDF (the mails carry a link, not the PDF); one test makes it fail
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("stub_pdf")]

BASE = "https://assessor.example.org"


@pytest.fixture
def people(questionnaire, settings):
    settings.ASSESSOR_BASE_URL = BASE + "/"
    return {
        "reviewer": make_user("rita", email="rita@example.org"),
        "approver": make_user("amir", roles=("approver",), email="amir@example.org"),
        "second": make_user("bea", roles=("approver",), email="bea@example.org"),
        # both roles: submits, so four eyes keeps them out of their own submission's mail
        "both": make_user("bo", roles=("reviewer", "approver"), email="bo@example.org"),
        # an approver of another team only
        "elsewhere": make_user("olga", team="Team B", roles=("approver",), email="o@example.org"),
    }


@pytest.fixture
def complete(people):
    return make_assessment(people["reviewer"], answers=SAFEST, name="Leaver deprovisioning")


def link(assessment) -> str:
    return f"{BASE}/assessments/{assessment.pk}/report/"


def test_submitting_mails_each_approver_of_the_team_with_the_link(
    smtp_server, people, complete, client
):
    client.force_login(people["reviewer"])
    client.post(reverse("submit", args=[complete.pk]), {"comment": "Ready for the board."})
    assert sorted(m["To"] for m in smtp_server.messages) == [
        "amir@example.org",
        "bea@example.org",
        "bo@example.org",
    ]
    mail = smtp_server.to("amir@example.org")[0]
    assert mail["Subject"] == "Awaiting your approval: Leaver deprovisioning"
    assert link(complete) in mail.text
    assert "Ready for the board." in mail.text
    assert not smtp_server.to("o@example.org")  # another team's approver hears nothing


def test_the_submitter_is_not_mailed_about_their_own_submission(smtp_server, people, complete):
    review.assessment_submit(assessment=complete, user=people["both"])
    assert not smtp_server.to("bo@example.org")
    assert len(smtp_server.messages) == 2


def test_returning_mails_the_submitter_with_the_comment_and_link(smtp_server, people, complete):
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    smtp_server.messages.clear()
    review.assessment_return(
        assessment=complete, user=people["approver"], comment="The evidence link is broken."
    )
    assert [m["To"] for m in smtp_server.messages] == ["rita@example.org"]
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "Returned for changes: Leaver deprovisioning"
    assert "The evidence link is broken." in mail.text
    assert link(complete) in mail.text


def test_approving_mails_the_submitter(smtp_server, people, complete):
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    smtp_server.messages.clear()
    review.assessment_approve(assessment=complete, user=people["second"], comment="Signed.")
    assert [m["To"] for m in smtp_server.messages] == ["rita@example.org"]
    assert smtp_server.messages[0]["Subject"] == "Approved: Leaver deprovisioning"
    assert link(complete) in smtp_server.messages[0].text


def test_a_person_who_turned_emails_off_gets_none(smtp_server, people, complete, client):
    client.force_login(people["approver"])
    response = client.post(reverse("account_settings"), {})  # the box unticked
    assert response.status_code == 302
    assert NotificationPreference.objects.get(user=people["approver"]).review_emails is False
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    assert not smtp_server.to("amir@example.org")
    assert smtp_server.to("bea@example.org")  # the others still are


def test_a_submitter_who_turned_emails_off_hears_nothing_back(smtp_server, people, complete):
    NotificationPreference.objects.create(user=people["reviewer"], review_emails=False)
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    review.assessment_return(assessment=complete, user=people["approver"], comment="Fix it.")
    assert not smtp_server.to("rita@example.org")


def test_a_rolled_back_submission_sends_nothing(smtp_server, people, complete):
    with pytest.raises(RuntimeError), transaction.atomic():
        review.assessment_submit(assessment=complete, user=people["reviewer"])
        raise RuntimeError("something later in the same transaction failed")
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.DRAFT
    assert smtp_server.messages == []


def test_an_approval_whose_pdf_fails_sends_nothing(
    smtp_server, people, complete, client, monkeypatch
):
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    smtp_server.messages.clear()

    def fail(*args, **kwargs):
        raise pdf.RenderFailed("no fonts")

    monkeypatch.setattr(pdf, "assessment_pdf", fail)
    client.force_login(people["approver"])
    client.post(reverse("approve", args=[complete.pk]), {"confirm": "yes"})
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED
    assert smtp_server.messages == []


def test_a_mail_server_that_refuses_is_logged_and_the_action_stands(
    people, complete, client, settings, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    client.force_login(people["reviewer"])
    with caplog.at_level(logging.ERROR, logger="assessor.review.emails"):
        response = client.post(reverse("submit", args=[complete.pk]), {"comment": ""}, follow=True)
    assert response.status_code == 200
    assert "Submitted for approval" in response.content.decode()
    complete.refresh_from_db()
    assert complete.status == Assessment.Status.SUBMITTED
    assert "Review email not sent to amir@example.org" in caplog.text


def test_people_without_an_address_are_skipped(smtp_server, people, complete):
    people["second"].email = ""
    people["second"].save()
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    assert sorted(m["To"] for m in smtp_server.messages) == ["amir@example.org", "bo@example.org"]


def test_the_settings_page_shows_and_saves_the_preference(people, client):
    client.force_login(people["reviewer"])
    page = client.get(reverse("account_settings")).content.decode()
    assert "Email me about reviews" in page and "rita@example.org" in page
    assert 'name="review_emails" id="id_review_emails" checked' in page  # on by default
    client.post(reverse("account_settings"), {})
    client.post(reverse("account_settings"), {"review_emails": "on"})
    assert NotificationPreference.objects.get(user=people["reviewer"]).review_emails is True
    assert NotificationPreference.objects.count() == 1  # one row per person, never more


def test_the_navigation_bar_links_to_the_settings_page(people, client):
    client.force_login(people["reviewer"])
    assert f'href="{reverse("account_settings")}"' in client.get("/").content.decode()


def test_the_settings_page_needs_a_signed_in_user(client, db):
    response = client.get(reverse("account_settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_name_with_a_line_break_cannot_forge_a_header(smtp_server, people, complete):
    Assessment.objects.filter(pk=complete.pk).update(name="Leaver\r\nBcc: mallory@example.org")
    complete.refresh_from_db()
    review.assessment_submit(assessment=complete, user=people["reviewer"])
    assert len(smtp_server.messages) == 3
    assert smtp_server.messages[0]["Subject"] == (
        "Awaiting your approval: Leaver Bcc: mallory@example.org"
    )
    assert all("mallory@example.org" not in m.envelope_to for m in smtp_server.messages)
