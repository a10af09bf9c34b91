"""The browser tests: signing in, walking the wizard, the keyboard and axe-core, and the people
and records they start from."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from assessor.records import services
from assessor.review import services as review

from .people import PASSWORD, make_user

# Generous for a slow CI machine, short enough that a broken page fails fast.
TIMEOUT_MS = 10_000
AXE_BLOCKING_IMPACTS = ("serious", "critical")
STEPS = 9

# A short description of the focused element, for failure messages about keyboard focus.
_DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "<body>";
  const name = el.getAttribute("name");
  const text = (el.innerText || el.value || "").trim().slice(0, 40);
  return `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
    + `${name ? " name=" + name : ""}${el.type ? " type=" + el.type : ""}> ${text}`;
}"""


def sign_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form and land on the dashboard (or, for a questionnaire
    admin who reads no team's records, on the studio)."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(questionnaires/)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile("^(Assessments|Questionnaire versions)$")
    )


def wizard_url(assessment_pk: int, step: int) -> str:
    return f"/assessments/{assessment_pk}/step/{step}/"


def step_url_pattern(step: int) -> re.Pattern:
    return re.compile(rf"/assessments/\d+/step/{step}/(#.*)?$")


def radio(page, key: str, value: str):
    return page.locator(f'#wizard-form input[type="radio"][name="{key}"][value="{value}"]')


def checked_value(page, key: str) -> str | None:
    """The value of the checked radio of a question on the page, or None."""
    return page.evaluate(
        """key => {
          const el = document.querySelector(`input[type="radio"][name="${key}"]:checked`);
          return el ? el.value : null;
        }""",
        key,
    )


def answer_step(page, overrides: dict[str, str] | None = None, only: set[str] | None = None):
    """Check an answer for each question shown on the current step, in page order: the value in
    `overrides`, else the first (safest) choice. Follow-ups are answered when, by then, an
    earlier answer has made them visible. With `only`, other questions are left alone."""
    overrides = overrides or {}
    answered = {}
    blocks = page.locator("#wizard-form .question")
    for index in range(blocks.count()):
        block = blocks.nth(index)
        if not block.is_visible():
            continue
        key = block.get_attribute("id").removeprefix("q-")
        if only is not None and key not in only:
            continue
        value = overrides.get(key) or block.locator('input[type="radio"]').first.get_attribute(
            "value"
        )
        radio(page, key, value).check()
        answered[key] = value
    return answered


def save_and_next(page, step: int) -> None:
    page.locator('#wizard-form button[name="next"]').click()
    page.wait_for_url(step_url_pattern(step + 1))


def focus_description(page) -> str:
    return page.evaluate(_DESCRIBE_FOCUS)


def press_until_focused(page, selector: str, key: str = "Tab", limit: int = 40) -> None:
    """Press `key` until the focused element matches `selector`; fail, showing the path the
    focus took, if it never gets there (the element is not reachable by keyboard)."""
    trail = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement?.matches(s)", selector):
            return
        trail.append(focus_description(page))
    raise AssertionError(
        f"{key} never focused {selector!r} in {limit} presses; focus went:\n  " + "\n  ".join(trail)
    )


def blocking_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; its violations of serious or critical impact."""
    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in AXE_BLOCKING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"  {violation['helpUrl']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def assert_accessible(page, what: str) -> None:
    """Fail, naming every serious or critical axe-core violation, if the page has any."""
    violations = blocking_violations(page)
    assert not violations, (
        f"axe-core found {len(violations)} serious/critical violation(s) on {what} "
        f"({page.url}):\n{describe_violations(violations)}"
    )


def make_member(username: str, *roles: str, team: str = "Identity security"):
    """A user with the tests' password, holding `roles` in `team` (the browser tests' team)."""
    user = make_user(username, team=team, roles=roles)
    user.refresh_from_db()
    return user


def records_in_every_state(make_assessment, reviewer, approver, safe_answers) -> dict:
    """One record of the reviewer's team in each state the pages show: an unfinished draft, a
    finished draft, a submitted one, an approved one and its reassessed second revision."""
    half = dict(list(safe_answers.items())[:6])
    records = {
        "unfinished": make_assessment(name="Unfinished draft", answers=half),
        "finished": make_assessment(name="Finished draft", answers=safe_answers),
        "submitted": make_assessment(name="Submitted record", answers=safe_answers),
        "approved": make_assessment(name="Approved record", answers=safe_answers),
    }
    review.assessment_submit(assessment=records["submitted"], user=reviewer, comment="Ready")
    review.assessment_submit(assessment=records["approved"], user=reviewer)
    review.assessment_approve(assessment=records["approved"], user=approver, comment="OK")
    records["revision"] = services.assessment_reassess(
        assessment=records["approved"], user=reviewer
    )
    for record in records.values():
        record.refresh_from_db()
    return records
