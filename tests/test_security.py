"""Security: CSRF on every form, user text escaped wherever it is shown, only http(s) evidence
links, a PDF renderer that fetches nothing, team boundaries on every URL, locked records,
posted fields that are not in a form, and a fresh session at sign-in.

Each test is written so that it fails when the protection it names is taken away: a refused
request is always paired with the same request going through once the missing piece (token,
team, valid link) is supplied.
"""

import html.parser
import io
import json
import logging
import re
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.template import Context, Engine, engines
from django.test import Client
from django.urls import reverse

import assessor.urls
from assessor.bank import loading
from assessor.documents import exchange, pdf
from assessor.models import (
    Answer,
    ApprovedReport,
    Assessment,
    ChoiceWeight,
    Membership,
    Team,
)
from assessor.records import services
from assessor.review import services as review
from assessor.teams.membership import member_add
from tests.builders import (
    BAD_LINKS,
    OPEN_ROUTES,
    PASSWORD,
    RECORD_ROUTES,
    ROUTE_ARGS,
    SAFEST,
    assert_nothing_leaked,
    assessor_routes,
    export_upload,
    hostile_payloads,
    make_assessment,
    make_user,
    read,
    record_state,
    route_url,
    snapshot,
    text_of,
)

pytestmark = pytest.mark.django_db

CSRF_FAILURE = "CSRF verification failed"


# --- helpers ----------------------------------------------------------------------------------


def csrf_token(client) -> str:
    """The token a browser would send: from the cookie set by a page with a form."""
    client.get(reverse("login"))
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def step_of(assessment, key) -> int:
    for number, section in enumerate(assessment.document["sections"], start=1):
        if any(q["key"] == key for q in section["questions"]):
            return number
    raise AssertionError(key)


def answers_by_key(assessment) -> dict:
    return {
        a.question_key: (a.choice_key, a.note, a.evidence_url)
        for a in Answer.objects.filter(assessment=assessment)
    }


class Page(html.parser.HTMLParser):
    """A page as a browser would see it: its text, attribute values, scripts and handlers."""

    def __init__(self, content: bytes):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.attributes: list[str] = []
        self.scripts: list[str | None] = []
        self.handlers: list[tuple[str, str]] = []
        self.feed(content.decode())
        self.close()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is not None:
                self.attributes.append(value)
            if name.lower().startswith("on"):
                self.handlers.append((tag, name))
        if tag == "script":
            self.scripts.append(dict(attrs).get("src"))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    @property
    def shown(self) -> str:
        return "\n".join(self.text + self.attributes)


def assert_escaped(content: bytes, payloads: list[str]):
    """Every payload shown literally, none of it interpreted as markup."""
    page = Page(content)
    assert page.handlers == [], page.handlers
    assert all(src and src.startswith("/static/") for src in page.scripts), page.scripts
    for payload in payloads:
        assert payload in page.shown, payload
        assert payload.encode() not in content  # raw, it would be markup


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def world(questionnaire, owner, approver):
    """A complete draft, a submitted record, and a questionnaire admin with a draft bank."""
    draft = make_assessment(owner, answers=SAFEST, name="Draft record")
    submitted = make_assessment(owner, answers=SAFEST, name="Submitted record")
    review.assessment_submit(assessment=submitted, user=owner)
    qadmin = make_user("qadmin", roles=("admin",))
    bank_draft = loading.questionnaire_clone(questionnaire, version="2026.1-csrf")
    weight = ChoiceWeight.objects.filter(
        choice__question__questionnaire=bank_draft, choice__question__key="kill_switch"
    ).first()
    return SimpleNamespace(
        owner=owner,
        approver=approver,
        qadmin=qadmin,
        draft=draft,
        submitted=submitted,
        weight=weight,
    )


# --- CSRF -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    name: str
    user: str | None  # attribute of `world`, or None for an anonymous visitor
    url: object  # world -> url
    data: object  # world -> dict (a callable, so each post gets a fresh upload)
    ok: int  # the status when the token is present
    changes: bool = True  # whether the accepted request changes stored data


CSRF_POSTS = [
    Post("login", None, lambda w: reverse("login"),
         lambda w: {"username": "owner", "password": PASSWORD}, 302),
    Post("logout", "owner", lambda w: reverse("logout"), lambda w: {}, 302),
    Post("password change", "owner", lambda w: reverse("password_change"),
         lambda w: {"old_password": PASSWORD, "new_password1": "Quartz lantern 1987 meadow",
                    "new_password2": "Quartz lantern 1987 meadow"}, 302),
    Post("new assessment", "owner", lambda w: reverse("assessment_new"),
         lambda w: {"name": "Created by a forged form"}, 302),
    Post("import", "owner", lambda w: reverse("import_upload"),
         lambda w: {"file": export_upload(w.draft)}, 302),
    Post("wizard step", "owner", lambda w: reverse("wizard", args=[w.draft.pk, 5]),
         lambda w: {"version": Assessment.objects.get(pk=w.draft.pk).version,
                    "privilege_scope": "broad", "next": "1"}, 302),
    Post("preview", "owner", lambda w: reverse("preview", args=[w.draft.pk, 5]),
         lambda w: {"privilege_scope": "broad"}, 200, changes=False),
    Post("submit", "owner", lambda w: reverse("submit", args=[w.draft.pk]),
         lambda w: {"comment": "Ready"}, 302),
    Post("approve", "approver", lambda w: reverse("approve", args=[w.submitted.pk]),
         lambda w: {"comment": "Agreed", "confirm": "yes"}, 302),
    Post("return", "approver", lambda w: reverse("return", args=[w.submitted.pk]),
         lambda w: {"comment": "Evidence missing"}, 302),
    Post("reassess", "owner", lambda w: reverse("reassess", args=[w.submitted.pk]),
         lambda w: {}, 302),
    Post("admin change form", "qadmin",
         lambda w: reverse("admin:assessor_choiceweight_change", args=[w.weight.pk]),
         lambda w: {"choice": w.weight.choice_id, "dimension": w.weight.dimension_id,
                    "points": "1.50"}, 302),
]  # fmt: skip


