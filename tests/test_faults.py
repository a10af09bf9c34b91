"""The database going away: a save says "not saved, try again" (503), half a save is never kept,
and a kept connection that the server dropped is replaced before it is used."""

import re
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import Client
from django.urls import reverse

from assessor import selectors
from assessor.models import Answer, Assessment
from tests.builders import make_assessment

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


def test_an_unavailable_database_elsewhere_is_a_503_not_a_500(owner, assessment):
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    down = OperationalError("connection to server failed: Connection refused")
    with mock.patch.object(selectors, "answers_of", side_effect=down):
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
    with mock.patch.object(selectors, "answers_of", side_effect=RuntimeError("a bug")):
        response = client.get(step_url(assessment))
    assert response.status_code == 500
    assert "Not saved" not in response.content.decode()


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
