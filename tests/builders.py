"""The tests' one support module: builders (users, assessments and answers in a known state)
and the helpers several test modules share (URL sweeps, PDF reading, the SMTP inbox, API
clients, the browser's sign-in and axe-core). Test modules import this, never each other.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import io
import json
import re
import socket
import threading

from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from playwright.sync_api import expect
from pypdf import PdfReader
from rest_framework.test import APIClient

from assessor.dashboard.examples import SAFEST as EXAMPLE_SAFEST
from assessor.documents import exchange
from assessor.models import (
    Answer,
    ApiToken,
    ApprovedReport,
    Assessment,
    ChoiceWeight,
    Decision,
    ExportRecord,
    Membership,
    Questionnaire,
)
from assessor.records import services
from assessor.register import services as register_services
from assessor.register.models import Agent, AgentIdentity
from assessor.review import services as review
from assessor.teams import access, tokens
from assessor.teams.membership import member_add

# Every question asked at its safest choice (the shipped examples' answers): the follow-up
# that policy as code shows is answered too, since left out it would count at its riskiest.
SAFEST = dict(EXAMPLE_SAFEST)
CORE_SAFEST = {key: choice for key, choice in SAFEST.items() if key != "policy_evaluation"}

# A lower-trust workflow with several middling answers and no fatal flaw: every condition for
# ownership it misses caps at supervised, and the score takes it to copilot.
LOWER_TRUST = {
    "task_type": "provisioning",
    "environment_tier": "production",
    "task_pattern": "mostly_routine",
    "business_impact": "internal_disruption",
    "self_approval": "no_enforced",
    "trigger_defined": "documented",
    "completion_criteria": "documented",
    "data_quality": "mostly_reliable",
    "input_sources": "mixed",
    "approval_chain": "documented_manual",
    "informal_overrides": "rare_logged",
    "privilege_scope": "moderate",
    "identities_affected": "tens",
    "reversibility": "manual_rollback",
    "tool_chaining": "two_systems",
    "agent_identity": "shared_service_account",
    "credential_lifetime": "short_lived",
    "credential_scope": "role_scoped",
    "revocation": "automatic_at_task_end",
    "runtime_policy": "policy_as_code",
    "evidence_capture": "end_to_end",
    "monitoring": "periodic_review",
    "kill_switch": "yes",
    "shared_accounts": "managed",
    "legacy_iam": "some_legacy",
}

# A complete workflow at each verdict under the shipped bank: the safest answers with uneven
# data (a rule caps it at supervised), and the lower-trust workflow for copilot.
AT_VERDICT = {
    "copilot": LOWER_TRUST,
    "supervised": {**SAFEST, "data_quality": "uneven"},
    "owner": SAFEST,
}


# A plan whose least decisive changes would come first in the engine's order: the report and
# page 1 list the changes that clear rules first (scoring.changes_by_effect).
MIXED_PLAN = {
    **SAFEST,
    "completion_criteria": "none",
    "data_quality": "uneven",
    "input_sources": "mixed",
    "privilege_scope": "moderate",
    "runtime_policy": "static_roles",
    "policy_evaluation": "per_session",
    "monitoring": "periodic_review",
    "kill_switch": "untested",
    "legacy_iam": "some_legacy",
}


PASSWORD = "correct horse battery staple"


def make_user(
    username="reviewer", *, team="Team A", roles=("reviewer",), password=PASSWORD, email=""
):
    """A user with a known password, in `team` with `roles` (none: a user in no team)."""
    user = get_user_model().objects.create_user(username=username, password=password, email=email)
    for role in roles:
        member_add(team_name=team, username=username, role=role)
    return user


def make_assessment(owner, *, answers=None, notes=None, links=None, name="Secret rotation"):
    assessment = services.assessment_create(
        owner=owner,
        team=access.teams_for(owner, access.CREATE).order_by("pk").first(),  # a team they review
        name=name,
        system="Vault",
    )
    if answers:
        notes, links = notes or {}, links or {}
        submitted = {k: (v, notes.get(k, ""), links.get(k, "")) for k, v in answers.items()}
        services.answers_save(assessment=assessment, existing={}, submitted=submitted, user=owner)
    assessment.refresh_from_db()
    return assessment


def make_agent(owner, *, name="Access triage agent", team=None, identities=1, **fields):
    """An agent of the owner's first team (or `team`), with `identities` workload identities."""
    team = team or access.teams_for(owner, access.VIEW).order_by("pk").first()
    fields = {"platform": "In-house", **fields}
    agent = register_services.agent_create(user=owner, team=team, name=name, owner=owner, **fields)
    for number in range(identities):
        register_services.identity_create(
            user=owner,
            agent=agent,
            kind="workload_identity",
            system=f"Cloud {number}",
            credential_type="short_lived_token",
            credential_lifetime="ephemeral",
        )
    return agent


