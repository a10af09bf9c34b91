"""The portfolio in Chromium: an approver opens it from the menu, filters to one team with the
keyboard alone, reads the charts' tables, and axe finds nothing serious."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessor.models import Team
from assessor.teams.membership import member_add
from tests.builders import (
    assert_accessible,
    bulk_portfolio,
    make_member,
    press_until_focused,
    sign_in,
)

pytestmark = pytest.mark.browser


def test_an_approver_filters_the_portfolio_to_one_team_with_the_keyboard(
    page, published_questionnaire
):
    approver = make_member("board", "approver")
    member_add(team_name="Payments IAM", username="board", role="auditor")
    today = timezone.localdate()
    for name, count in (("Identity security", 4), ("Payments IAM", 7)):
        team = Team.objects.get(name=name)
        bulk_portfolio(
            team=team,
            owner=approver,
            questionnaire=published_questionnaire,
            workflows=count,
            today=today,
        )
    sign_in(page, approver)
    page.get_by_role("link", name="Portfolio").click()
    page.wait_for_url(re.compile(r"/portfolio/$"))
    expect(page.locator("#portfolio-scope")).to_contain_text("Identity security, Payments IAM")
    assert_accessible(page, "the portfolio")

    payments = Team.objects.get(name="Payments IAM")
    page.locator("h1").click()  # from the heading on, the keyboard alone
    press_until_focused(page, f"#team-{payments.pk}")
    page.keyboard.press("Space")
    press_until_focused(page, "button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/portfolio/\?.*team="))
    expect(page.locator("#portfolio-scope")).to_contain_text("Payments IAM:")
    expect(page.locator("#portfolio-scope")).not_to_contain_text("Identity security")

    page.get_by_text("Workflows by team as a table").click()
    expect(page.get_by_role("table", name="Workflows by team")).to_contain_text("Payments IAM")
    assert_accessible(page, "the portfolio filtered to one team, a table open")