@pytest.mark.parametrize("post", CSRF_POSTS, ids=[p.name for p in CSRF_POSTS])
def test_a_post_without_a_csrf_token_is_refused_with_403_and_changes_nothing(world, post):
    client = Client(enforce_csrf_checks=True)
    if post.user:
        client.force_login(getattr(world, post.user))
    before = snapshot()
    response = client.post(post.url(world), post.data(world))
    assert response.status_code == 403
    assert CSRF_FAILURE in response.content.decode()
    assert snapshot() == before
    # The very same request with the token goes through: the token alone made the difference.
    token = csrf_token(client)
    response = client.post(post.url(world), {**post.data(world), "csrfmiddlewaretoken": token})
    assert response.status_code == post.ok, response.content[:300]
    assert (snapshot() != before) == post.changes


def test_a_forged_token_is_refused_like_a_missing_one(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    csrf_token(client)
    before = snapshot()
    response = client.post(
        reverse("submit", args=[world.draft.pk]), {"csrfmiddlewaretoken": "x" * 64}
    )
    assert response.status_code == 403
    assert CSRF_FAILURE in response.content.decode()
    assert snapshot() == before


# --- user text is escaped everywhere ------------------------------------------------------------


def payload(field: str) -> str:
    return f"<script>alert('{field}')</script><img src=x onerror=alert(\"{field}\")> &amp; {field}"


EVIDENCE = (
    "https://evidence.example/q?a=\"><script>alert('evidence')</script>"
    "<img/src=x/onerror=alert(1)>&b='onmouseover='alert(2)"
)


@pytest.fixture
def hostile(client, owner, approver, questionnaire):
    """A record whose every free-text field is markup, entered through the real forms, taken
    through submit, return, submit, approve and reassess (so history and compare have data)."""
    fields = {f: payload(f) for f in ("name", "description", "system", "business_owner")}
    client.force_login(owner)
    response = client.post(reverse("assessment_new"), fields)
    assert response.status_code == 302, response.content[:500]
    assessment = Assessment.objects.get(owner=owner)
    services.answers_save(
        assessment=assessment,
        existing={},
        submitted={k: (v, "", "") for k, v in SAFEST.items() if step_of(assessment, k) != 8},
        user=owner,
    )
    step8 = {
        "version": Assessment.objects.get(pk=assessment.pk).version,
        "evidence_capture": "end_to_end",
        "evidence_capture-note": payload("note"),
        "monitoring": "real_time_alerting",
        "monitoring-evidence": EVIDENCE,
        "next": "1",
    }
    response = client.post(reverse("wizard", args=[assessment.pk, 8]), step8)
    assert response.status_code == 302, re.findall(
        r"invalid-feedback[^>]*>([^<]*)", response.content.decode()
    )
    comments = {f"comment {n}": payload(f"comment{n}") for n in range(1, 5)}
    client.post(reverse("submit", args=[assessment.pk]), {"comment": comments["comment 1"]})
    client.force_login(approver)
    client.post(reverse("return", args=[assessment.pk]), {"comment": comments["comment 2"]})
    client.force_login(owner)
    client.post(reverse("submit", args=[assessment.pk]), {"comment": comments["comment 3"]})
    client.force_login(approver)
    client.post(
        reverse("approve", args=[assessment.pk]),
        {"comment": comments["comment 4"], "confirm": "yes"},
    )
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.APPROVED
    client.force_login(owner)
    client.post(reverse("reassess", args=[assessment.pk]))
    revision = Assessment.objects.get(previous=assessment)
    return SimpleNamespace(
        client=client,
        record=assessment,
        revision=revision,
        fields=fields,
        note=payload("note"),
        comments=list(comments.values()),
    )


def test_user_text_is_escaped_in_the_html_report(hostile):
    response = hostile.client.get(reverse("report", args=[hostile.record.pk]))
    assert response.status_code == 200
    every = [*hostile.fields.values(), hostile.note, EVIDENCE, *hostile.comments]
    assert_escaped(response.content, every)


def test_user_text_is_escaped_on_the_dashboard(hostile):
    response = hostile.client.get(reverse("dashboard"))
    assert_escaped(response.content, [hostile.fields["name"], hostile.fields["system"]])
    # the search box echoes the query: escaped too
    response = hostile.client.get(reverse("dashboard"), {"q": hostile.fields["name"]})
    assert_escaped(response.content, [hostile.fields["name"]])


def test_user_text_is_escaped_on_the_history_page(hostile):
    response = hostile.client.get(reverse("history", args=[hostile.record.pk]))
    assert_escaped(
        response.content, [hostile.fields["name"], hostile.note, EVIDENCE, *hostile.comments]
    )


def test_user_text_is_escaped_on_the_compare_page(hostile):
    url = reverse("compare", args=[hostile.revision.pk, hostile.record.pk])
    assert_escaped(hostile.client.get(url).content, [hostile.fields["name"]])


def test_user_text_is_escaped_in_the_wizard_fields(hostile):
    response = hostile.client.get(reverse("wizard", args=[hostile.revision.pk, 8]))
    assert response.status_code == 200
    assert_escaped(response.content, [hostile.fields["name"], hostile.note, EVIDENCE])


def test_user_text_is_text_in_the_approved_pdf_and_a_fresh_one(hostile):
    stored = hostile.client.get(reverse("report_pdf", args=[hostile.record.pk])).content
    assert stored == bytes(ApprovedReport.objects.get(assessment=hostile.record).content)
    every = [*hostile.fields.values(), hostile.note, EVIDENCE, *hostile.comments]
    text = compact(text_of(read(stored)))
    for value in every:
        assert compact(value) in text, value
    fresh = hostile.client.get(reverse("report_pdf", args=[hostile.revision.pk])).content
    text = compact(text_of(read(fresh)))
    for value in [*hostile.fields.values(), hostile.note, EVIDENCE]:
        assert compact(value) in text, value


# --- evidence links: http and https only --------------------------------------------------------


@pytest.fixture
def draft_assessment(owner, questionnaire):
    return make_assessment(owner, answers=SAFEST, name="Link target")


def test_the_wizard_refuses_every_evidence_link_that_is_not_http(owner_client, draft_assessment):
    url = reverse("wizard", args=[draft_assessment.pk, 7])
    data = {"version": draft_assessment.version, "kill_switch": "yes", "next": "1"}
    before = record_state(draft_assessment)
    for link in BAD_LINKS:
        response = owner_client.post(url, {**data, "kill_switch-evidence": link})
        assert response.status_code == 200, link
        assert "Enter an http:// or https:// link." in response.content.decode(), link
        assert record_state(draft_assessment) == before, link
    # a plain https link in the same post is accepted
    good = "https://wiki.example.com/kill-switch"
    assert owner_client.post(url, {**data, "kill_switch-evidence": good}).status_code == 302
    assert answers_by_key(draft_assessment)["kill_switch"][2] == good


def test_the_import_refuses_every_evidence_link_that_is_not_http(owner_client, draft_assessment):
    before = snapshot()
    for link in BAD_LINKS:
        upload = export_upload(draft_assessment, evidence={"kill_switch": link})
        response = owner_client.post(reverse("import_upload"), {"file": upload})
        assert response.status_code == 200, link
        assert "evidence link for kill_switch is not an http:// or https:// link" in (
            response.content.decode()
        ), link
        assert snapshot() == before, link
    good = export_upload(
        draft_assessment, evidence={"kill_switch": "https://wiki.example.com/kill-switch"}
    )
    assert owner_client.post(reverse("import_upload"), {"file": good}).status_code == 302


def test_a_bad_link_stored_by_other_means_is_never_rendered_as_a_hyperlink(
    owner_client, draft_assessment
):
    answer = Answer.objects.filter(assessment=draft_assessment, question_key="kill_switch")
    for link in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "vbscript:x"):
        answer.update(evidence_url=link)
        html = owner_client.get(reverse("report", args=[draft_assessment.pk])).content.decode()
        scheme = link.split(":")[0]
        assert not re.search(rf'href="\s*{scheme}:', html, re.IGNORECASE), link
    answer.update(evidence_url="https://wiki.example.com/kill-switch")
    html = owner_client.get(reverse("report", args=[draft_assessment.pk])).content.decode()
    assert 'href="https://wiki.example.com/kill-switch"' in html


