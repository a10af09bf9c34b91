"""The database going away: a save says "not saved, try again" (503), half a save is never kept,
and a kept connection that the server dropped is replaced before it is used."""

import json
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import Client
from django.urls import reverse

from assessor.models import Answer, Assessment
from assessor.records import selectors
from assessor.teams import tokens
from assessor.web import errors
from tests.builders import api_client, free_port, make_assessment, make_user

pytestmark = pytest.mark.django_db

STEP = 5  # "Blast radius"
BLAST = {
    "privilege_scope": "narrow",
    "identities_affected": "one",
    "reversibility": "automatic_rollback",
    "tool_chaining": "single_system",
}
CHANGED = {**BLAST, "privilege_scope": "broad", "reversibility": "irreversible"}
NOTE = "Scoped to one OU, checked by Jo."


def step_url(assessment, step=STEP):
    return reverse("wizard", args=[assessment.pk, step])


def state(assessment):
    """Everything a save writes: the answers, the summary, the version and the audit trail."""
    fresh = Assessment.objects.get(pk=assessment.pk)
    return {
        "answers": sorted(
            Answer.objects.filter(assessment=assessment).values_list(
                "question_key", "choice_key", "note"
            )
        ),
        "summary": (fresh.version, fresh.answered_core, fresh.verdict, fresh.updated_at),
        "history": (
            Assessment.history.filter(id=assessment.pk).count(),
            Answer.history.filter(assessment_id=assessment.pk).count(),
        ),
    }


def checked(html, key, value):
    return re.search(rf'name="{key}" value="{value}"[^>]*checked', html) is not None


@pytest.fixture
def assessment(questionnaire, owner):
    return make_assessment(owner)


@pytest.mark.parametrize(
    ("before", "posted", "failing"),
    [
        ({}, BLAST, "bulk_create"),  # new answers: the version and its history already written
        (BLAST, CHANGED, "bulk_update"),  # changed answers: the same, then the update fails
    ],
)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_mid_save_says_not_saved_and_keeps_the_form(
    owner_client, owner, questionnaire, before, posted, failing, error
):
    assessment = make_assessment(owner, answers=before)
    untouched = state(assessment)
    form = {
        **posted,
        "privilege_scope-note": NOTE,
        "version": assessment.version,
        "next": "1",
    }
    # The answers are written last, after the version claim and the history rows: a failure
    # there shows whether the earlier writes of the same save were rolled back with it.
    with mock.patch.object(
        Answer.objects, failing, side_effect=error("server closed the connection unexpectedly")
    ):
        response = owner_client.post(step_url(assessment), form)

    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "Not saved, try again" in html
    assert "Blast radius" in html
    assert all(checked(html, key, value) for key, value in posted.items())
    assert NOTE in html
    # the form carries the version it was opened at, so the same click saves it next time
    assert f'name="version" value="{assessment.version}"' in html
    assert state(assessment) == untouched  # nothing half-written, not even the history

    again = owner_client.post(step_url(assessment), form)
    assert again.status_code == 302
    assert again["Location"] == step_url(assessment, STEP + 1)
    saved = dict(
        Answer.objects.filter(assessment=assessment).values_list("question_key", "choice_key")
    )
    assert saved == posted


@contextmanager
def answers_failing(error: Exception):
    """The step's read of its saved answers raises `error`: a page reads them as plain values
    (answers_shown), a save as rows (answers_of)."""
    with (
        mock.patch.object(selectors, "answers_of", side_effect=error),
        mock.patch.object(selectors, "answers_shown", side_effect=error),
    ):
        yield


def test_an_unavailable_database_elsewhere_is_a_503_not_a_500(owner, assessment):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    down = OperationalError("connection to server failed: Connection refused")
    with answers_failing(down):
        page = client.get(step_url(assessment))
        post = client.post(step_url(assessment), {**BLAST, "version": 1, "next": "1"})
    assert page.status_code == 503 and post.status_code == 503
    assert page["Retry-After"] and post["Retry-After"]
    assert "Try again in a moment" in page.content.decode()
    assert "Not saved, try again" in post.content.decode()
    assert "nothing was saved" in post.content.decode()
    assert Answer.objects.filter(assessment=assessment).count() == 0