def make_reviewed(owner, approver, *, name="Leaver deprovisioning"):
    """A record taken through the whole review loop by the services: submitted, returned,
    one answer changed, resubmitted and approved (its PDF stored)."""
    record = make_assessment(owner, answers=SAFEST, name=name)
    review.assessment_submit(assessment=record, user=owner, comment="Ready.")
    review.assessment_return(assessment=record, user=approver, comment="Check monitoring.")
    record.refresh_from_db()
    services.answers_save(
        assessment=record,
        existing={a.question_key: a for a in Answer.objects.filter(assessment=record)},
        submitted={"monitoring": ("periodic_review", "Weekly", "")},
        user=owner,
    )
    review.assessment_submit(assessment=record, user=owner, comment="Fixed.")
    review.assessment_approve(assessment=record, user=approver, comment="Signed off.")
    record.refresh_from_db()
    return record


def changelist_data(formset, field: str, value=None) -> dict[str, str]:
    """POST data for an admin changelist's list-editable rows: every row of `formset` with
    `field` at `value`, or at its current value when `value` is None."""
    data = {
        "form-TOTAL_FORMS": str(len(formset.forms)),
        "form-INITIAL_FORMS": str(len(formset.forms)),
        "_save": "Save",
    }
    for n, form in enumerate(formset.forms):
        current = getattr(form.instance, field) if value is None else value
        data[f"form-{n}-id"] = str(form.instance.pk)
        data[f"form-{n}-{field}"] = str(current)
    return data


