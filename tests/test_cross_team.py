"""Team boundaries on every URL of the project: a record of one team is invisible to another.

Every URL pattern the resolver knows (the pages, the studio under /questionnaires/, the API
under /api/v1/, the accounts pages and the back office) is either in COVERED, with the record
its URL takes, or in EXEMPT, with the reason it takes no record of a team; a new pattern that
is in neither fails `test_every_url_pattern_is_covered_or_exempt`.

For each covered pattern, a person from Team B who holds every role there (reviewer, approver,
auditor, questionnaire admin and team manager, so staff too) asks for Team A's draft, submitted
and approved records (or Team A itself, for its members pages) with GET and POST (and PUT on
the API): the answer is 404 where the view takes that method (405 where it refuses the method
before any lookup), exactly what a record that does not exist gets, never shows the record's
text, and nothing stored changes. The back office answers a record outside its list the way it
answers a missing one (a redirect to its index, or 403), so
there the check is "the same answer as a missing record". A person holding every role in Team A
reaches each of these URLs first, so a 404 is the boundary at work, not a URL leading nowhere.
"""

import re
from dataclasses import dataclass

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from assessor.documents import pdf
from assessor.evidence.models import EvidenceFile
from assessor.grants.services import grant_issue
from assessor.models import ApiToken, ApprovedReport, Assessment, Decision, ExportRecord
from assessor.notify.models import WebhookEndpoint
from assessor.notify.signing import secret_new
from assessor.register.services import assessment_agent_set
from assessor.review import services as review
from assessor.teams.membership import member_add
from tests.builders import (
    MISSING,
    SAFEST,
    api_client,
    make_agent,
    make_assessment,
    make_boardpack,
    make_evidence,
    make_token,
    make_user,
    snapshot,
    sweep_post_data,
    without_csrf_token,
)

pytestmark = pytest.mark.django_db

ALL_ROLES = ("reviewer", "approver", "auditor", "admin", "manager")
SECRET_NOTE = "Break-glass key kept in vault path ops/zebra-17"
NAME = "Secret rotation"


@dataclass(frozen=True)
class Target:
    """How to fill a covered pattern: which record it takes, and how the client speaks."""

    record: str  # "assessment", "decision", "export", "pdf", "token", "history", "site",
    # "agent", "identity", "team" (a team's page, for its managers), "member" (a member of a
    # team, on its members page), "webhook" (a team's webhook endpoint), "grant" (an autonomy
    # grant of Team A's approved record), "evidence" (a file of evidence of a record),
    # "boardpack" (a board pack of Team A)
    api: bool = False  # a bearer token instead of the session
    admin: bool = False  # the back office: "the same answer as a missing record"


RECORD = Target("assessment")
API = Target("assessment", api=True)


def admin_routes(model: str, record: str) -> dict[str, Target]:
    return {
        f"admin/assessor/{model}/<path:object_id>/{view}": Target(record, admin=True)
        for view in ("", "change/", "delete/", "history/")
    }


