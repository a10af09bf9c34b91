"""The questionnaire studio in a real browser: tune a draft, publish it, and who may not."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.models import Assessment, ChoiceWeight, Questionnaire, Rule
from tests.builders import PASSWORD, assert_accessible, sign_in

pytestmark = pytest.mark.browser
SLOW_MS = 90_000


@pytest.fixture
def qadmin(transactional_db):
    """A questionnaire admin who also reviews the team's assessments (so the impact summary
    covers them and they may start one)."""
    from django.contrib.auth.models import User

    from assessor.teams.membership import member_add

    user = User.objects.create_user(username="qa", password=PASSWORD, first_name="Grace")
    member_add(team_name="Identity security", username="qa", role="admin")
    member_add(team_name="Identity security", username="qa", role="reviewer")
    return user


@pytest.fixture
def admin_page(page, qadmin, published_questionnaire):
    # A draft's page renders the whole bank with a form per item: allow a busy machine time.
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(30_000)
    sign_in(page, qadmin)
    return page


def start_draft(page) -> Questionnaire:
    page.get_by_role("link", name="Questionnaires").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaire versions")
    # Copying a whole bank takes seconds on a busy machine.
    page.get_by_role("button", name=re.compile("Start a draft from the published version")).click(
        timeout=SLOW_MS
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("-draft1", timeout=SLOW_MS)
    return Questionnaire.objects.get(status=Questionnaire.Status.DRAFT)


def test_a_questionnaire_admin_tunes_a_draft_and_publishes_it(
    admin_page, make_assessment, safe_answers
):
    page = admin_page
    # Owner today; the rule added below caps it at supervised.
    watched = make_assessment(
        name="Vault rotation", answers=safe_answers | {"monitoring": "periodic_review"}
    )
    assert watched.verdict == "owner"
    draft = start_draft(page)

    # A weight, in the table, with the examples' preview moving before anything is saved.
    page.get_by_role("link", name="Edit the choices and points of “monitoring” in a table").click()
    cell = page.locator("#id_w__periodic_review__evidence")
    before_row = page.locator("#preview-rows tr").first.inner_text()
    cell.fill("0")
    expect(page.locator("#preview-rows tr").first).not_to_have_text(before_row)
    page.get_by_role("button", name="Save choices and points").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved the choices and points")
    weight = ChoiceWeight.objects.get(
        choice__question__questionnaire=draft,
        choice__question__key="monitoring",
        choice__key="periodic_review",
        dimension__key="evidence",
    )
    assert weight.points == 0

    # A rule, through the builder: question, then its choices, the cap, a reason, a reference.
    page.get_by_role("link", name="Add a rule").click()
    page.get_by_label("Rule id").fill("monitoring-periodic-only")
    page.get_by_label("Condition 1: question").select_option("monitoring")
    page.get_by_label("Periodic review of logs").check()  # shown once the question is picked
    page.get_by_label("Caps the verdict: at most the level below, whatever the score").check()
    page.locator("#id_cap").select_option("supervised")  # the "Level" select
    page.get_by_label("Reason (shown to reviewers").fill(
        "Nobody watches it live; a person approves."
    )
    page.get_by_label("Filter references by id or words").fill("AU-6")
    page.locator("#framework-list [data-filter-item]:visible").first.locator("input").check()
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#rule-monitoring-periodic-only")).to_contain_text(
        "When monitoring is “Periodic review of logs”, cap at Supervised."
    )
    rule = Rule.objects.get(questionnaire=draft, key="monitoring-periodic-only")
    assert rule.frameworks.count() == 1

    # The changes page shows both, side by side.
    page.get_by_role("link", name="Changes from the published version").click()
    changes = page.locator("table")
    expect(changes).to_contain_text("points on evidence")
    expect(changes).to_contain_text("monitoring-periodic-only")

    # The publish page: the impact first, then a real name and a note.
    page.get_by_role("link", name="Publish…").click()
    expect(page.locator("#impact")).to_contain_text("Vault rotation")
    expect(page.locator("#impact")).to_contain_text("monitoring-periodic-only")
    page.get_by_label("Version name").fill("2026.4-draft")
    page.get_by_role("button", name="Publish this version").click()
    expect(page.locator("#id_name.is-invalid")).to_be_visible()
    page.get_by_label("Version name").fill("2026.4")
    page.get_by_label("Release note").fill("Periodic log review no longer counts as monitoring.")
    page.get_by_role("button", name="Publish this version").click(timeout=SLOW_MS)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Questionnaire versions", timeout=SLOW_MS
    )
    expect(page.locator("table")).to_contain_text("Periodic log review no longer counts")
    assert Questionnaire.current().version == "2026.4"

    # The next new assessment uses it.
    page.get_by_role("link", name="Assessments").click()
    page.get_by_role("link", name="New assessment").click()
    page.get_by_label("Workflow name").fill("Next one")
    page.get_by_role("button", name="Create and start").click()
    page.wait_for_url(re.compile(r"/step/1/$"))
    assert Assessment.objects.get(name="Next one").questionnaire.version == "2026.4"


def test_a_reviewer_gets_403_on_every_studio_page(signed_in_page, published_questionnaire):
    page = signed_in_page
    expect(page.get_by_role("link", name="Questionnaires")).to_have_count(0)
    v = published_questionnaire.version
    for path in [
        "/questionnaires/",
        f"/questionnaires/{v}/",
        f"/questionnaires/{v}/changes/",
        f"/questionnaires/{v}/publish/",
        f"/questionnaires/{v}/questions/monitoring/weights/",
        f"/questionnaires/{v}/rules/new/",
        f"/questionnaires/{v}/rules/approval-chain-unclear/",
        f"/questionnaires/{v}/questions/input_isolation/follow-up/",
    ]:
        response = page.goto(path)
        assert response.status == 403, path


def test_the_studio_pages_have_no_serious_accessibility_violation(admin_page, make_assessment):
    page = admin_page
    make_assessment(name="Watched", answers=None)
    draft = start_draft(page)
    v = draft.version
    failures = []
    pages = [
        ("/questionnaires/", "the versions page"),
        (f"/questionnaires/{v}/", "a draft's page"),
        (f"/questionnaires/{v}/questions/monitoring/weights/", "the weight table"),
        (f"/questionnaires/{v}/rules/approval-chain-unclear/", "the rule builder"),
        (f"/questionnaires/{v}/questions/input_isolation/follow-up/", "the follow-up builder"),
        (f"/questionnaires/{v}/changes/", "the changes page"),
        (f"/questionnaires/{v}/publish/", "the publish page"),
    ]
    for path, what in pages:
        page.goto(path)
        try:
            assert_accessible(page, what)
        except AssertionError as failure:
            failures.append(str(failure))
    # With errors shown beside the fields.
    page.goto(f"/questionnaires/{v}/publish/")
    page.get_by_role("button", name="Publish this version").click()
    try:
        assert_accessible(page, "the publish page with errors")
    except AssertionError as failure:
        failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


def test_the_bank_has_an_index_and_a_search_that_work_from_the_keyboard_and_on_a_phone(
    admin_page, published_questionnaire
):
    page = admin_page
    page.goto(f"/questionnaires/{published_questionnaire.version}/")
    index = page.get_by_role("navigation", name="On this page")
    expect(index.get_by_role("link", name="Rules")).to_be_visible()
    index.get_by_role("link", name=re.compile("^Identity and credentials")).click()
    expect(page).to_have_url(re.compile("#section-credentials$"))

    search = page.get_by_role("searchbox", name="Search this version")
    search.fill("kill switch")
    search.press("Enter")
    expect(page.locator("#search-summary")).to_contain_text(re.compile(r"\d+ matches"))
    expect(page.locator("#question-kill_switch")).to_be_visible()
    expect(page.locator("#question-monitoring")).to_have_count(0)
    assert_accessible(page, "the bank filtered by a search")

    page.set_viewport_size({"width": 390, "height": 844})
    search = page.get_by_role("searchbox", name="Search this version")
    search.fill("zebra")
    search.press("Enter")
    expect(page.locator("#search-summary")).to_contain_text("No matches")
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width
    page.get_by_role("link", name="Show the whole bank").click()
    expect(page.locator("#question-monitoring")).to_be_visible()