# --- the PDF renderer fetches nothing -----------------------------------------------------------


FILE_READS = [
    '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
    '<link rel="attachment" href="file:///etc/hostname">',
    '<object data="file:///etc/passwd" type="text/plain"></object>',
    '<embed src="file:///etc/passwd">',
    '<p style="background: url(file:///etc/passwd)">styled</p>',
    '<img src="https://static.assessor.invalid/static/../../../../etc/passwd">',
    '<img src="https://static.assessor.invalid/static/css/%2e%2e/%2e%2e/%2e%2e/settings.py">',
]


def hostile_record(owner, canary):
    """A submitted record with markup that fetches or attaches in every free-text field."""
    markup = hostile_payloads(canary.url) + FILE_READS
    keys = list(SAFEST)
    assessment = make_assessment(
        owner,
        answers=SAFEST,
        name=markup[2][:200],
        notes={keys[i]: value for i, value in enumerate(markup)},
        links={"monitoring": f"{canary.url}/evidence-link", "kill_switch": "file:///etc/passwd"},
    )
    Assessment.objects.filter(pk=assessment.pk).update(
        description="".join(markup), system=markup[3][:200], business_owner=markup[-1][:200]
    )
    review.assessment_submit(assessment=assessment, user=owner, comment="".join(markup))
    assessment.refresh_from_db()
    return assessment, markup


