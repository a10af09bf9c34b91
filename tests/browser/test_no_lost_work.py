"""No lost work in the wizard: leaving a step by any link saves it first; closing the tab with
choices not saved asks first. Both need JavaScript; without it the step's buttons save."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from assessor.models import Answer
from assessor.records import services
from tests.builders import checked_value, radio, wizard_url

pytestmark = pytest.mark.browser

BLAST_STEP = 5
CHOSEN = {"privilege_scope": "narrow", "identities_affected": "one"}


def saved_answers(assessment) -> dict[str, str]:
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("question_key", "choice_key")
    )


def test_choices_are_saved_when_the_reviewer_clicks_the_navigation_bar(
    signed_in_page, make_assessment
):
    page = signed_in_page
    assessment = make_assessment()
    total = len(assessment.scoring_model().core_keys)
    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    for key, value in CHOSEN.items():
        radio(page, key, value).check()
    expect(page.locator("#live-progress")).to_contain_text(f"2 of {total} core questions")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assessments").click()
    page.wait_for_url(lambda url: urlparse(url).path == "/")
    assert saved_answers(assessment) == CHOSEN
    row = page.get_by_role("row").filter(has_text=assessment.name)
    expect(row).to_contain_text(f"2 of {total} core questions answered")

    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    assert {key: checked_value(page, key) for key in CHOSEN} == CHOSEN
    expect(page.locator("#saved-progress")).to_contain_text(f"2 of {total} core questions")


def test_a_link_away_from_a_step_whose_save_is_refused_stays_and_says_why(
    signed_in_page, make_assessment
):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    radio(page, "privilege_scope", "narrow").check()
    # Someone else saves meanwhile: this step's version is now stale.
    services.answers_save(
        assessment=assessment,
        existing={},
        submitted={"reversibility": ("automatic_rollback", "", "")},
        user=assessment.owner,
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Assessments").click()
    expect(page.locator("#stale-warning")).to_be_visible()
    assert page.url.endswith(wizard_url(assessment.pk, BLAST_STEP))
    assert checked_value(page, "privilege_scope") == "narrow"
    assert "privilege_scope" not in saved_answers(assessment)


def test_closing_the_tab_with_unsaved_choices_asks_first(signed_in_page, make_assessment):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    dialogs = []

    def answer(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.close(run_before_unload=True)  # unchanged: closes without asking
    assert dialogs == []

    page = signed_in_page.context.new_page()
    page.on("dialog", answer)
    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    radio(page, "privilege_scope", "narrow").check()
    with page.expect_event("dialog"):
        page.close(run_before_unload=True)
    assert dialogs == ["beforeunload"]
    assert not page.is_closed()
    assert checked_value(page, "privilege_scope") == "narrow"


def test_the_steps_own_buttons_leave_without_asking(signed_in_page, make_assessment):
    page = signed_in_page
    assessment = make_assessment()
    page.goto(wizard_url(assessment.pk, BLAST_STEP))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    radio(page, "privilege_scope", "narrow").check()
    page.locator('#wizard-form button[name="next"]').click()
    page.wait_for_url(re.compile(rf"/step/{BLAST_STEP + 1}/$"))
    assert dialogs == []
    assert saved_answers(assessment) == {"privilege_scope": "narrow"}