def test_any_other_error_is_still_a_500(owner, assessment):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    with answers_failing(RuntimeError("a bug")):
        response = client.get(step_url(assessment))
    assert response.status_code == 500
    assert "Not saved" not in response.content.decode()


SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Cache-Control",
)
# A request made by a fresh process whose database is a port where nothing listens: the
# database down from the first query, as after a crash, not an error planted in one function.
DOWN = """
import json, sys, django
django.setup()
from django.test import Client
client = Client(raise_request_exception=False, HTTP_HOST="127.0.0.1")
out = []
for method, path in json.loads(sys.argv[1]):
    body = {} if method == "get" else {"data": "{}", "content_type": "application/json"}
    r = getattr(client, method)(path, **body, HTTP_AUTHORIZATION="Bearer aa_not-a-real-token")
    out.append({"status": r.status_code, "headers": dict(r.headers), "body": r.content.decode()})
print(json.dumps(out))
"""
API_CALLS = [
    ("get", "/api/v1/assessments/"),
    ("get", "/api/v1/assessments/1/"),
    ("post", "/api/v1/assessments/"),
    ("put", "/api/v1/assessments/1/answers/1/"),
    ("get", "/api/v1/questionnaire/"),
]


def with_database_down(calls) -> list[dict]:
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://nobody:nothing@127.0.0.1:{free_port()}/none",
        "PYTHONPATH": str(root),
    }
    done = subprocess.run(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", DOWN, json.dumps(calls)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def same(value: str | None, usual: str) -> bool:
    """Equal headers; a policy's directives in any order (django-csp joins a set)."""
    return value is not None and sorted(value.split("; ")) == sorted(usual.split("; "))


def test_with_the_database_down_the_api_answers_a_json_503_with_its_usual_headers(questionnaire):
    usual = api_client(make_user("alice")).get("/api/v1/assessments/")
    assert usual.status_code == 200
    for (method, path), answer in zip(API_CALLS, with_database_down(API_CALLS), strict=True):
        assert answer["status"] == 503, (method, path, answer["body"][:200])
        assert answer["headers"]["Content-Type"] == "application/json", path
        assert "database did not answer" in json.loads(answer["body"])["detail"]
        assert answer["headers"]["Retry-After"]
        for header in SECURITY_HEADERS:
            assert same(answer["headers"].get(header), usual[header]), (path, header)


def test_a_database_error_in_the_api_is_a_json_503_and_pages_keep_their_html(owner, assessment, rf):
    client = Client(raise_request_exception=False)
    down = OperationalError("connection to server failed: Connection refused")
    with mock.patch.object(tokens, "token_check", side_effect=down):
        answer = client.get("/api/v1/assessments/", HTTP_AUTHORIZATION="Bearer aa_x")
    assert answer.status_code == 503 and answer["Content-Type"] == "application/json"
    assert answer["Cache-Control"] == "private, no-store" and answer["Retry-After"]
    # and the pages keep their HTML page
    client.force_login(owner)
    with answers_failing(down):
        page = client.get(step_url(assessment))
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html")
    try:  # outside the API's views (a middleware), the project's handler500 answers JSON too
        raise down
    except OperationalError:
        answer = errors.server_error(rf.get("/api/v1/assessments/"))
    assert answer.status_code == 503 and answer["Content-Type"] == "application/json"


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_dropped_is_replaced_before_a_request_uses_it(questionnaire):
    """What a PostgreSQL restart does to every worker's kept connection: the next request
    reconnects instead of failing (CONN_MAX_AGE with CONN_HEALTH_CHECKS)."""
    if connection.vendor != "postgresql":
        pytest.skip("terminating a server session needs PostgreSQL")
    import psycopg

    assert Assessment.objects.count() == 0  # the kept connection is open
    victim = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [victim])
    close_old_connections()  # what Django does when the next request starts
    assert Assessment.objects.count() == 0
    assert connection.connection.info.backend_pid != victim
