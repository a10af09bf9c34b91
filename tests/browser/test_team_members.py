"""The team members page in a real browser: a team manager grants and takes away roles."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.models import Membership
from tests.builders import assert_accessible, make_member, sign_in

pytestmark = pytest.mark.browser
WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def manager(transactional_db):
    return make_member("mara", "manager", "reviewer")


def test_a_team_manager_adds_a_person_changes_their_roles_and_cannot_leave_the_team_unmanaged(
    page, manager, published_questionnaire
):
    alan = make_member("alan", team="Elsewhere")  # has an account, not yet in the team
    sign_in(page, manager)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Team members").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members of Identity security")
    assert_accessible(page, "the team members page")

    page.get_by_label("Username or email").fill("alan")
    page.get_by_role("combobox", name="Role").select_option(label="Auditor")
    page.get_by_role("button", name="Add to Identity security").click()
    expect(page.get_by_text("alan is now auditor in Identity security.")).to_be_visible()

    member = page.locator(f"#member-{alan.pk}")
    member.get_by_label("Approver").check()
    member.get_by_role("button", name="Save roles of alan").click()
    expect(page.get_by_text("alan in Identity security: granted Approver.")).to_be_visible()
    roles = Membership.objects.get(user=alan, team__name="Identity security")
    assert (roles.auditor, roles.approver, roles.reviewer) == (True, True, False)

    # adding someone twice, or nobody, says why beside the field
    page.get_by_label("Username or email").fill("alan")
    page.get_by_role("combobox", name="Role").select_option(label="Auditor")
    page.get_by_role("button", name="Add to Identity security").click()
    expect(page.get_by_text("alan is already auditor in Identity security.")).to_be_visible()
    assert_accessible(page, "the team members page with an error")

    # the only manager cannot remove themselves
    me = page.locator(f"#member-{manager.pk}")
    me.get_by_role("button", name="Remove mara from the team").click()
    expect(me.get_by_role("alert")).to_contain_text(
        re.compile("mara is the last team manager of Identity security")
    )
    assert Membership.objects.get(user=manager).team_manager

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    scroll_width, inner_width = page.evaluate(WIDTH)
    assert scroll_width <= inner_width, "the members page scrolls sideways on a phone"


def test_a_member_who_manages_no_team_has_no_link_and_gets_404(page, published_questionnaire):
    reviewer = make_member("ruth", "reviewer")
    sign_in(page, reviewer)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    expect(page.get_by_role("link", name="Webhooks")).to_have_count(0)
    expect(page.get_by_role("link", name="Team members")).to_have_count(0)
    team = reviewer.teams.get()
    response = page.goto(f"/teams/{team.pk}/members/")
    assert response.status == 404
