"""The agent register in Chromium: a reviewer adds an agent with an identity and attaches an
assessment's workflow to it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assessor.models import Agent, Assessment
from tests.builders import assert_accessible

pytestmark = pytest.mark.browser


def test_a_reviewer_registers_an_agent_with_an_identity_and_attaches_a_workflow(
    signed_in_page, make_assessment
):
    page = signed_in_page
    record = make_assessment(name="Leaver deprovisioning")
    page.get_by_role("link", name="Agents").click()
    page.wait_for_url(re.compile(r"/agents/$"))
    expect(page.get_by_text("No agent in the register yet.")).to_be_visible()
    page.get_by_role("link", name="New agent").click()

    page.get_by_label("Name").fill("Leaver bot")
    page.get_by_label("Accountable owner").select_option(label="Ada")
    page.get_by_label("Platform").fill("Copilot Studio")
    page.get_by_label("Status").select_option("active")
    page.get_by_role("button", name="Add to the register").click()
    agent = Agent.objects.get(name="Leaver bot")
    page.wait_for_url(re.compile(rf"/agents/{agent.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("Added 'Leaver bot' to the register.")

    page.get_by_role("link", name="Add identity").click()
    page.get_by_label("Kind of identity").select_option(label="Service account")
    page.get_by_label("System").fill("Okta")
    page.get_by_label("Credential type").select_option(label="API key")
    page.get_by_label("Credential lifetime").select_option(label="Up to 90 days")
    page.get_by_role("button", name="Save identity").click()
    page.wait_for_url(re.compile(rf"/agents/{agent.pk}/$"))
    identities = page.locator("#identities")
    expect(identities).to_contain_text("Service account")
    expect(identities).to_contain_text("Up to 90 days")
    assert_accessible(page, "an agent's page")

    page.goto(f"/assessments/{record.pk}/report/")
    page.get_by_role("link", name="attach to an agent").click()
    page.get_by_label("Agent").select_option(label="Leaver bot")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/assessments/{record.pk}/report/$"))
    expect(page.locator("#report-agent")).to_contain_text("run by agent Leaver bot")
    assert Assessment.objects.get(pk=record.pk).agent == agent

    page.get_by_role("link", name="Leaver bot").click()
    expect(page.locator("#workflows")).to_contain_text("Leaver deprovisioning")
    page.get_by_role("link", name="Agent register").click()
    expect(page.locator("#agents")).to_contain_text("Leaver bot")
    assert_accessible(page, "the agent register")
