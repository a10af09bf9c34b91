"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright's sync API,
against pytest-django's live server (a transactional test database).

Chromium is a hard requirement: `make test` installs it, so a missing binary is a failure with
instructions, never a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.builders import PASSWORD, TIMEOUT_MS, sign_in

# Playwright's sync API keeps an event loop running in this thread; without this, Django
# refuses ORM calls made from test code ("You cannot call this from an async context").
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module; each test gets its own context.

    Per module rather than per session: while Playwright's sync API is started it keeps an
    asyncio loop running in this thread, which would break any later test in the session that
    runs async code (asyncio.run, async_to_sync). Stopping it at the end of each module keeps
    that confined to the browser tests, for about half a second per module.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the browser tests need it. "
            "Install it with `sudo apt-get install chromium` (or run `make test`, which does).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies, no cache) per test, pointed at the live server.

    Any uncaught JavaScript error on any page fails the test.
    """
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    new_page = context.new_page()
    js_errors: list[str] = []
    new_page.on("pageerror", lambda error: js_errors.append(str(error)))
    yield new_page
    context.close()
    if js_errors:
        pytest.fail("JavaScript errors on the page:\n" + "\n".join(js_errors), pytrace=False)


@pytest.fixture
def published_questionnaire(transactional_db, document):
    """The shipped questionnaire, published, in the live server's database (one per test:
    the transactional database is emptied after each test)."""
    from assessor.bank.loading import questionnaire_load

    return questionnaire_load(document=document, publish=True).questionnaire


@pytest.fixture
def reviewer(transactional_db):
    """A user with a known password, reviewer in one team (so may create assessments)."""
    from django.contrib.auth.models import User

    from assessor.teams.membership import member_add

    user = User.objects.create_user(
        username="rev", email="rev@example.com", password=PASSWORD, first_name="Ada"
    )
    member_add(team_name="Identity security", username=user.username, role="reviewer")
    return user


@pytest.fixture
def signed_in_page(page, reviewer, published_questionnaire):
    sign_in(page, reviewer)
    return page


@pytest.fixture
def make_assessment(reviewer, published_questionnaire):
    """Create an assessment of the reviewer's directly in the database, with answers saved the
    way the wizard saves them (so the dashboard's summary fields are filled in too)."""
    from assessor.records import services

    def make(name: str = "Leaver deprovisioning", answers: dict[str, str] | None = None, **extra):
        team = reviewer.teams.order_by("pk").first()
        assessment = services.assessment_create(owner=reviewer, team=team, name=name, **extra)
        if answers:
            services.answers_save(
                assessment=assessment,
                existing={},
                submitted={key: (choice, "", "") for key, choice in answers.items()},
                user=reviewer,
            )
        assessment.refresh_from_db()
        return assessment

    return make