COVERED = {
    # the pages: every URL with an assessment in it
    "assessments/<int:pk>/": RECORD,
    "assessments/<int:pk>/step/<int:step>/": RECORD,
    "assessments/<int:pk>/step/<int:step>/preview/": RECORD,
    "assessments/<int:pk>/report/": RECORD,
    "assessments/<int:pk>/report.pdf": RECORD,
    "assessments/<int:pk>/export.json": RECORD,
    "assessments/<int:pk>/history/": RECORD,
    "assessments/<int:pk>/submit/": RECORD,
    "assessments/<int:pk>/approve/": RECORD,
    "assessments/<int:pk>/return/": RECORD,
    "assessments/<int:pk>/reassess/": RECORD,
    "assessments/<int:pk>/review-request/": RECORD,
    "assessments/<int:pk>/compare/<int:other>/": RECORD,
    # a record's autonomy grant (tests/grants/)
    "assessments/<int:pk>/grant/": RECORD,
    "assessments/<int:pk>/grant/issue/": RECORD,
    "assessments/<int:pk>/grant/revoke/": RECORD,
    "api/v1/grants/<int:pk>/": Target("grant", api=True),
    # file evidence: a record's evidence page (upload), one file's download and delete
    "assessments/<int:pk>/evidence/": RECORD,
    "assessments/<int:pk>/evidence/<int:evidence>/": Target("evidence"),
    "assessments/<int:pk>/evidence/<int:evidence>/delete/": Target("evidence"),
    # the API
    "api/v1/assessments/<int:pk>/": API,
    "api/v1/assessments/<int:pk>/answers/": API,
    "api/v1/assessments/<int:pk>/answers/<int:step>/": API,
    "api/v1/assessments/<int:pk>/result/": API,
    "api/v1/assessments/<int:pk>/submit/": API,
    "api/v1/assessments/<int:pk>/approve/": API,
    "api/v1/assessments/<int:pk>/return/": API,
    "api/v1/assessments/<int:pk>/export/": API,
    "api/v1/assessments/<int:pk>/pdf/": API,
    # the agent register: a record's agent, an agent, an agent's identity
    "assessments/<int:pk>/agent/": RECORD,
    "agents/<int:pk>/": Target("agent"),
    "agents/<int:pk>/edit/": Target("agent"),
    "agents/<int:pk>/identities/new/": Target("agent"),
    "agents/<int:pk>/identities/<int:identity>/": Target("identity"),
    "agents/<int:pk>/identities/<int:identity>/delete/": Target("identity"),
    "api/v1/agents/<int:pk>/": Target("agent", api=True),
    "api/v1/agents/<int:pk>/identities/": Target("agent", api=True),
    "api/v1/agents/<int:pk>/identities/<int:identity>/": Target("identity", api=True),
    # the team members pages: Team A's members, as Team B's manager asks for them
    "teams/<int:team>/members/": Target("team"),
    "teams/<int:team>/members/<int:user>/": Target("member"),
    # another person's token (a team member's)
    "accounts/tokens/<int:pk>/revoke/": Target("token"),
    # a team's webhooks, for its managers (tests/test_webhooks.py)
    "teams/<int:team_id>/webhooks/": Target("team"),
    "teams/<int:team_id>/webhooks/<int:pk>/": Target("webhook"),
    "teams/<int:team_id>/webhooks/<int:pk>/delete/": Target("webhook"),
    "teams/<int:team_id>/webhooks/<int:pk>/test/": Target("webhook"),
    # board packs: Team A's pack (tests/boardpacks/)
    **{
        f"board-packs/<int:pk>/{page}": Target("boardpack")
        for page in ("", "status.json", "pack.pdf", "issue/", "regenerate/", "delete/")
    },
    # the back office's review records and teams
    **admin_routes("assessment", "assessment"),
    "admin/assessor/assessment/^([^/]+)/history/([^/]+)/$": Target("history", admin=True),
    "admin/r/<path:content_type_id>/<path:object_id>/": Target("site", admin=True),
    **admin_routes("decision", "decision"),
    **admin_routes("exportrecord", "export"),
    **admin_routes("approvedreport", "pdf"),
}

