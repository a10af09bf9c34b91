"""Affordances follow roles, in Chromium: each person sees only what their role in the record's
team lets them do, and a refused action lands on the app's own 403 page with a way back."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from assessor.models import Answer, Membership
from tests.builders import make_member, radio, records_in_every_state, sign_in, wizard_url

pytestmark = pytest.mark.browser


@pytest.fixture
def approver(transactional_db):
    return make_member("appr", "approver")


@pytest.fixture
def auditor(transactional_db):
    return make_member("audi", "auditor")


@pytest.fixture
def records(make_assessment, reviewer, approver, safe_answers):
    return records_in_every_state(make_assessment, reviewer, approver, safe_answers)


def row(page, name):
    return page.get_by_role("row").filter(has_text=name)


def test_an_approver_reads_drafts_and_decides_submitted_records(page, approver, records):
    sign_in(page, approver)
    unfinished = row(page, "Unfinished draft")
    expect(unfinished.get_by_role("link", name="Report for Unfinished draft")).to_be_visible()
    expect(unfinished.get_by_role("link", name="Continue")).to_have_count(0)
    expect(page.get_by_role("link", name="New assessment")).to_have_count(0)

    unfinished.get_by_role("link", name="Report for Unfinished draft").click()
    expect(page.get_by_role("heading", name="No verdict yet")).to_be_visible()
    expect(page.get_by_text("this report is read-only for you")).to_be_visible()
    main = page.locator("main")
    expect(main.get_by_role("link", name="Edit answers")).to_have_count(0)
    expect(main.get_by_role("link", name="Continue the assessment")).to_have_count(0)
    expect(main.locator("form")).to_have_count(0)

    # Typing a wizard address leads to the read-only report, never to a form that would 403.
    page.goto(wizard_url(records["unfinished"].pk, 2))
    expect(page.get_by_text("Only reviewers of team Identity security change")).to_be_visible()
    assert urlparse(page.url).path == f"/assessments/{records['unfinished'].pk}/report/"

    page.goto(f"/assessments/{records['submitted'].pk}/report/")
    expect(page.get_by_role("button", name="Approve")).to_be_visible()
    expect(page.get_by_role("button", name="Return for changes")).to_be_visible()
    expect(page.get_by_role("button", name="Reassess as a new revision")).to_have_count(0)


def test_an_auditor_gets_no_action_at_all(page, auditor, records):
    sign_in(page, auditor)
    expect(page.get_by_role("link", name="Continue")).to_have_count(0)
    for record in records.values():
        page.goto(f"/assessments/{record.pk}/report/")
        expect(page.locator("main form")).to_have_count(0)
        expect(page.get_by_role("link", name="Edit answers")).to_have_count(0)
        expect(page.get_by_role("link", name="Download PDF")).to_be_visible()


def test_the_reviewer_continues_drafts_but_never_approves_their_own(page, reviewer, records):
    sign_in(page, reviewer)
    expect(row(page, "Unfinished draft").get_by_role("link", name="Continue")).to_be_visible()
    page.goto(f"/assessments/{records['submitted'].pk}/report/")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_text("another approver must sign it off")).to_be_visible()


def test_a_reviewer_who_lost_the_role_meanwhile_gets_the_styled_403_and_a_way_back(
    page, reviewer, make_assessment
):
    assessment = make_assessment()
    sign_in(page, reviewer)
    page.goto(wizard_url(assessment.pk, 5))
    radio(page, "privilege_scope", "narrow").check()
    Membership.objects.filter(user=reviewer).update(reviewer=False, auditor=True)
    page.locator('#wizard-form button[name="next"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.get_by_text("rev is not a reviewer in team 'Identity security'")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()  # the app's own page
    assert not Answer.objects.filter(assessment=assessment).exists()
    page.get_by_role("link", name="Back to your assessments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessments")