def test_hostile_text_in_every_field_puts_nothing_fetched_into_the_pdf(
    owner_client, owner, approver, questionnaire, canary
):
    assessment, markup = hostile_record(owner, canary)
    content = owner_client.get(reverse("report_pdf", args=[assessment.pk])).content
    text = compact(assert_nothing_leaked(content, canary))
    for value in markup:
        assert compact(value) in text  # shown as text, not interpreted
    # the PDF stored at approval, with the approver's hostile comment, too
    review.assessment_approve(assessment=assessment, user=approver, comment="".join(markup))
    stored = bytes(ApprovedReport.objects.get(assessment=assessment).content)
    assert_nothing_leaked(stored, canary)


def test_even_with_escaping_off_the_report_template_fetches_and_attaches_nothing(
    owner, questionnaire, canary, caplog
):
    """Defence in depth: the real report template, rendered without autoescaping, so every
    payload is live markup; the renderer's fetcher must still refuse all of it."""
    assessment, markup = hostile_record(owner, canary)
    configured = engines["django"].engine
    engine = Engine(
        dirs=configured.dirs, app_dirs=configured.app_dirs, libraries=configured.libraries
    )
    context = pdf.pdf_context(assessment, generated_by=owner)
    html = engine.get_template("assessor/documents/report_pdf.html").render(
        Context(context, autoescape=False)
    )
    assert markup[1] in html  # live markup, not escaped
    with caplog.at_level("WARNING", logger="assessor.pdf"):
        content = pdf.render_pdf(html)
    text = assert_nothing_leaked(content, canary)
    assert "root:x:0:0" not in text
    refused = " ".join(r.getMessage() for r in caplog.records if r.name == "assessor.pdf")
    assert canary.url in refused and "file:///etc/passwd" in refused


# --- team boundaries on every URL ----------------------------------------------------------------
# (another team's 404 on every URL that takes a record: tests/test_cross_team.py)

SECRET_NAME = "Quokka payroll deprovisioning"
SECRET_NOTE = "Break-glass key kept in vault path ops/zebra-17"


def test_every_assessor_url_pattern_is_covered_by_the_sweeps():
    routes = assessor_routes()
    declared = {pattern.name for pattern in assessor.urls.urlpatterns}
    assert set(routes) == declared, "an assessor view is routed outside assessor/urls.py"
    assert declared == RECORD_ROUTES | OPEN_ROUTES, (
        "a URL pattern was added or removed: classify it in RECORD_ROUTES or OPEN_ROUTES"
    )
    for name, args in routes.items():
        assert args <= ROUTE_ARGS, name
        assert ("pk" in args) == (name in RECORD_ROUTES), name


@pytest.fixture
def secret(owner, approver, questionnaire):
    """Team A's records: a draft, a submitted one and an approved one, with telling text."""
    records = []
    for status in ("draft", "submitted", "approved"):
        record = make_assessment(
            owner, answers=SAFEST, notes={"kill_switch": SECRET_NOTE}, name=SECRET_NAME
        )
        if status != "draft":
            review.assessment_submit(assessment=record, user=owner, comment=SECRET_NOTE)
        if status == "approved":
            review.assessment_approve(assessment=record, user=approver)
        records.append(record)
    return records


def test_pages_without_a_record_show_another_team_nothing_and_create_nothing_in_it(
    client, outsider, secret
):
    team_a = secret[0].team
    theirs = make_assessment(outsider, answers=SAFEST, name="Outsider record")
    # an auditor at home too, so the auditors' page answers, and must show none of Team A
    member_add(team_name="Team B", username="outsider", role="auditor")
    client.force_login(outsider)
    swept = set()
    for name in assessor_routes():
        if name not in OPEN_ROUTES:
            continue
        url = reverse(name)
        for response in (
            client.get(url, {"q": "Quokka"}),  # a search for it finds nothing
            client.post(url, {"name": "Mine", "team": team_a.pk, "file": export_upload(theirs)}),
        ):
            assert response.status_code in (200, 302), (name, response.status_code)
            body = response.content.decode(errors="replace")
            assert SECRET_NAME not in body and SECRET_NOTE not in body
        swept.add(name)
    assert swept == OPEN_ROUTES
    assert Assessment.objects.filter(team=team_a).count() == len(secret)
    # what the outsider did create landed in their own team, whatever team they posted
    assert set(Assessment.objects.filter(owner=outsider).values_list("team__name", flat=True)) == {
        "Team B"
    }


def test_compare_refuses_a_pair_with_one_record_of_another_team(client, outsider, secret):
    theirs = make_assessment(outsider, answers=SAFEST, name="Outsider record")
    client.force_login(outsider)
    assert client.get(reverse("compare", args=[theirs.pk, theirs.pk])).status_code == 200
    for pair in ((theirs.pk, secret[0].pk), (secret[0].pk, theirs.pk)):
        response = client.get(reverse("compare", args=pair))
        assert response.status_code == 404
        assert SECRET_NAME not in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_from_every_url(client, secret):
    before = snapshot()
    swept = set()
    for name, args in assessor_routes().items():
        url = route_url(name, args, secret[0].pk) if args else reverse(name)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("login") + "?next="), (method, url)
        swept.add(name)
    assert swept == {pattern.name for pattern in assessor.urls.urlpatterns}
    assert snapshot() == before


# --- submitted and approved records are locked ---------------------------------------------------


