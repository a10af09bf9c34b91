"""An autonomy grant in Chromium: an approver approves a record run by an agent, with
conditions; the report links the grant; the grant page shows it and withdraws it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.grants.models import AutonomyGrant
from assessor.register.services import assessment_agent_set
from assessor.review import services as review
from tests.builders import assert_accessible, make_agent, make_member, sign_in

pytestmark = pytest.mark.browser


def test_an_approver_approves_with_conditions_then_withdraws_the_grant(
    page, make_assessment, safe_answers, reviewer
):
    record = make_assessment(name="Secret rotation", answers=safe_answers)
    assessment_agent_set(user=reviewer, assessment=record, agent=make_agent(reviewer))
    review.assessment_submit(assessment=record, user=reviewer)
    sign_in(page, make_member("approving", "approver"))

    page.goto(f"/assessments/{record.pk}/report/")
    page.get_by_label("Conditions of the autonomy grant (optional)").fill("Vault only.")
    page.locator("#approve-confirm").check()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_url(re.compile(rf"/assessments/{record.pk}/report/$"))
    expect(page.locator("#grant-line")).to_contain_text("Autonomy grant: issued, valid until")
    assert AutonomyGrant.objects.get().conditions == "Vault only."

    page.locator("#grant-line").get_by_role("link", name="the grant").click()
    expect(page.locator("#grant-state")).to_have_attribute("data-grant-state", "active")
    expect(page.get_by_text("Vault only.")).to_be_visible()
    assert_accessible(page, "the grant page")

    page.get_by_text("Withdraw this grant").click()
    page.get_by_label("Why is it withdrawn?").fill("Vault moved.")
    page.get_by_role("button", name="Withdraw the grant").click()
    expect(page.locator("#grant-state")).to_have_attribute("data-grant-state", "revoked")
    assert AutonomyGrant.objects.get().status == "revoked"
    assert_accessible(page, "a revoked grant's page")
