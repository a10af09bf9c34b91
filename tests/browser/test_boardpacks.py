"""Board packs in Chromium: an approver asks for a pack of the last quarter, watches its
progress bar move while a worker builds it, and finds the download when it is done."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.boardpacks import tasks
from assessor.boardpacks.models import BoardPack
from tests.builders import assert_accessible, make_member, sign_in

pytestmark = pytest.mark.browser


def test_an_approver_generates_a_pack_and_watches_its_progress(page, published_questionnaire):
    approver = make_member("ava", "approver")
    sign_in(page, approver)
    page.get_by_role("link", name="Board packs").click()
    page.wait_for_url(re.compile(r"/board-packs/$"))
    expect(page.get_by_text("No board packs yet.")).to_be_visible()
    page.get_by_label("Period to").fill("2026-01-01")  # before the default start: refused
    page.get_by_label("Identity security").check()
    page.get_by_role("button", name="Generate the pack").click()
    expect(page.get_by_text("The period ends before it starts.")).to_be_visible()
    assert_accessible(page, "the board packs page with a form error")

    page.get_by_label("Period to").fill("2026-09-30")
    page.get_by_label("Period from").fill("2026-07-01")
    page.get_by_label("Title").fill("Q3 2026 board")
    page.get_by_role("button", name="Generate the pack").click()
    pack = BoardPack.objects.get()
    page.wait_for_url(re.compile(rf"/board-packs/{pack.pk}/$"))
    progress = page.get_by_role("progressbar")
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_role("status")).to_contain_text("Waiting for a worker")
    assert_accessible(page, "a pack waiting for a worker")

    assert tasks.boardpack_generate(pack.pk, str(pack.job)) == "done"  # as a worker would
    # the page's script notices and reloads: the download appears, no click needed
    download = page.get_by_role("link", name="Download the draft PDF")
    expect(download).to_be_visible(timeout=10_000)
    pack.refresh_from_db()
    expect(page.locator("#boardpack-sha")).to_have_text(pack.sha256)
    expect(page.get_by_role("button", name="Mark as issued")).to_be_visible()
    assert_accessible(page, "a generated pack")
