"""Phones and dark mode: at 390 px no page a reviewer, an approver or an admin can reach scrolls
sideways; the navigation collapses; in the wizard the questions come first, with the steps
behind a compact menu at the top and the live verdict reduced to its verdict line; both colour
themes pass axe-core with no serious violation."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from assessor.dashboard.examples import EXAMPLES
from tests.builders import (
    SAFEST,
    STEPS,
    TIMEOUT_MS,
    assert_accessible,
    make_member,
    make_token,
    radio,
    records_in_every_state,
    sign_in,
    wizard_url,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# The shipped leaver example: many rules fire, so a panel that lists them all is long.
MANY_CAPS = {**SAFEST, **EXAMPLES[2]["answers"]}
# Not pages: downloads, signing out, the admin's redirect to a record's page.
SKIPPED = (
    ".pdf",
    ".json",
    ".csv",
    ".xlsx",
    "/api/v1/schema/",
    "/accounts/logout/",
    "/admin/logout/",
    "/admin/r/",
    "/static/",
)
CRAWL_TIMEOUT_MS = 60_000
WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def approver(transactional_db):
    return make_member("appr", "approver")


@pytest.fixture
def admin(transactional_db):
    return make_member("bank", "admin")


@pytest.fixture
def records(make_assessment, reviewer, approver, safe_answers):
    return records_in_every_state(make_assessment, reviewer, approver, safe_answers)


def new_page(browser, live_server, viewport, **options):
    context = browser.new_context(base_url=live_server.url, viewport=viewport, **options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def pattern(path: str) -> str:
    """One admin page per kind (a change form, a history...): every record's is alike."""
    if not path.startswith("/admin/"):
        return path
    return "/".join("*" if part.isdigit() else part for part in path.split("/"))


def crawl(page, start: list[str], origin: str) -> tuple[list[str], list[str]]:
    """Visit every page reachable by links from `start`; the pages visited and those that
    scroll sideways (with their widths)."""
    queue, seen, visited, too_wide = list(start), set(), [], []
    while queue:
        path = queue.pop(0)
        if pattern(path) in seen:
            continue
        seen.add(pattern(path))
        # generous: the back office's list of every choice weight is a large page
        response = page.goto(path, timeout=CRAWL_TIMEOUT_MS)
        assert response.status < 400 or path in start, (path, response.status)
        visited.append(path)
        scroll_width, inner_width = page.evaluate(WIDTH)
        if scroll_width > inner_width:
            too_wide.append(f"{path}: {scroll_width} px wide in a {inner_width} px window")
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlparse(href)
            if f"{url.scheme}://{url.netloc}" != origin or any(s in url.path for s in SKIPPED):
                continue
            queue.append(url.path)
    return visited, too_wide


def test_no_page_scrolls_sideways_on_a_phone(
    browser, live_server, reviewer, approver, admin, records
):
    make_token(reviewer, name="GRC sync")  # the tokens page with its table
    page, errors = new_page(browser, live_server, PHONE)
    origin = live_server.url
    _, too_wide = crawl(page, ["/accounts/login/"], origin)
    visited_by = {}
    own_pages = [
        "/",
        "/accounts/password_change/",
        "/accounts/tokens/",
        "/assessments/new/",
        "/assessments/import/",
        "/assessments/999999/report/",  # the 404 page
        *(wizard_url(records["unfinished"].pk, step) for step in range(1, STEPS + 1)),
    ]
    for user, start in ((reviewer, own_pages), (approver, ["/"]), (admin, ["/", "/admin/"])):
        page.context.clear_cookies()
        sign_in(page, user)
        visited, wide = crawl(page, start, origin)
        visited_by[user.username] = visited
        too_wide += [f"{user.username} {line}" for line in wide]
    page.context.close()
    assert not errors, errors
    assert not too_wide, "Pages wider than a 390 px phone:\n" + "\n".join(too_wide)
    # the crawl did reach the record pages and the back office
    reviewer_pages = visited_by[reviewer.username]
    for record in records.values():
        assert f"/assessments/{record.pk}/report/" in reviewer_pages
        assert f"/assessments/{record.pk}/history/" in reviewer_pages
    revision = records["revision"]
    assert f"/assessments/{revision.pk}/compare/{revision.previous_id}/" in reviewer_pages
    assert f"/assessments/{records['submitted'].pk}/report/" in visited_by[approver.username]
    assert sum(path.startswith("/admin/assessor/") for path in visited_by[admin.username]) > 10


def test_the_navigation_collapses_behind_a_menu_button_on_a_phone(
    browser, live_server, reviewer, published_questionnaire
):
    page, errors = new_page(browser, live_server, PHONE)
    sign_in(page, reviewer)
    sign_out = page.get_by_role("button", name="Sign out (rev)")
    expect(sign_out).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    sign_out.click()
    page.wait_for_url(lambda url: "/accounts/login/" in url or urlparse(url).path == "/")
    page.context.close()
    assert not errors, errors