BANK = "the question bank is shared by every team (the studio and its back-office pages need the "
BANK += "questionnaire-admin role: tests/studio/test_studio.py, tests/studio/test_admin_tuning.py)"
NO_RECORD = "takes no record: what it shows is filtered by team (tests/test_security.py sweeps it)"
OWN = "the signed-in person's own account; nothing of a team in the URL"
EXEMPT = {
    "accounts/login/": OWN,
    "accounts/logout/": OWN,
    "accounts/password_change/": OWN,
    "accounts/password_change/done/": OWN,
    "accounts/settings/": OWN,
    "accounts/tokens/": OWN,
    "oidc/authenticate/": "single sign-on's start: no record (tests/teams/test_sso.py)",
    "oidc/callback/": "single sign-on's return: no record (tests/teams/test_sso.py)",
    "": NO_RECORD,
    "assessments/export.csv": NO_RECORD,
    "assessments/export.xlsx": NO_RECORD,
    "assessments/new/": NO_RECORD,
    "assessments/import/": NO_RECORD,
    "agents/": "the register's list: filtered by team (tests/test_register.py)",
    "agents/new/": "takes no record: the team is chosen among the person's own (test_register)",
    "api/v1/agents/": "the API's register list and create: filtered by team (test_register)",
    "board-packs/": (
        "the packs' list and the new pack form: filtered by team, a team the person may not "
        "read is a form error (tests/boardpacks/test_pages.py)"
    ),
    "portfolio/": (
        "takes no record: figures of the teams the person reads it for, a team outside them a "
        "400 (tests/portfolio/test_page.py)"
    ),
    "api/v1/portfolio/": "the portfolio's figures: as the page (tests/portfolio/test_api.py)",
    "teams/": "takes no record: lists the teams the person manages (tests/test_team_members.py)",
    "audit/records/": (
        "takes no record: checks only the records of the teams where the person is an auditor "
        "(tests/records/test_record_chain.py)"
    ),
    "api/v1/assessments/": "the API's list and create: filtered by team (tests/api/test_api.py)",
    "api/v1/questionnaire/": BANK,
    "api/v1/schema/": "the API's description: no record",
    "api/v1/docs/": "the API's description: no record",
    "api/v1/": "the API's JSON 404 for any other address",
    "api/v1/grants/": "the API's grants list: filtered by team (tests/grants/test_grants_api.py)",
    "api/v1/grants/bundle": "the OPA bundle: only the token holder's teams (tests/grants/)",
    "api/v1/grants/verify": (
        "takes a token, not a record: says only what the signed token itself carries and "
        "whether it is revoked, which the public revocation list says too"
    ),
    ".well-known/jwks.json": "public keys: public by design, no record",
    ".well-known/autonomy-grants/revoked.json": (
        "public revocation list: a random jti and a time per revoked grant, no record"
    ),
    **{
        f"questionnaires/{route}": BANK
        for route in (
            "",
            "new-draft/",
            "<str:version>/",
            "<str:version>/changes/",
            "<str:version>/publish/",
            "<str:version>/thresholds/",
            "<str:version>/sections/<slug:key>/",
            "<str:version>/dimensions/<slug:key>/",
            "<str:version>/questions/<slug:key>/",
            "<str:version>/questions/<slug:key>/weights/",
            "<str:version>/questions/<slug:key>/weights/preview.json",
            "<str:version>/questions/<slug:key>/follow-up/",
            "<str:version>/rules/new/",
            "<str:version>/rules/<slug:key>/",
            "<str:version>/rules/<slug:key>/delete/",
            "<str:version>/conditions/<slug:key>/",
        )
    },
    # the back office's own pages
    "admin/": "the back office's index: lists models, no record",
    "admin/login/": OWN,
    "admin/logout/": OWN,
    "admin/password_change/": OWN,
    "admin/password_change/done/": OWN,
    "admin/autocomplete/": "autocomplete over the bank and people, filtered by each model admin",
    "admin/jsi18n/": "the back office's translations for its scripts",
    "admin/^(?P<app_label>auth|axes|django_q|assessor)/$": "an app's index: lists models only",
    "admin/(?P<url>.*)$": "the back office's 404 for any other address",
    "admin/auth/user/<id>/password/": "people belong to no one team; only superusers edit them",
    **{
        f"admin/assessor/{model}/{page}": reason
        for model in ("assessment", "decision", "exportrecord", "approvedreport")
        for page, reason in (
            ("", "a list filtered by team (tests/teams/test_roles_per_team.py)"),
            ("add/", "review records are read only in the back office: no record in the URL"),
        )
    },
}
# Models of the back office whose pages take no record of a team, with the reason.
EXEMPT_ADMIN_MODELS = {
    "auth/group": "Django's groups: not used for access (roles are per team)",
    "assessor/team": (
        "teams and their members: superusers, and a team's managers for that team only; staff "
        "with Django's team permissions get 403 there (tests/test_security.py)"
    ),
    "assessor/historicalmembership": (
        "the membership audit trail: superusers, and a team's managers for that team's entries"
    ),
    "auth/user": "people belong to no one team (a person may hold roles in several)",
    "axes/accessattempt": "sign-in failures: of an account name and an address, no team",
    "axes/accesslog": "sign-ins: of an account name and an address, no team",
    "axes/accessfailurelog": "sign-in failures: of an account name and an address, no team",
    "assessor/frameworkreference": BANK,
    **{
        f"django_q/{model}": "the task queue's own rows (jobs, schedules): superusers only"
        for model in ("failure", "success", "ormq", "schedule")
    },
    **{
        f"assessor/{prefix}{model}": BANK
        for prefix in ("", "historical")
        for model in (
            "questionnaire",
            "section",
            "dimension",
            "question",
            "choice",
            "choiceweight",
            "rule",
            "threshold",
            "ownershipcondition",
        )
    },
}


