"""A reviewer's journeys through the real pages, in Chromium, against the live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.models import Answer, Assessment
from tests.builders import (
    STEPS,
    answer_step,
    checked_value,
    focus_description,
    press_until_focused,
    radio,
    save_and_next,
    sign_in,
    step_url_pattern,
    wizard_url,
)

pytestmark = pytest.mark.browser


def saved_answers(assessment) -> dict[str, str]:
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("question_key", "choice_key")
    )


def test_a_reviewer_can_sign_in_and_create_an_assessment(page, reviewer, published_questionnaire):
    page.goto("/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/$"))

    sign_in(page, reviewer)
    expect(page.get_by_role("heading", name="No assessments yet")).to_be_visible()
    page.get_by_role("link", name="New assessment").click()
    page.wait_for_url(re.compile(r"/assessments/new/$"))

    # The workflow name is required: nothing is created without it.
    page.get_by_role("button", name="Create and start").click()
    expect(page.locator("#id_name")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert not Assessment.objects.exists()

    page.get_by_label("Workflow name").fill("Leaver deprovisioning")
    page.get_by_label("System concerned").fill("Okta")
    page.get_by_role("button", name="Create and start").click()
    page.wait_for_url(step_url_pattern(1))

    assessment = Assessment.objects.get()
    assert (assessment.name, assessment.system, assessment.owner) == (
        "Leaver deprovisioning",
        "Okta",
        reviewer,
    )
    assert page.url.endswith(wizard_url(assessment.pk, 1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Step 1 of 9: The workflow")
    expect(page.get_by_role("status")).to_contain_text("Created 'Leaver deprovisioning'")


def test_a_reviewer_can_answer_a_step_with_the_keyboard_only(signed_in_page, make_assessment):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, 1))

    # From the top of the page, Tab reaches the first question's radio group.
    press_until_focused(page, 'input[name="task_type"]')
    assert page.evaluate("document.activeElement.value") == "secret_rotation", focus_description(
        page
    )
    # Arrow keys move through a radio group and check what they land on.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert checked_value(page, "task_type") == "access_request_triage"

    # Tab leaves the group for the next question; Space checks the focused choice.
    press_until_focused(page, 'input[name="environment_tier"]')
    page.keyboard.press("Space")
    assert checked_value(page, "environment_tier") == "non_production"

    press_until_focused(page, 'input[name="task_pattern"]')
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert checked_value(page, "task_pattern") == "exception_heavy"

    # Shift+Tab goes back to the previous group, onto its checked choice, to change it.
    press_until_focused(page, 'input[name="environment_tier"]', key="Shift+Tab")
    assert checked_value(page, "environment_tier") == "non_production"
    assert page.evaluate("document.activeElement.value") == "non_production"
    page.keyboard.press("ArrowDown")
    assert checked_value(page, "environment_tier") == "mixed"

    assert saved_answers(assessment) == {}, "choosing an answer must not save it"
    # Enter on a radio submits the form with its default button, "Save and next".
    page.keyboard.press("Enter")
    page.wait_for_url(step_url_pattern(2))

    assert saved_answers(assessment) == {
        "task_type": "access_request_triage",
        "environment_tier": "mixed",
        "task_pattern": "exception_heavy",
    }
    assessment.refresh_from_db()
    assert assessment.answered_core == 3


def test_the_live_verdict_changes_as_answers_are_chosen_without_saving(
    signed_in_page, make_assessment, safe_answers
):
    page = signed_in_page
    approval_keys = {"approval_chain", "informal_overrides"}
    others = {key: value for key, value in safe_answers.items() if key not in approval_keys}
    assessment = make_assessment(answers=others)
    page.goto(wizard_url(assessment.pk, 4))
    expect(page.get_by_role("heading", level=1)).to_have_text("Step 4 of 9: Approval chain")
    page.evaluate("window.__sameDocument = true")

    live = page.locator("#live-verdict [data-live-verdict]")
    # Two core questions open: the panel shows the range they still allow, not a verdict.
    expect(live).to_have_attribute("data-live-verdict", "range")
    expect(page.locator("#live-verdict")).to_contain_text("Copilot to Bounded ownership so far")
    expect(page.locator("#live-verdict")).to_contain_text("2 core questions still to answer")

    with page.expect_response(re.compile(r"/step/4/preview/$")) as preview:
        radio(page, "approval_chain", "unclear").check()
    assert preview.value.ok
    expect(live).to_have_attribute("data-live-verdict", "copilot")
    expect(page.locator("#live-verdict")).to_contain_text("Copilot whatever the remaining answers")
    expect(page.locator("#live-verdict")).to_contain_text("Copilot cap:")

    radio(page, "approval_chain", "codified").check()
    expect(live).to_have_attribute("data-live-verdict", "range")
    radio(page, "informal_overrides", "common").check()
    expect(live).to_have_attribute("data-live-verdict", "copilot")
    radio(page, "informal_overrides", "none").check()
    expect(live).to_have_attribute("data-live-verdict", "owner")
    expect(page.locator("#live-verdict")).to_contain_text("No rule caps the verdict so far.")

    # All of it without leaving the page or saving anything.
    assert page.evaluate("window.__sameDocument") is True
    assert page.url.endswith(wizard_url(assessment.pk, 4))
    assert approval_keys.isdisjoint(saved_answers(assessment))


def test_a_follow_up_question_is_shown_only_when_an_earlier_answer_calls_for_it(
    signed_in_page, make_assessment
):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, 3))
    follow_up = page.locator("#q-input_isolation")

    expect(follow_up).to_be_hidden()
    radio(page, "input_sources", "internal_systems").check()
    expect(follow_up).to_be_hidden()
    radio(page, "input_sources", "mixed").check()
    expect(follow_up).to_be_visible()
    radio(page, "input_sources", "internal_systems").check()
    expect(follow_up).to_be_hidden()
    radio(page, "input_sources", "untrusted_free_text").check()
    expect(follow_up).to_be_visible()

    radio(page, "input_isolation", "filtered").check()
    save_and_next(page, 3)
    assert saved_answers(assessment) == {
        "input_sources": "untrusted_free_text",
        "input_isolation": "filtered",
    }

    # Back on the step, the saved answer keeps the follow-up open, with its answer.
    page.goto(wizard_url(assessment.pk, 3))
    expect(follow_up).to_be_visible()
    assert checked_value(page, "input_isolation") == "filtered"


@pytest.mark.parametrize(
    ("changes", "verdict"),
    [({}, "owner"), ({"credential_lifetime": "standing"}, "supervised")],
    ids=["safest-answers-owner", "standing-credentials-supervised"],
)
def test_a_reviewer_can_finish_the_questionnaire_and_read_the_verdict_in_the_report(
    signed_in_page, make_assessment, changes, verdict
):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, 1))
    chosen = {}
    for step in range(1, STEPS + 1):
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Step {step} of {STEPS}:")
        chosen |= answer_step(page, changes)
        if step < STEPS:
            expect(page.locator('#wizard-form button[name="finish"]')).to_have_count(0)
            save_and_next(page, step)
    page.locator('#wizard-form button[name="finish"]').click()
    page.wait_for_url(re.compile(rf"/assessments/{assessment.pk}/report/$"))

    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", verdict)
    assert saved_answers(assessment) == chosen
    assessment.refresh_from_db()
    assert assessment.verdict == verdict
    assert assessment.is_complete


def test_a_reviewer_can_reload_midway_and_resume_where_they_stopped(
    signed_in_page, make_assessment
):
    page = signed_in_page
    assessment = make_assessment(name="Secret rotation")
    page.goto(wizard_url(assessment.pk, 1))
    first = answer_step(page, {"task_type": "secret_rotation", "task_pattern": "mostly_routine"})
    save_and_next(page, 1)
    second = answer_step(page)
    save_and_next(page, 2)
    # Step 3 only half answered: data quality, not the input sources.
    answer_step(page, {"data_quality": "mostly_reliable"}, only={"data_quality"})
    save_and_next(page, 3)
    assert saved_answers(assessment) == first | second | {"data_quality": "mostly_reliable"}

    page.reload()
    expect(page).to_have_url(step_url_pattern(4))
    expect(page.locator("#wizard-form")).to_contain_text("7 of")
    steps = page.get_by_role("navigation", name="Steps of the questionnaire")
    expect(steps.get_by_role("button", name="1. The workflow (complete)")).to_be_visible()
    expect(steps.get_by_role("button", name="3. Data trust (incomplete)")).to_be_visible()

    page.goto("/")
    row = page.get_by_role("row").filter(has_text="Secret rotation")
    expect(row).to_contain_text("7 of 25 core questions answered")
    row.get_by_role("link", name="Continue Secret rotation").click()
    page.wait_for_url(re.compile(rf"/assessments/{assessment.pk}/step/3/#q-input_sources$"))
    assert checked_value(page, "data_quality") == "mostly_reliable"
    assert checked_value(page, "input_sources") is None

    page.reload()
    assert page.url.endswith(f"{wizard_url(assessment.pk, 3)}#q-input_sources")
    assert checked_value(page, "data_quality") == "mostly_reliable"

    # Earlier steps still show what was saved.
    steps.get_by_role("button", name="1. The workflow (complete)").click()
    page.wait_for_url(step_url_pattern(1))
    for key, value in first.items():
        assert checked_value(page, key) == value, key


def test_the_live_verdict_panel_keeps_its_verdict_when_the_session_has_ended(
    signed_in_page, make_assessment
):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, 4))
    radio(page, "approval_chain", "unclear").check()
    live = page.locator("#live-verdict [data-live-verdict]")
    expect(live).to_have_attribute("data-live-verdict", "copilot")

    # The reviewer signs out in another tab, then goes on answering in this one.
    other = page.context.new_page()
    other.goto("/")
    other.get_by_role("button", name=re.compile(r"^Sign out")).click()
    other.wait_for_url(re.compile(r"/accounts/login/$"))
    other.close()

    with page.expect_response(re.compile(r"/step/4/preview/$")) as preview:
        radio(page, "approval_chain", "codified").check()
    assert preview.value.status == 302  # to the login page
    page.wait_for_timeout(500)  # let the page's fetch handler run to its end

    assert page.locator("#live-verdict input[name=password]").count() == 0, (
        "the sign-in form was injected into the live verdict panel"
    )
    assert page.locator("h1").count() == 1
    assert live.count() == 1, "the last verdict shown should stay"