def test_on_a_phone_the_first_question_is_on_the_first_screen(
    browser, live_server, reviewer, make_assessment
):
    assessment = make_assessment(answers=MANY_CAPS)
    page, errors = new_page(browser, live_server, PHONE)
    sign_in(page, reviewer)
    page.goto(wizard_url(assessment.pk, 3))
    menu = page.get_by_role("navigation", name="Steps of the questionnaire").bounding_box()
    title = page.get_by_role("heading", level=1).bounding_box()
    panel = page.locator("#live-verdict").bounding_box()
    first_question = page.locator("#wizard-form .question").first.bounding_box()
    assert menu["y"] < title["y"] < panel["y"] < first_question["y"]
    assert first_question["y"] < PHONE["height"], first_question
    page.context.close()
    assert not errors, errors


def test_on_a_phone_the_steps_open_from_a_compact_menu_at_the_top(
    browser, live_server, reviewer, make_assessment
):
    assessment = make_assessment(answers=MANY_CAPS)
    page, errors = new_page(browser, live_server, PHONE)
    sign_in(page, reviewer)
    page.goto(wizard_url(assessment.pk, 3))
    menu = page.get_by_role("navigation", name="Steps of the questionnaire")
    step_four = menu.get_by_role("button", name="4. Approval chain")
    expect(step_four).to_be_hidden()
    menu.get_by_text(f"Step 3 of {STEPS}").click()
    expect(step_four).to_be_visible()
    assert_accessible(page, "a wizard step on a phone, its steps menu open")
    step_four.click()
    page.wait_for_url(f"**{wizard_url(assessment.pk, 4)}")
    page.context.close()
    assert not errors, errors


def test_on_a_phone_the_live_verdict_shows_its_verdict_line_and_the_caps_on_demand(
    browser, live_server, reviewer, make_assessment
):
    assessment = make_assessment(answers=MANY_CAPS)
    page, errors = new_page(browser, live_server, PHONE)
    sign_in(page, reviewer)
    page.goto(wizard_url(assessment.pk, 3))
    panel = page.locator("#live-verdict")
    expect(panel.locator("[data-live-verdict=copilot]")).to_be_visible()
    caps = panel.get_by_text("Copilot cap:").first
    expect(caps).to_be_hidden()
    assert panel.bounding_box()["height"] < 250
    panel.locator("summary").click()
    expect(caps).to_be_visible()
    # a change of answer refreshes the panel and keeps it open
    radio(page, "data_quality", "authoritative").check()
    expect(panel).not_to_contain_text("The identity data is uneven")
    expect(caps).to_be_visible()
    page.context.close()
    assert not errors, errors


def test_on_a_desktop_the_wizard_keeps_its_three_columns_all_open(
    browser, live_server, reviewer, make_assessment
):
    assessment = make_assessment(answers=MANY_CAPS)
    page, errors = new_page(browser, live_server, DESKTOP)
    sign_in(page, reviewer)
    page.goto(wizard_url(assessment.pk, 3))
    steps = page.get_by_role("navigation", name="Steps of the questionnaire")
    expect(steps.get_by_role("button", name="4. Approval chain")).to_be_visible()
    steps.get_by_role("button", name="4. Approval chain").focus()
    expect(steps.get_by_role("button", name="4. Approval chain")).to_be_focused()
    expect(page.locator("#live-verdict").get_by_text("Copilot cap:").first).to_be_visible()
    expect(page.locator("#live-verdict summary")).to_be_hidden()
    steps_box = steps.bounding_box()
    body = page.locator("#wizard-form .question").first.bounding_box()
    live = page.locator("#live-verdict").bounding_box()
    assert steps_box["x"] + steps_box["width"] <= body["x"] < body["x"] + body["width"] <= live["x"]
    assert body["y"] < DESKTOP["height"] / 2
    page.context.close()
    assert not errors, errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_both_colour_themes_follow_the_system_and_pass_axe(
    browser, live_server, reviewer, records, scheme
):
    page, errors = new_page(
        browser, live_server, {"width": 1280, "height": 900}, color_scheme=scheme
    )
    page.goto("/accounts/login/")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == scheme
    assert_accessible(page, f"the login page ({scheme})")
    sign_in(page, reviewer)
    unfinished, finished = records["unfinished"], records["finished"]
    revision = records["revision"]
    pages = {
        "the dashboard": "/",
        "the report of a finished draft": f"/assessments/{finished.pk}/report/",
        "the report of an unfinished draft": f"/assessments/{unfinished.pk}/report/",
        "the report of an approved record": f"/assessments/{records['approved'].pk}/report/",
        "the history": f"/assessments/{finished.pk}/history/",
        "the comparison": f"/assessments/{revision.pk}/compare/{revision.previous_id}/",
        "a new assessment": "/assessments/new/",
        "the 404 page": "/assessments/999999/report/",
    }
    failures = []
    for what, path in pages.items():
        page.goto(path)
        try:
            assert_accessible(page, f"{what} ({scheme})")
        except AssertionError as failure:
            failures.append(str(failure))
    page.goto(wizard_url(unfinished.pk, 3))
    radio(page, "input_sources", "mixed").check()
    expect(page.locator("#q-input_isolation")).to_be_visible()
    try:
        assert_accessible(page, f"a wizard step ({scheme})")
    except AssertionError as failure:
        failures.append(str(failure))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.context.close()
    assert not errors, errors
    assert not failures, "\n\n".join(failures)
    # the page itself is dark in the dark theme, light in the light one
    assert background == ("rgb(33, 37, 41)" if scheme == "dark" else "rgb(255, 255, 255)")