class SmtpInbox:
    """What a real SMTP server (aiosmtpd, on a loopback port) received: see `smtp_server` in
    tests/conftest.py. Each message keeps its envelope recipients and its parsed content."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        message.text = message.get_body(("plain",)).get_content()
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.envelope_to]


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def without_csrf_token(content: bytes) -> bytes:
    """A page without its forms' CSRF tokens, which Django masks afresh on every response
    (the styled 404's Sign out form has one): for comparing two pages that must be alike."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)


def make_token(user, *, name="script", expires_days=90) -> str:
    """A personal access token of `user`: the secret, as a client sends it."""
    return tokens.token_create(user=user, name=name, expires_days=expires_days)[1]


def api_client(user=None, *, token=None):
    """A DRF test client sending `Authorization: Bearer <token>` (a new token of `user`)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token or make_token(user)}")
    return client


# --- one record as stored, and posts that would change it ------------------------------------


def snapshot() -> dict:
    """Every row a state-changing request could touch, audit trail and sessions included."""
    return {
        "assessments": list(Assessment.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "decisions": list(Decision.objects.order_by("pk").values()),
        "approved": list(ApprovedReport.objects.order_by("pk").values_list("pk", "sha256")),
        "exports": list(ExportRecord.objects.order_by("pk").values_list("pk", "sha256")),
        "weights": list(ChoiceWeight.objects.order_by("pk").values_list("pk", "points")),
        "questionnaires": list(
            Questionnaire.objects.order_by("pk").values_list("pk", "status", "content_hash")
        ),
        "users": list(
            get_user_model().objects.order_by("pk").values_list("pk", "password", "last_login")
        ),
        "sessions": list(
            Session.objects.order_by("session_key").values_list("session_key", "session_data")
        ),
        "history": (Assessment.history.count(), Answer.history.count()),
        "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
        "agents": list(Agent.objects.order_by("pk").values()),
        "identities": list(AgentIdentity.objects.order_by("pk").values()),
        "memberships": (
            list(Membership.objects.order_by("pk").values()),
            Membership.history.count(),
        ),
    }


def record_state(assessment) -> dict:
    """One record as stored: its row, its answers (notes and links too), decisions and PDF."""
    return {
        "row": Assessment.objects.filter(pk=assessment.pk).values().get(),
        "answers": list(Answer.objects.filter(assessment=assessment).order_by("pk").values()),
        "decisions": list(Decision.objects.filter(assessment=assessment).order_by("pk").values()),
        "pdf": list(
            ApprovedReport.objects.filter(assessment=assessment).values_list("sha256", flat=True)
        ),
    }


def export_upload(assessment, **changes) -> SimpleUploadedFile:
    data = exchange.assessment_export(assessment)
    data.update(changes)
    return SimpleUploadedFile("export.json", json.dumps(data).encode(), "application/json")


def sweep_post_data(record) -> dict:
    return {
        "version": Assessment.objects.get(pk=record.pk).version,
        "task_type": "other",
        "comment": "outsider was here",
        "name": "outsider",
    }


# --- the assessor's URL patterns, for the sweeps over every URL ---------------------------------

RECORD_ROUTES = {
    "resume", "wizard", "preview", "report", "report_pdf", "export_json", "history", "submit",
    "approve", "return", "reassess", "compare", "review_request",
}  # fmt: skip
# no record in the URL
OPEN_ROUTES = {
    "dashboard", "assessment_new", "import_upload", "export_csv", "export_xlsx", "audit_records",
}  # fmt: skip
ROUTE_ARGS = {"pk", "step", "other"}
# The modules of the team records' views (assessor/urls.py assembles them).
RECORD_VIEWS = {
    f"assessor.{package}.views" for package in ("dashboard", "wizard", "documents", "review")
}
MISSING = 987654


def assessor_routes() -> dict[str, set[str]]:
    """name -> URL arguments, for every pattern the live resolver sends to the assessor app."""
    routes: dict[str, set[str]] = {}

    def walk(patterns, inside):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                module = getattr(pattern.urlconf_module, "__name__", "")
                walk(pattern.url_patterns, inside or module == "assessor.urls")
            elif inside or pattern.callback.__module__ in RECORD_VIEWS:
                assert pattern.name, f"unnamed assessor URL pattern: {pattern.pattern}"
                routes[pattern.name] = set(getattr(pattern.pattern, "converters", {}))

    walk(get_resolver().url_patterns, False)
    return routes


def route_url(name, args, pk, other=None, step=1) -> str:
    values = {"pk": pk, "other": other if other is not None else pk, "step": step}
    unknown = args - ROUTE_ARGS
    assert not unknown, f"{name} takes {unknown}: teach the sweeps how to fill it"
    return reverse(name, kwargs={arg: values[arg] for arg in args})


# --- evidence links: http and https only ------------------------------------------------------

BAD_LINKS = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "javascript://example.com/%0aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "file://localhost/etc/shadow",
    "vbscript:msgbox(1)",
    "VBScript:MsgBox(1)",
    "ftp://example.com/x",
    "//evil.example/x",
    "http://",
    "https://",
    "https:///etc/passwd",
    "not a link",
    "https://exa mple.com/",
    "https://[::1/",
]


# --- reading PDFs, and a server that records what the renderer fetches ----------------------


def read(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


class Canary:
    """An HTTP server on 127.0.0.1 that records every request it receives."""

    def __init__(self):
        self.requests = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                canary.requests.append(self.path)
                body = b"root:x:0:0:CANARY-CONTENT"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def hostile_payloads(base):
    return [
        "<img src=file:///etc/passwd>",
        f'<img src="{base}/img.png">',
        f'<link rel=attachment href="{base}/attached.txt">',
        '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
        f'<style>@import url("{base}/import.css");</style>',
        f"@import url({base}/bare-import.css);",
        f"<style>@font-face {{ font-family: x; src: url({base}/font.woff) }}</style>",
        f'<svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg-image.png"/></svg>',
        '<svg><image xlink:href="file:///etc/passwd"/></svg>',
    ]


def assert_nothing_leaked(content: bytes, canary):
    reader = read(content)
    assert canary.requests == []
    assert reader.attachments == {}
    text = text_of(reader)
    assert "CANARY-CONTENT" not in text and "root:x:0:0" not in text
    assert b"/EmbeddedFile" not in content
    return text


# --- the browser tests: signing in, walking the wizard, the keyboard and axe-core -------------

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
