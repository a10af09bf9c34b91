"""Two people acting on one record at the same moment: exactly one wins, the other is told
who got there first, and nobody sees a 500 ("database is locked" on SQLite included).

transaction=True: each request runs in its own real transaction on its own connection, as two
gunicorn workers would, so the row lock (PostgreSQL) or the write lock (SQLite, IMMEDIATE
transactions with a busy timeout) is what serialises them.
"""

import threading

import pytest
from django.test import Client
from django.urls import reverse

from assessor.models import ApprovedReport, Assessment, Decision
from assessor.review import services as review
from tests.builders import SAFEST, make_assessment, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(users, url, data) -> list[tuple[int, str]]:
    """Each user posts to `url` from their own thread, released together; (status, message
    shown on the page the post redirects to) per user."""
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    results: list = [None] * len(clients)

    def act(n, client):
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data)
            page = (
                client.get(response["Location"]).content.decode()
                if response.status_code == 302
                else ""
            )
            results[n] = (response.status_code, page)
        except Exception as error:  # noqa: BLE001 - reported below, with the thread's user
            results[n] = (500, repr(error))
        finally:
            from django.db import connection

            connection.close()

    threads = [threading.Thread(target=act, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_reviewers_submitting_at_once_submit_once(questionnaire, owner, teammate):
    record = make_assessment(owner, answers=SAFEST)
    results = at_once([owner, teammate], reverse("submit", args=[record.pk]), {"comment": "Go"})
    assert [status for status, _ in results] == [302, 302], results
    pages = [page for _, page in results]
    assert sum("Submitted for approval." in page for page in pages) == 1, pages
    assert sum("Already submitted by" in page and "Nothing changed." in page for page in pages) == 1
    assert Decision.objects.filter(assessment=record, action="submitted").count() == 1
    assert Assessment.objects.get(pk=record.pk).status == Assessment.Status.SUBMITTED


def test_two_approvers_approving_at_once_approve_once(questionnaire, owner, approver):
    second = make_user("approver2", roles=("approver",))
    record = make_assessment(owner, answers=SAFEST)
    review.assessment_submit(assessment=record, user=owner)
    results = at_once(
        [approver, second],
        reverse("approve", args=[record.pk]),
        {"comment": "OK", "confirm": "yes"},
    )
    assert [status for status, _ in results] == [302, 302], results
    pages = [page for _, page in results]
    assert sum("Approved. The signed-off PDF is stored" in page for page in pages) == 1, pages
    assert sum("Already approved by" in page and "Nothing changed." in page for page in pages) == 1
    assert Decision.objects.filter(assessment=record, action="approved").count() == 1
    assert ApprovedReport.objects.filter(assessment=record).count() == 1


def test_two_reviewers_reassessing_at_once_make_one_revision(questionnaire, owner, teammate):
    record = make_assessment(owner, answers=SAFEST)
    review.assessment_submit(assessment=record, user=owner)
    results = at_once([owner, teammate], reverse("reassess", args=[record.pk]), {})
    assert [status for status, _ in results] == [302, 302], results
    assert sum("was already created from this one" in page for _, page in results) == 1
    assert Assessment.objects.filter(previous=record).count() == 1