@pytest.fixture
def locked(request, owner, approver, questionnaire):
    record = make_assessment(
        owner,
        answers=SAFEST,
        notes={"kill_switch": "Tested quarterly."},
        links={"monitoring": "https://wiki.example.com/monitoring"},
    )
    review.assessment_submit(assessment=record, user=owner)
    if request.param == "approved":
        review.assessment_approve(assessment=record, user=approver)
    record.refresh_from_db()
    return record


LOCKED = pytest.mark.parametrize("locked", ["submitted", "approved"], indirect=True)


def riskiest_post(record, step) -> dict:
    section = record.document["sections"][step - 1]
    data = {"version": Assessment.objects.get(pk=record.pk).version, "next": "1"}
    for question in section["questions"]:
        data[question["key"]] = question["choices"][-1]["key"]
        data[f"{question['key']}-note"] = "changed after submission"
        data[f"{question['key']}-evidence"] = "https://changed.example/"
    return data


@LOCKED
def test_no_wizard_step_can_change_a_locked_record(owner_client, locked):
    before = record_state(locked)
    for step in range(1, len(locked.document["sections"]) + 1):
        url = reverse("wizard", args=[locked.pk, step])
        response = owner_client.post(url, riskiest_post(locked, step))
        assert response.status_code == 400, step
        assert "locked" in response.content.decode()
        assert owner_client.get(url).status_code == 302  # to the report, not the form
    assert record_state(locked) == before


@LOCKED
def test_the_live_preview_of_a_locked_record_saves_nothing(owner_client, locked):
    before = record_state(locked)
    for step in range(1, len(locked.document["sections"]) + 1):
        response = owner_client.post(
            reverse("preview", args=[locked.pk, step]), riskiest_post(locked, step)
        )
        assert response.status_code == 200
    assert record_state(locked) == before


@LOCKED
def test_importing_a_locked_records_export_makes_a_new_draft_and_leaves_it_alone(
    owner_client, locked
):
    before = record_state(locked)
    data = exchange.assessment_export(locked)
    data["answers"]["kill_switch"] = "no"
    data["notes"]["kill_switch"] = "rewritten by import"
    upload = SimpleUploadedFile("export.json", json.dumps(data).encode())
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 302
    imported = Assessment.objects.exclude(pk=locked.pk).get()
    assert imported.status == Assessment.Status.DRAFT and imported.previous is None
    assert answers_by_key(imported)["kill_switch"][:2] == ("no", "rewritten by import")
    assert record_state(locked) == before


@pytest.mark.parametrize(
    ("locked", "action", "who"),
    [
        ("submitted", "submit", "owner"),
        ("approved", "submit", "owner"),
        ("approved", "approve", "approver"),
        ("approved", "return", "approver"),
    ],
    indirect=["locked"],
)
def test_a_workflow_action_that_does_not_apply_changes_nothing(
    client, locked, action, who, request
):
    client.force_login(request.getfixturevalue(who))
    before = record_state(locked)
    response = client.post(
        reverse(action, args=[locked.pk]), {"comment": "again", "confirm": "yes"}
    )
    assert response.status_code == 302
    assert "Nothing changed" in client.get(response["Location"]).content.decode()
    assert record_state(locked) == before


# --- posted fields that are not in a form are ignored ---------------------------------------------

TAMPERING = {
    "status": "approved",
    "verdict": "copilot",
    "score": "0.0",
    "answered_core": "0",
    "total_core": "1",
    "revision": "9",
    "snapshot_document": "{}",
    "snapshot_result": '{"verdict": "owner"}',
    "created_at": "2001-01-01T00:00:00Z",
}


def test_the_new_assessment_form_ignores_fields_it_does_not_have(
    owner_client, owner, outsider, questionnaire
):
    other = make_assessment(outsider, name="Outsider record")
    data = {
        "name": "Leaver deprovisioning",
        "system": "Okta",
        **TAMPERING,
        "owner": outsider.pk,
        "team": other.team.pk,
        "questionnaire": questionnaire.pk + 100,
        "previous": other.pk,
        "version": "999",
        "id": other.pk,
    }
    response = owner_client.post(reverse("assessment_new"), data)
    assert response.status_code == 302
    created = Assessment.objects.get(name="Leaver deprovisioning")
    assert created.pk != other.pk
    assert (created.owner, created.team.name) == (owner, "Team A")
    assert created.status == Assessment.Status.DRAFT
    assert (created.verdict, created.score, created.version) == ("", None, 1)
    assert (created.revision, created.previous, created.questionnaire) == (1, None, questionnaire)
    assert (created.answered_core, created.total_core) == (0, 25)
    assert created.snapshot_document is None and created.snapshot_result is None
    other.refresh_from_db()
    assert other.name == "Outsider record" and other.owner == outsider


def test_a_wizard_post_ignores_fields_that_are_not_questions(
    owner_client, owner, outsider, questionnaire
):
    answers = {k: v for k, v in SAFEST.items() if k not in ("shared_accounts", "legacy_iam")}
    assessment = make_assessment(owner, answers=answers)
    other = make_assessment(outsider, name="Outsider record")
    version = assessment.version
    data = {
        "version": version,
        "shared_accounts": "none",
        "legacy_iam": "modern_api",
        **TAMPERING,
        "owner": outsider.pk,
        "team": other.team.pk,
        "previous": other.pk,
        "questionnaire": "0",
        "finish": "1",
    }
    response = owner_client.post(reverse("wizard", args=[assessment.pk, 9]), data)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert (assessment.owner, assessment.team.name) == (owner, "Team A")
    assert assessment.status == Assessment.Status.DRAFT
    assert (assessment.verdict, float(assessment.score)) == ("owner", 100.0)  # computed
    assert (assessment.answered_core, assessment.total_core) == (25, 25)
    assert (assessment.revision, assessment.previous) == (1, None)
    assert assessment.snapshot_document is None
    assert assessment.version == version + 1


