"""The API docs page in real Chromium: Swagger UI from the app's own files, with the
Content-Security-Policy (no inline script or style) violated nowhere."""

import pytest
from playwright.sync_api import expect

from .helpers import sign_in

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
