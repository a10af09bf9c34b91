"""The review loop with three people, in Chromium: a reviewer submits with a comment, an
approver finds it in "Awaiting my approval" and returns it, the reviewer sees why in a banner
on the report and the wizard, fixes and resubmits, and a second approver signs it off. Every
step's email arrives at a real SMTP server on a loopback port."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.models import Answer, Assessment
from tests.builders import PASSWORD, SAFEST, TIMEOUT_MS, assert_accessible, sign_in

pytestmark = pytest.mark.browser

SUBMIT_COMMENT = "Ready for sign-off: rotation runs nightly."
RETURN_COMMENT = "Say who is on call for the kill switch."
RESUBMIT_COMMENT = "On-call rota added to the first step's note."


@pytest.fixture
def approvers(transactional_db, reviewer):
    from django.contrib.auth.models import User

    from assessor.teams.membership import member_add

    people = []
    for name in ("amy", "ben"):
        user = User.objects.create_user(
            username=name, email=f"{name}@example.com", password=PASSWORD
        )
        member_add(team_name="Identity security", username=name, role="approver")
        people.append(user)
    return people


@pytest.fixture
def person_page(browser, live_server):
    """A separate browser (own cookies) for each extra person."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def report_url(record) -> str:
    return f"/assessments/{record.pk}/report/"


def link_in(mail) -> str:
    """The record's address from the email's text, made relative to the live server."""
    found = re.search(r"https?://\S+/assessments/\d+/report/", mail.text)
    assert found, mail.text
    return re.sub(r"^https?://[^/]+", "", found.group(0))


def test_the_review_loop_with_three_people(
    page,
    person_page,
    reviewer,
    approvers,
    make_assessment,
    smtp_server,
    settings,
    live_server,
):
    settings.ASSESSOR_BASE_URL = live_server.url
    amy, ben = approvers
    record = make_assessment(answers=SAFEST)

    # 1. The reviewer submits with a comment; both approvers are mailed, the reviewer is not.
    sign_in(page, reviewer)
    page.goto(report_url(record))
    page.get_by_label("Comment for the approver (optional)").fill(SUBMIT_COMMENT)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval. The answers are now locked.")).to_be_visible()
    assert sorted(m["To"] for m in smtp_server.messages) == ["amy@example.com", "ben@example.com"]
    assert SUBMIT_COMMENT in smtp_server.to("amy@example.com")[0].text

    # 2. Amy finds it in "Awaiting my approval", reads the comment, and returns it.
    amy_page = person_page()
    sign_in(amy_page, amy)
    awaiting = amy_page.locator("#awaiting-approval")
    expect(awaiting.get_by_role("heading", name="Awaiting my approval")).to_be_visible()
    assert_accessible(amy_page, "the dashboard with its awaiting list")
    awaiting.get_by_role("link", name=record.name).click()
    amy_page.wait_for_url(re.compile(re.escape(report_url(record)) + "$"))
    expect(amy_page.locator("#submission-comment")).to_contain_text(SUBMIT_COMMENT)
    amy_page.get_by_label("What needs to change (required to return it)").fill(RETURN_COMMENT)
    amy_page.get_by_role("button", name="Return for changes").click()
    expect(amy_page.get_by_text("Returned for changes: the team's reviewers")).to_be_visible()
    returned_mail = smtp_server.to("rev@example.com")
    assert [m["Subject"] for m in returned_mail] == [f"Returned for changes: {record.name}"]
    assert RETURN_COMMENT in returned_mail[0].text

    # 3. The reviewer follows the email's link: the reason is a banner on the report and on
    # every wizard step; they fix the answer's note and submit again.
    page.goto(link_in(returned_mail[0]))
    banner = page.locator("#review-banner")
    expect(banner).to_contain_text(RETURN_COMMENT)
    expect(banner).to_contain_text("Returned for changes by amy")
    assert_accessible(page, "a returned record's report with its banner")
    page.get_by_role("link", name="Edit answers").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    expect(page.locator("#review-banner")).to_contain_text(RETURN_COMMENT)
    page.locator("#q-task_type").get_by_text("Add a note or evidence link").click()
    page.locator('textarea[name="task_type-note"]').fill("On-call rota: identity platform team.")
    page.locator('#wizard-form button[name="next"]').click()
    page.wait_for_url(re.compile(r"/step/2/$"))
    expect(page.locator("#review-banner")).to_contain_text(RETURN_COMMENT)
    assert Answer.objects.filter(assessment=record, note__startswith="On-call rota").exists()
    page.goto(report_url(record))
    page.get_by_label("Comment for the approver (optional)").fill(RESUBMIT_COMMENT)
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("Submitted for approval. The answers are now locked.")).to_be_visible()
    expect(page.locator("#review-banner")).to_have_count(0)

    # 4. Ben approves the resubmission, seeing the new comment; the reviewer is told.
    ben_page = person_page()
    sign_in(ben_page, ben)
    ben_page.locator("#awaiting-approval").get_by_role("link", name=record.name).click()
    expect(ben_page.locator("#submission-comment")).to_contain_text(RESUBMIT_COMMENT)
    ben_page.get_by_label("I have read the report").check()
    ben_page.get_by_role("button", name="Approve", exact=True).click()
    expect(ben_page.get_by_text("Approved. The signed-off PDF is stored")).to_be_visible()
    record.refresh_from_db()
    assert record.status == Assessment.Status.APPROVED
    subjects = [m["Subject"] for m in smtp_server.to("rev@example.com")]
    assert subjects == [f"Returned for changes: {record.name}", f"Approved: {record.name}"]
    assert len(smtp_server.to("amy@example.com")) == 2  # both submissions, nothing else

    # The reviewer turns the emails off on their settings page, from the navigation bar.
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Email me about reviews").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved: review emails are off.")).to_be_visible()
    assert_accessible(page, "the settings page")

    # Nothing is left awaiting anyone.
    amy_page.goto("/")
    expect(amy_page.locator("#awaiting-approval")).to_have_count(0)