def test_a_tampered_form_version_saves_nothing(owner_client, owner, questionnaire):
    assessment = make_assessment(owner, answers={"kill_switch": "yes"})
    url = reverse("wizard", args=[assessment.pk, 7])
    data = {"kill_switch": "no", "runtime_policy": "none", "next": "1"}
    current = assessment.version
    before = record_state(assessment)
    for version in (current + 1, current + 1000, current - 1, 0, -5, "1e3", "", "one", "9" * 30):
        response = owner_client.post(url, {**data, "version": version})
        assert response.status_code in (200, 400), version
        assert record_state(assessment) == before, version
    # the version the form was opened at saves
    assert owner_client.post(url, {**data, "version": current}).status_code == 302
    assert answers_by_key(assessment)["kill_switch"][0] == "no"


def test_an_import_ignores_owner_team_status_version_and_result_in_the_file(
    owner_client, owner, outsider, questionnaire
):
    source = make_assessment(owner, answers={**SAFEST, "approval_chain": "unclear"})
    other = make_assessment(outsider, name="Outsider record")
    upload = export_upload(
        source,
        status="approved",
        owner=outsider.pk,
        team=other.team.pk,
        version=999,
        revision=7,
        previous=other.pk,
        verdict="owner",
        score=100,
        result={"verdict": "owner", "score": 100, "complete": True},
    )
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 302
    imported = Assessment.objects.exclude(pk__in=[source.pk, other.pk]).get()
    assert (imported.owner, imported.team.name) == (owner, "Team A")
    assert imported.status == Assessment.Status.DRAFT
    assert (imported.version, imported.revision, imported.previous) == (1, 1, None)
    assert imported.verdict == "copilot"  # from the answers, not from the file


# --- sessions -------------------------------------------------------------------------------------


