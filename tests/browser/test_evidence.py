"""A reviewer attaches a screenshot from a wizard step in a real browser: the file is listed
under its question, the evidence page and the report list its hash, and the pages pass axe."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from tests.builders import PNG_BYTES, assert_accessible, wizard_url

pytestmark = pytest.mark.browser


def test_a_reviewer_attaches_a_screenshot_from_the_wizard(
    signed_in_page, make_assessment, evidence_store
):
    page = signed_in_page
    record = make_assessment()
    page.goto(wizard_url(record.pk, 1))
    question = page.locator(".question").first
    key = question.get_attribute("id").removeprefix("q-")
    question.get_by_role("link", name="Attach evidence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence files")
    assert_accessible(page, "the evidence page")
    page.get_by_label("File").set_input_files(
        {"name": "vault-config.png", "mimeType": "image/png", "buffer": PNG_BYTES}
    )
    page.get_by_label("Expires on").fill("2027-03-31")
    page.get_by_role("button", name="Attach").click()
    # back at the step, at the question, the file listed under it
    expect(page).to_have_url(re.compile(rf"{wizard_url(record.pk, 1)}#q-{key}$"))
    expect(page.locator(f'[data-evidence-for="{key}"]')).to_contain_text("vault-config.png")
    assert_accessible(page, "a wizard step with evidence attached")
    page.goto(f"/assessments/{record.pk}/report/")
    expect(page.locator("#evidence-files")).to_contain_text(hashlib.sha256(PNG_BYTES).hexdigest())
    assert_accessible(page, "the report with evidence")