def every_route() -> set[str]:
    """The full route of every URL pattern of the project's URLconf."""
    routes = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                routes.add(prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    return routes


def admin_model(route: str) -> str | None:
    """ "app/model" of a back-office model page's route, else None."""
    match = re.match(r"admin/(\w+)/(\w+)/", route)
    return f"{match[1]}/{match[2]}" if match else None


def test_every_url_pattern_is_covered_or_exempt():
    routes = every_route()
    unclassified = {
        route
        for route in routes - set(COVERED) - set(EXEMPT)
        if admin_model(route) not in EXEMPT_ADMIN_MODELS
    }
    assert not unclassified, (
        "new URL patterns: add each to COVERED (it takes a record of a team) or to EXEMPT "
        f"with the reason it takes none: {sorted(unclassified)}"
    )
    stale = (set(COVERED) | set(EXEMPT)) - routes
    assert not stale, f"no longer routed: {sorted(stale)}"
    assert not set(COVERED) & set(EXEMPT)
    exempt_models = {admin_model(route) for route in routes} & set(EXEMPT_ADMIN_MODELS)
    assert exempt_models == set(EXEMPT_ADMIN_MODELS), "an exempt model is no longer registered"


# --- the two teams and Team A's records ------------------------------------------------------


@pytest.fixture
def stub_pdf(monkeypatch):
    """The sweep tests access, not rendering: a PDF is a few fixed bytes here."""
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF-1.4 stub")


@pytest.fixture
def insider(db):
    return make_user("insider", team="Team A", roles=ALL_ROLES)


@pytest.fixture
def stranger(db):
    """Every role in Team B, none in Team A; staff through the questionnaire-admin role."""
    user = make_user("stranger", team="Team B", roles=ALL_ROLES)
    user.refresh_from_db()
    assert user.is_staff
    return user


@pytest.fixture
def secret(stub_pdf, questionnaire, insider, stranger, evidence_store):
    """Team A's records: a draft, a submitted one and an approved one, with telling text, each
    exported once (so the back office has their export records); and a record of Team B."""
    signer = make_user("signer", team="Team A", roles=("approver",))  # four eyes
    records = []
    exporter = Client()
    exporter.force_login(insider)
    for status in ("draft", "submitted", "approved"):
        record = make_assessment(insider, answers=SAFEST, notes={"kill_switch": SECRET_NOTE})
        make_evidence(record, insider, question_key="kill_switch", content=SECRET_NOTE.encode())
        if status != "draft":
            review.assessment_submit(assessment=record, user=insider, comment=SECRET_NOTE)
        if status == "approved":
            review.assessment_approve(assessment=record, user=signer)
        assert exporter.get(reverse("export_json", args=[record.pk])).status_code == 200
        records.append(record)
    make_assessment(stranger, answers=SAFEST, name="Team B's own")
    return records


def rows_of(model, records) -> list[list[int]]:
    return [
        [pk] for pk in model.objects.filter(assessment__in=records).values_list("pk", flat=True)
    ]


def team_a_urls(route: str, target: Target, records, insider) -> list[tuple[str, str, int]]:
    """For each of Team A's objects the route takes: its URL, the same URL with an object that
    does not exist (the content type of the view-on-site shortcut stays what it is), and the
    record whose version a POST sends."""
    # the second record of compare's pair is Team A's draft
    pks = [[record.pk, records[0].pk] for record in records]
    if target.record in ("team", "member", "webhook"):
        # each side manages its own team; Team A has an endpoint
        member_add(team_name="Team A", username=insider.username, role="manager")
        member_add(team_name="Team B", username="stranger", role="manager")
        team = records[0].team
        endpoint = WebhookEndpoint.objects.create(
            team=team,
            name="SIEM",
            url="https://93.184.215.14/hook",
            event_types=["assessment.approved"],
            secret=secret_new(),
        )
        second = {"team": [], "member": [insider.pk], "webhook": [endpoint.pk]}[target.record]
        values = [team.pk, *second]
        return [(fill(route, values), fill(route, [MISSING] * len(values)), records[0].pk)]
    if target.record == "boardpack":
        pack = make_boardpack(insider, [records[0].team], title=NAME)
        return [(fill(route, [pack.pk]), fill(route, [MISSING]), records[0].pk)]
    if target.record == "token":
        make_token(insider, name="insider's script")
        pks = [[ApiToken.objects.get(user=insider).pk]]
    elif target.record in ("decision", "export", "pdf"):
        model = {"decision": Decision, "export": ExportRecord, "pdf": ApprovedReport}
        pks = rows_of(model[target.record], records)
    elif target.record == "evidence":
        pks = [
            [pk, EvidenceFile.objects.get(assessment_id=pk).pk] for pk in (r.pk for r in records)
        ]
    elif target.record in ("agent", "identity"):
        agent = make_agent(insider, name=NAME, purpose=SECRET_NOTE)
        pks = [[agent.pk, agent.identities.get().pk][: 1 if target.record == "agent" else 2]]
    elif target.record == "grant":
        # the grant an approval with an agent attached would have issued
        approved = Assessment.objects.get(pk=records[2].pk)
        agent = make_agent(insider, name=NAME, purpose=SECRET_NOTE)
        assessment_agent_set(user=insider, assessment=approved, agent=agent)
        approved.refresh_from_db()
        grant = grant_issue(assessment=approved, approver=insider, approved_at=timezone.now())
        pks = [[grant.pk]]
    elif target.record == "history":
        pks = [[pk, Assessment.history.filter(id=pk).latest().history_id] for pk, _ in pks]
    if target.record == "site":
        kind = ContentType.objects.get_for_model(Assessment).pk
        return [(fill(route, [kind, pk]), fill(route, [kind, MISSING]), pk) for pk, _ in pks]
    if target.record != "assessment":
        return [(fill(route, v), fill(route, [MISSING] * len(v)), records[0].pk) for v in pks]
    return [(fill(route, v), fill(route, [MISSING] * len(v)), v[0]) for v in pks]


def fill(route: str, values: list[int]) -> str:
    """The URL of `route` with its converters (and simple-history's two groups) taking
    `values` in order (a route with fewer leaves the rest); a step is step 1."""
    route = route.replace("^([^/]+)/history/([^/]+)/$", "<a>/history/<b>/")
    queue = iter(values)

    def one(match):
        return "1" if match[0] == "<int:step>" else str(next(queue))

    return "/" + re.sub(r"<[^>]+>", one, route)


# --- the sweep ---------------------------------------------------------------------------------


def methods(target: Target) -> tuple[str, ...]:
    return ("get", "post", "put") if target.api else ("get", "post")


def send(client, method: str, url: str, record_pk, target: Target):
    # each request on its own: no message left by the one before shows on its page
    client.cookies.pop("messages", None)
    if target.api:
        return getattr(client, method)(url, {}, format="json")
    data = sweep_post_data(Assessment.objects.get(pk=record_pk)) if method == "post" else None
    return getattr(client, method)(url, data)


def clients(target: Target, insider, stranger):
    if target.api:
        return api_client(insider), api_client(stranger)
    inside, outside = Client(), Client()
    inside.force_login(insider)
    outside.force_login(stranger)
    return inside, outside


def insider_statuses(client, urls, target) -> dict:
    """What Team A's own person gets, each request undone afterwards: the URL leads somewhere,
    and which methods the view refuses for everyone (405)."""
    statuses = {}
    for url, _, record_pk in urls:
        for method in methods(target):
            with transaction.atomic():
                response = send(client, method, url, record_pk, target)
                transaction.set_rollback(True)
            statuses[url, method] = response.status_code
            # (the back office refuses some pages to everyone: its records are read only)
            if method == "get":
                refused = (404,) if target.admin else (403, 404)
                assert response.status_code not in refused, (url, response.status_code)
    return statuses


def like_missing(response, url: str, missing_url: str) -> tuple:
    """What a response says, with its own URL written as the missing record's (a page or a
    redirect that repeats the address it was asked for tells nothing more)."""
    location = response.get("Location", "").replace(url, missing_url)
    content = response.content.replace(url.encode(), missing_url.encode())
    return location, without_csrf_token(content)


def assert_refused_like_missing(response, missing, method, urls, target, insider_status):
    url, missing_url = urls
    where = (method, url, response.status_code)
    if target.admin:
        assert response.status_code in (302, 403, 404), where
    elif insider_status == 405:  # the view refuses the method before any lookup
        assert response.status_code == 405, where
    else:
        assert response.status_code == 404, where
    assert response.status_code == missing.status_code, where
    # existence is not revealed: the pages are the same but for the CSRF token of the styled
    # 404's Sign out form, which Django masks afresh on every response
    said = like_missing(response, url, missing_url)
    assert said == like_missing(missing, missing_url, missing_url), where
    body = response.content.decode(errors="replace")
    assert NAME not in body and SECRET_NOTE not in body, where


def sweep(route, target, secret, insider, stranger):
    inside, outside = clients(target, insider, stranger)
    urls = team_a_urls(route, target, secret, insider)
    assert urls, f"{route}: Team A has no record for it"
    statuses = insider_statuses(inside, urls, target)
    before = snapshot()
    for url, missing_url, record_pk in urls:
        for method in methods(target):
            response = send(outside, method, url, record_pk, target)
            missing = send(outside, method, missing_url, record_pk, target)
            assert_refused_like_missing(
                response, missing, method, (url, missing_url), target, statuses[url, method]
            )
    assert snapshot() == before


@pytest.mark.parametrize("route", sorted(COVERED))
def test_another_team_gets_404_on_every_record_url_and_nothing_changes(
    route, secret, insider, stranger
):
    sweep(route, COVERED[route], secret, insider, stranger)