def test_signing_in_through_the_login_form_rotates_the_session_key(owner):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    client = Client(enforce_csrf_checks=True)
    # a session the visitor already had (or one an attacker planted in their browser)
    planted = store()
    planted["theme"] = "dark"
    planted.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    token = csrf_token(client)
    response = client.post(
        reverse("login"),
        {"username": "owner", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after and after != planted.session_key
    assert not store().exists(planted.session_key)  # the old key is gone on the server
    assert client.session["_auth_user_id"] == str(owner.pk)
    assert client.cookies[settings.CSRF_COOKIE_NAME].value != token  # the token rotates too
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_planted_session_key_does_not_sign_anyone_in(owner):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    planted = store()
    planted.create()
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    victim.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = planted.session_key
    response = attacker.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_signing_out_ends_the_session_on_the_server(owner):
    client = Client()
    client.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert replay.get(reverse("dashboard")).status_code == 302


def test_the_owner_and_the_outsider_share_no_team(owner, outsider):
    """The sweeps rely on the owner and the outsider sharing no team."""
    assert not Team.objects.filter(members=owner).filter(members=outsider).exists()


# --- links that hide where they lead ------------------------------------------------------------

DECEPTIVE_LINKS = [
    ("https://good.com@evil.com/", "before '@'"),
    ("https://wiki.example.com:x@evil.example/", "before '@'"),
    ("https://user:secret@wiki.example.com/page", "before '@'"),
    *[
        (f"https://wiki.example.com/{mark}gpj.exe", "invisible text-direction character")
        for mark in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
    ],
]


@pytest.mark.parametrize(("link", "reason"), DECEPTIVE_LINKS)
def test_the_wizard_refuses_links_with_user_info_or_direction_controls(
    owner_client, draft_assessment, link, reason
):
    url = reverse("wizard", args=[draft_assessment.pk, step_of(draft_assessment, "kill_switch")])
    data = {"version": draft_assessment.version, "kill_switch": "yes", "next": "1"}
    before = record_state(draft_assessment)
    response = owner_client.post(url, {**data, "kill_switch-evidence": link})
    assert response.status_code == 200
    assert reason in response.content.decode().replace("&#x27;", "'")
    assert record_state(draft_assessment) == before


@pytest.mark.parametrize(("link", "reason"), DECEPTIVE_LINKS)
def test_the_import_refuses_links_with_user_info_or_direction_controls(
    owner_client, draft_assessment, link, reason
):
    before = snapshot()
    upload = export_upload(draft_assessment, evidence={"kill_switch": link})
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 200
    page = response.content.decode().replace("&#x27;", "'")
    assert "evidence link for kill_switch:" in page and reason in page
    assert snapshot() == before


# --- responses no shared cache may keep -----------------------------------------------------------


@pytest.mark.parametrize("name", ["report", "report_pdf", "export_json", "history"])
def test_record_pages_and_files_are_private_and_not_stored(owner_client, draft_assessment, name):
    response = owner_client.get(reverse(name, args=[draft_assessment.pk]))
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


# --- accounts: no reset without mail, a throttled password change --------------------------------


@pytest.mark.parametrize(
    "url", ["/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/"]
)
def test_password_reset_pages_do_not_exist_without_a_mail_server(client, url):
    assert settings.EMAIL_HOST == ""
    assert client.get(url).status_code == 404


def change_password(client, old):
    return client.post(
        reverse("password_change"),
        {
            "old_password": old,
            "new_password1": "Quartz lantern 1987",
            "new_password2": "Quartz lantern 1987",
        },
    )


def test_wrong_old_passwords_lock_the_account_like_failed_sign_ins(client, owner):
    client.force_login(owner)
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        response = change_password(client, "wrong")
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
    assert change_password(client, "wrong").status_code == 429
    # The right old password no longer helps, and neither does signing in elsewhere.
    assert change_password(client, PASSWORD).status_code == 429
    fresh = Client()
    signin = fresh.post(reverse("login"), {"username": "owner", "password": PASSWORD})
    assert signin.status_code == 429
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_the_right_old_password_still_changes_it(client, owner):
    client.force_login(owner)
    change_password(client, "wrong")
    assert change_password(client, PASSWORD).status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Quartz lantern 1987")


# --- a production 500 is logged ------------------------------------------------------------------


def test_an_unhandled_error_is_logged_to_stderr_with_its_traceback(
    owner_client, draft_assessment, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("canary: the history could not be read")

    # The handler writes to the process's standard error; here, into a buffer to read back.
    handler = next(h for h in logging.getLogger("django.request").handlers if h.name == "console")
    assert settings.LOGGING["handlers"]["console"]["stream"] == "ext://sys.stderr"
    buffer = io.StringIO()
    monkeypatch.setattr(handler, "stream", buffer)
    monkeypatch.setattr("assessor.documents.views.history_page.history_entries", broken)
    owner_client.raise_request_exception = False
    response = owner_client.get(reverse("history", args=[draft_assessment.pk]))
    assert response.status_code == 500
    logged = buffer.getvalue()
    assert (
        f"ERROR django.request: Internal Server Error: /assessments/{draft_assessment.pk}/history/"
        in logged
    )
    assert "Traceback" in logged
    assert "RuntimeError: canary: the history could not be read" in logged


# --- smaller holes in the workflow ----------------------------------------------------------------


def test_an_import_cannot_pin_a_record_to_an_unpublished_draft_version(
    owner_client, draft_assessment, questionnaire
):
    bank_draft = loading.questionnaire_clone(questionnaire, version="2026.9-draft")
    before = snapshot()
    upload = export_upload(draft_assessment, questionnaire_version=bank_draft.version)
    response = owner_client.post(reverse("import_upload"), {"file": upload})
    assert response.status_code == 200
    assert "is a draft, not published" in response.content.decode()
    assert snapshot() == before


def test_a_record_on_a_draft_version_cannot_be_submitted_so_never_approved(
    owner_client, owner, questionnaire
):
    bank_draft = loading.questionnaire_clone(questionnaire, version="2026.9-draft")
    record = make_assessment(owner, answers=SAFEST)
    Assessment.objects.filter(pk=record.pk).update(questionnaire=bank_draft)
    before = record_state(record)
    response = owner_client.post(reverse("submit", args=[record.pk]), follow=True)
    assert "is a draft that is not published yet" in response.content.decode()
    assert record_state(record) == before


def test_reassess_runs_once_per_record(client, owner, teammate, questionnaire):
    record = make_assessment(owner, answers=SAFEST)
    review.assessment_submit(assessment=record, user=owner)
    client.force_login(owner)
    assert client.post(reverse("reassess", args=[record.pk])).status_code == 302
    client.force_login(teammate)
    response = client.post(reverse("reassess", args=[record.pk]), follow=True)
    assert "Revision 2 was already created from this one by owner" in response.content.decode()
    assert Assessment.objects.filter(previous=record).count() == 1


def test_a_nul_in_a_decision_comment_is_named_not_called_too_long(client, owner, questionnaire):
    record = make_assessment(owner, answers=SAFEST)
    client.force_login(owner)
    before = record_state(record)
    response = client.post(
        reverse("submit", args=[record.pk]), {"comment": "Ready\x00"}, follow=True
    )
    page = response.content.decode()
    assert "The comment contains a character that is not allowed." in page
    assert "too long" not in page
    assert record_state(record) == before


# --- team membership in the back office: team managers only, every change in the audit trail ---

ROLES = ("reviewer", "approver", "auditor", "team_manager")


def _team_post(team, rows) -> dict:
    """The admin's Team change form: the name and the membership rows (id, user, roles)."""
    data = {
        "name": team.name,
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data[f"memberships-{n}-team"] = str(team.pk)
        data[f"memberships-{n}-id"] = str(row.get("id", ""))
        data[f"memberships-{n}-user"] = str(row["user"])
        for role in row.get("roles", ()):
            data[f"memberships-{n}-{role}"] = "on"
        if row.get("delete"):
            data[f"memberships-{n}-DELETE"] = "on"
    return data


def _existing_rows(team) -> list[dict]:
    return [
        {"id": m.pk, "user": m.user_id, "roles": [r for r in ROLES if getattr(m, r)]}
        for m in Membership.objects.filter(team=team).order_by("pk")
    ]


@pytest.fixture
def teams(owner, outsider):
    return SimpleNamespace(a=Team.objects.get(name="Team A"), b=Team.objects.get(name="Team B"))


def test_a_staff_user_with_every_team_permission_cannot_join_a_team_or_read_it(
    client, teams, secret
):
    """Issue 23: staff status and Django's "change team" permission let a user add themselves
    to any team in the admin, then read its records."""
    intruder = get_user_model().objects.create_user("intruder", password=PASSWORD, is_staff=True)
    intruder.user_permissions.set(
        Permission.objects.filter(content_type__app_label="assessor", codename__contains="team")
        | Permission.objects.filter(codename__contains="membership")
    )
    client.force_login(intruder)
    change = reverse("admin:assessor_team_change", args=[teams.a.pk])
    assert client.get(reverse("admin:assessor_team_changelist")).status_code == 403
    assert client.get(change).status_code == 403
    rows = [*_existing_rows(teams.a), {"user": intruder.pk, "roles": ["reviewer", "auditor"]}]
    assert client.post(change, _team_post(teams.a, rows)).status_code == 403
    assert client.post(reverse("admin:assessor_team_add"), {"name": "Mine"}).status_code == 403
    assert not Membership.objects.filter(user=intruder).exists()
    for record in secret:
        assert client.get(reverse("report", args=[record.pk])).status_code == 404


def test_a_team_manager_changes_their_teams_members_and_every_change_is_recorded(
    client, teams, teammate, outsider, secret
):
    manager = make_user("manager", roles=("manager",))  # of Team A, and nothing else
    manager.refresh_from_db()
    assert manager.is_staff  # the role opens the back office
    client.force_login(manager)
    change = reverse("admin:assessor_team_change", args=[teams.a.pk])
    assert client.get(change).status_code == 200
    newcomer = make_user("newcomer", roles=())
    rows = _existing_rows(teams.a)
    for row in rows:
        row["delete"] = row["user"] == teammate.pk
    # the questionnaire admin role edits every team's bank: not a team manager's to grant
    rows.append({"user": newcomer.pk, "roles": ["auditor", "questionnaire_admin"]})
    response = client.post(change, _team_post(teams.a, rows))
    assert response.status_code == 302

    joined = Membership.objects.get(team=teams.a, user=newcomer)
    assert joined.auditor and not joined.questionnaire_admin
    assert not Membership.objects.filter(team=teams.a, user=teammate).exists()
    trail = Membership.history.filter(team_id=teams.a.pk, history_user=manager)
    assert {(h.user_id, h.history_type) for h in trail} == {(newcomer.pk, "+"), (teammate.pk, "-")}
    # the trail is in the back office, for the team's managers
    log = client.get(reverse("admin:assessor_historicalmembership_changelist"))
    assert log.status_code == 200 and "newcomer" in log.content.decode()
    assert "outsider" not in log.content.decode() and "Team B" not in log.content.decode()

    # another team: neither shown nor changed
    other = reverse("admin:assessor_team_change", args=[teams.b.pk])
    assert client.get(other).status_code in (302, 403, 404)
    rows = [*_existing_rows(teams.b), {"user": manager.pk, "roles": ["reviewer"]}]
    assert client.post(other, _team_post(teams.b, rows)).status_code in (302, 403, 404)
    assert not Membership.objects.filter(team=teams.b, user=manager).exists()
    names = client.get(reverse("admin:assessor_team_changelist")).content.decode()
    assert "Team A" in names and "Team B" not in names


def test_memberships_changed_by_command_are_in_the_audit_trail_too(teams):
    call_command("add_member", "Team B", "owner", "--role", "auditor", stdout=io.StringIO())
    entries = Membership.history.filter(team_id=teams.b.pk, user__username="owner")
    assert "+" in {entry.history_type for entry in entries}
    assert entries.latest().auditor


def test_a_staff_user_allowed_to_change_users_cannot_make_themselves_anyone(client, teams):
    """Of the same kind: Django's stock user admin let "change user" tick one's own superuser
    box, or set the break-glass superuser's password and sign in as them."""
    breakglass = get_user_model().objects.create_superuser("breakglass", password=PASSWORD)
    helpdesk = get_user_model().objects.create_user("helpdesk", password=PASSWORD, is_staff=True)
    helpdesk.user_permissions.set(Permission.objects.filter(content_type__app_label="auth"))
    client.force_login(helpdesk)
    own = reverse("admin:auth_user_change", args=[helpdesk.pk])
    assert client.get(own).status_code == 200
    everything = Permission.objects.values_list("pk", flat=True)
    response = client.post(
        own,
        {
            "username": "helpdesk",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [str(pk) for pk in everything],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    helpdesk.refresh_from_db()
    assert not helpdesk.is_superuser
    assert helpdesk.user_permissions.count() < len(everything)
    password = reverse("admin:auth_user_password_change", args=[breakglass.pk])
    form = {
        "password1": "taken-over-9h3k",
        "password2": "taken-over-9h3k",
        "set_usable_password": "true",
    }
    assert client.get(password).status_code == 403
    assert client.post(password, form).status_code == 403
    breakglass.refresh_from_db()
    assert breakglass.check_password(PASSWORD)
    client.force_login(breakglass)  # a superuser still can
    assert client.post(password, form).status_code == 302
