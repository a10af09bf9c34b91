"""Evidence past its expiry date on a current approval asks for one re-review, naming the file
and the date: the daily sweep and `manage.py review_sweep` do it, once, however often run."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from assessor.evidence.services import evidence_expiry_sweep
from assessor.oversight.models import ReviewCycle
from assessor.review import services as review
from tests.builders import SAFEST, make_assessment, make_evidence, make_user

EXPIRED = dt.date(2026, 2, 1)


def approved_with(owner, approver, *, expires_on, name="Secret rotation"):
    record = make_assessment(owner, answers=SAFEST, name=name)
    make_evidence(
        record,
        owner,
        name="vault-config.png" if expires_on == EXPIRED else "policy.pdf",
        question_key="runtime_policy",
        effective_on=dt.date(2026, 1, 1),
        expires_on=expires_on,
    )
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    return record


@pytest.mark.django_db
def test_expired_evidence_asks_one_re_review_and_the_command_shows_it(
    questionnaire, owner, approver, evidence_store, stub_pdf
):
    expired = approved_with(owner, approver, expires_on=EXPIRED)
    approved_with(owner, approver, expires_on=dt.date(2099, 1, 1), name="Still valid")
    draft = make_assessment(owner, answers=SAFEST, name="Draft")
    make_evidence(draft, owner, expires_on=EXPIRED)  # a draft has no approval to review
    out = io.StringIO()
    call_command("review_sweep", "--now", timezone.localdate().isoformat(), stdout=out)
    said = out.getvalue()
    assert "Expired evidence: 1 re-review(s) requested." in said
    assert "'vault-config.png'" in said and "expired on 2026-02-01" in said
    cycle = ReviewCycle.objects.get(assessment=expired)
    assert cycle.rereview_requested
    assert "vault-config.png" in cycle.rereview_reason and "2026-02-01" in cycle.rereview_reason
    assert ReviewCycle.objects.filter(rereview_requested_at__isnull=False).count() == 1
    # a second run asks nothing again, even after the request was answered
    ReviewCycle.objects.filter(pk=cycle.pk).update(rereview_requested_at=None, rereview_reason="")
    assert evidence_expiry_sweep(timezone.localdate()) == []
    assert not ReviewCycle.objects.get(pk=cycle.pk).rereview_requested


@pytest.mark.django_db
def test_the_expiry_date_itself_still_counts(
    questionnaire, owner, approver, evidence_store, stub_pdf
):
    approved_with(owner, approver, expires_on=EXPIRED)
    assert evidence_expiry_sweep(EXPIRED) == []
    assert len(evidence_expiry_sweep(EXPIRED + dt.timedelta(days=1))) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_ask_once(questionnaire, evidence_store, stub_pdf):
    owner = make_user("owner")
    approver = make_user("approver", roles=("approver",))
    approved_with(owner, approver, expires_on=EXPIRED)
    barrier, asked, failures = threading.Barrier(2), [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            asked.extend(evidence_expiry_sweep(timezone.localdate()))
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    assert len(asked) == 1
