"""axe-core on the pages a reviewer sees: no serious or critical accessibility violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.builders import STEPS, assert_accessible, make_member, radio, wizard_url

pytestmark = pytest.mark.browser


def test_the_login_page_has_no_serious_accessibility_violation(page, published_questionnaire):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_accessible(page, "the login page")

    # And with the error shown after a failed sign-in.
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".alert-danger, .invalid-feedback").first).to_be_visible()
    assert_accessible(page, "the login page with an error")


def test_the_empty_dashboard_has_no_serious_accessibility_violation(signed_in_page):
    page = signed_in_page
    page.goto("/")
    expect(page.get_by_role("heading", name="No assessments yet")).to_be_visible()
    assert_accessible(page, "the empty dashboard")


def test_the_dashboard_with_assessments_has_no_serious_accessibility_violation(
    signed_in_page, make_assessment, safe_answers
):
    page = signed_in_page
    make_assessment(name="Access review", system="SailPoint")
    make_assessment(name="Leaver deprovisioning", system="Okta", answers=safe_answers)
    make_assessment(
        name="Privilege escalation",
        answers=safe_answers | {"approval_chain": "unclear"},
    )
    make_assessment(
        name="Secret rotation",
        answers=safe_answers | {"credential_lifetime": "standing"},
    )
    page.goto("/")
    expect(page.get_by_role("row")).to_have_count(5)  # the header and four assessments
    assert_accessible(page, "the dashboard with assessments")


def test_every_wizard_step_has_no_serious_accessibility_violation(
    signed_in_page, make_assessment, safe_answers
):
    page = signed_in_page
    # Some answers saved, some rules firing, so the live panel and side list show everything.
    partial = dict(list(safe_answers.items())[:8])
    assessment = make_assessment(answers=partial | {"approval_chain": "unclear"})
    failures = []
    for step in range(1, STEPS + 1):
        page.goto(wizard_url(assessment.pk, step))
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Step {step} of {STEPS}")
        if step == 3:  # with the follow-up question shown and the live verdict refreshed
            radio(page, "input_sources", "mixed").check()
            expect(page.locator("#q-input_isolation")).to_be_visible()
        try:
            assert_accessible(page, f"wizard step {step}")
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    "changes",
    [{}, {"approval_chain": "unclear", "credential_lifetime": "standing"}],
    ids=["owner", "copilot-with-rules"],
)
def test_the_report_of_a_complete_assessment_has_no_serious_accessibility_violation(
    signed_in_page, make_assessment, safe_answers, changes
):
    page = signed_in_page
    assessment = make_assessment(
        answers=safe_answers | changes,
        system="Okta",
        business_owner="Identity team",
        description="Remove every access of a person who leaves.",
    )
    assert assessment.is_complete
    page.goto(f"/assessments/{assessment.pk}/report/")
    expect(page.locator("[data-verdict]")).to_have_attribute(
        "data-verdict", "copilot" if changes else "owner"
    )
    assert_accessible(page, "the report")


def test_the_new_assessment_form_has_no_serious_accessibility_violation(signed_in_page):
    page = signed_in_page
    page.goto("/assessments/new/")
    assert_accessible(page, "the new assessment form")
    page.get_by_role("button", name="Create and start").click()
    expect(page.locator("#id_name.is-invalid")).to_be_visible()
    assert_accessible(page, "the new assessment form with an error")


def test_the_accessibility_check_reports_a_serious_violation_when_there_is_one(
    page, published_questionnaire
):
    """Guards the checks above against passing vacuously (axe not injected, nothing run)."""
    page.goto("/accounts/login/")
    page.evaluate(
        """() => {
          const main = document.getElementById("main");
          main.insertAdjacentHTML("beforeend",
            '<p id="faint">Faint text</p><input id="unlabelled" type="text">');
          // Through the CSSOM: the Content-Security-Policy forbids inline style attributes.
          const faint = document.getElementById("faint");
          faint.style.color = "#ccc";
          faint.style.background = "#fff";
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        assert_accessible(page, "the login page with planted problems")
    report = str(failure.value)
    assert "color-contrast (serious)" in report
    assert "#faint" in report
    assert "label (critical)" in report
    assert "#unlabelled" in report


def test_a_lapsed_approval_on_the_dashboard_and_its_report_has_no_serious_violation(
    signed_in_page, make_assessment, safe_answers, reviewer
):
    import datetime as dt

    from django.utils import timezone

    from assessor.oversight.cycle import review_cycle_sweep
    from assessor.review import services as review

    page = signed_in_page
    approver = make_member("approving", "approver")
    record = make_assessment(name="Secret rotation", answers=safe_answers)
    review.assessment_submit(assessment=record, user=reviewer)
    review.assessment_approve(assessment=record, user=approver)
    make_assessment(name="Half done", answers=dict(list(safe_answers.items())[:4]))
    review_cycle_sweep(now=timezone.now() + dt.timedelta(days=3 * 365))
    page.goto("/")
    expect(page.locator('[data-review-state="lapsed"]')).to_have_text("Approval lapsed")
    assert_accessible(page, "the dashboard with a lapsed approval")
    page.goto(f"/assessments/{record.pk}/report/")
    expect(page.locator("#cycle-banner")).to_contain_text("start a re-review")
    page.get_by_text("Request re-review").first.click()
    expect(page.get_by_label("Why should it be reviewed again?")).to_be_visible()
    assert_accessible(page, "the report of a lapsed approval")
