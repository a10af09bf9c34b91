"""The oversight loop across its packages: an approved workflow of a registered agent goes
due, overdue and lapsed; each change owes its reminders once (to the record's owner, the
agent's accountable owner and the team's approvers); a lapsed approval stops being the agent's
current verdict; a changed credential asks for a re-review."""

import datetime as dt

import pytest
from django.utils import timezone

from assessor.documents import pdf
from assessor.models import Assessment
from assessor.notify.models import Delivery
from assessor.oversight import cycle
from assessor.oversight.models import ReviewCycle
from assessor.register import selectors as register_selectors
from assessor.register import services as register_services
from assessor.review import services as review
from tests.builders import SAFEST, make_agent, make_assessment, make_user


@pytest.fixture
def stub_pdf(monkeypatch):
    monkeypatch.setattr(pdf, "assessment_pdf", lambda assessment, generated_by: b"%PDF stub")


@pytest.fixture
def approved_workflow(questionnaire, stub_pdf, settings):
    settings.ASSESSOR_REVIEW_DUE_WINDOW_DAYS = 30
    settings.ASSESSOR_REVIEW_GRACE_DAYS = 30
    owner = make_user("rita", email="rita@example.org")
    approver = make_user("amir", roles=("approver",), email="amir@example.org")
    accountable = make_user("ada", roles=("auditor",), email="ada@example.org")
    agent = make_agent(owner)
    register_services.agent_update(user=owner, agent=agent, owner=accountable)
    record = make_assessment(owner, answers=SAFEST, name="Leaver deprovisioning")
    register_services.assessment_agent_set(user=owner, assessment=record, agent=agent)
    review.assessment_submit(assessment=Assessment.objects.get(pk=record.pk), user=owner)
    review.assessment_approve(assessment=Assessment.objects.get(pk=record.pk), user=approver)
    cycle.review_cycle_sweep(now=timezone.now())  # opens its cycle
    return Assessment.objects.get(pk=record.pk), agent, owner


def _noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _owed(event_type: str) -> list[str]:
    return sorted(
        Delivery.objects.filter(channel=Delivery.Channel.EMAIL, event__type=event_type).values_list(
            "recipient", flat=True
        )
    )


def test_due_overdue_lapsed_each_owe_their_reminders_once_to_the_three_people(
    approved_workflow, django_capture_on_commit_callbacks
):
    record, agent, _ = approved_workflow
    review_by = ReviewCycle.objects.get(assessment=record).review_by
    everyone = ["ada@example.org", "amir@example.org", "rita@example.org"]
    for day, event_type in (
        (review_by - dt.timedelta(days=10), "review.due"),
        (review_by + dt.timedelta(days=1), "review.overdue"),
        (review_by + dt.timedelta(days=31), "review.lapsed"),
    ):
        for _ in range(2):  # the daily job run twice (two hosts) owes nothing more
            with django_capture_on_commit_callbacks(execute=True):
                cycle.review_cycle_sweep(now=_noon(day))
        assert _owed(event_type) == everyone, event_type
    assert ReviewCycle.objects.get(assessment=record).state == ReviewCycle.State.LAPSED

    (workflow,) = register_selectors.agent_workflows(agent)
    assert (
        workflow.lapsed and workflow.verdict == "" and workflow.verdict_label == "Approval lapsed"
    )
    current = Assessment.objects.filter(register_selectors.current_approval(), agent=agent)
    assert not current.exists()


def test_a_current_approval_is_the_agents_current_verdict(approved_workflow):
    record, agent, _ = approved_workflow
    (workflow,) = register_selectors.agent_workflows(agent)
    assert not workflow.lapsed and workflow.verdict == record.verdict
    current = Assessment.objects.filter(register_selectors.current_approval(), agent=agent)
    assert list(current) == [record]


def test_a_changed_credential_asks_for_a_re_review_and_an_unchanged_one_does_not(
    approved_workflow,
):
    record, agent, owner = approved_workflow
    identity = agent.identities.get()
    register_services.identity_update(user=owner, identity=identity, notes="Rotated keys.")
    assert ReviewCycle.objects.get(assessment=record).rereview_requested_at is None

    register_services.identity_update(user=owner, identity=identity, credential_type="api_key")
    requested = ReviewCycle.objects.get(assessment=record)
    assert requested.rereview_requested_at is not None
    assert "changed from Short-lived token (federated, JIT) to API key" in requested.rereview_reason
