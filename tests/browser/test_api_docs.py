"""The API docs page in real Chromium: Swagger UI from the app's own files, with the
Content-Security-Policy (no inline script or style) violated nowhere."""

import pytest
from playwright.sync_api import expect

from tests.builders import assert_accessible, sign_in

pytestmark = pytest.mark.browser

# Installed before any page script runs (through the DevTools protocol, so the CSP does not
# apply to it): every violation the page reports is kept for the test to read.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


def test_the_docs_page_renders_every_operation_with_no_csp_violation(
    page, reviewer, published_questionnaire, live_server
):
    console = []
    page.on("console", lambda message: console.append(message.text))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, reviewer)
    response = page.goto("/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Autonomy Assessor API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/assessments/{id}/result/"))
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() >= 12
    # Expanding an operation renders its parameters and body (more of Swagger UI's code)
    page.locator(".opblock-summary", has_text="/api/v1/assessments/{id}/answers/{step}/").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    expect(page.locator(".parameters-container").first).to_contain_text("step")
    assert page.evaluate("window.cspViolations") == []
    assert not [text for text in console if "Content Security Policy" in text]
    assert all(url.startswith(live_server.url) for url in requests)  # nothing from a CDN


def test_a_token_is_created_shown_once_and_revoked_on_an_accessible_page(signed_in_page):
    page = signed_in_page
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    assert_accessible(page, "the tokens page, empty")
    page.get_by_label("Name").fill("GRC sync")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("The new token").input_value()
    assert token.startswith("aat_")
    expect(page.get_by_role("rowheader", name="GRC sync", exact=True)).to_be_visible()
    assert_accessible(page, "the tokens page with a new token")
    page.goto("/accounts/tokens/")
    assert token not in page.content()  # shown once
    page.get_by_role("button", name="Revoke GRC sync").click()
    expect(page.get_by_role("status").first).to_contain_text("is revoked")
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
