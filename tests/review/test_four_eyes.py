"""Four eyes over a whole round of changes: nobody who changed an answer since the record was
last returned (or started) may approve it, even when a colleague pressed Submit."""

import pytest
from django.urls import reverse

from assessor.models import Assessment
from assessor.records import selectors, services
from assessor.review import services as review
from assessor.teams.membership import member_add
from tests.builders import SAFEST, make_assessment, make_user

# approvals here store a stub PDF: these tests are about the review, not the rendering
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stub_pdf")]


@pytest.fixture
def alice(db):
    """Reviewer and approver in Team A: she may edit records and approve other people's."""
    user = make_user("alice", roles=("reviewer", "approver"))
    member_add(team_name="Team B", username="alice", role="reviewer")
    return user


@pytest.fixture
def bob(db):
    return make_user("bob", roles=("reviewer",))


@pytest.fixture
def carol(db):
    return make_user("carol", roles=("approver",))


def edit(assessment, user, **answers):
    """`user` changes answers through the same service the wizard and the API call."""
    assessment.refresh_from_db()
    existing = {a.question_key: a for a in assessment.answers.all()}
    submitted = {key: (choice, "", "") for key, choice in answers.items()}
    services.answers_save(assessment=assessment, existing=existing, submitted=submitted, user=user)
    assessment.refresh_from_db()


@pytest.fixture
def edited_by_alice_submitted_by_bob(bob, alice, questionnaire):
    record = make_assessment(bob, answers=SAFEST, name="Joiner provisioning")
    edit(record, alice, monitoring="periodic_review")
    review.assessment_submit(assessment=record, user=bob, comment="Ready.")
    record.refresh_from_db()
    return record


def test_someone_who_changed_an_answer_cannot_approve_a_colleagues_submission(
    edited_by_alice_submitted_by_bob, alice, carol
):
    record = edited_by_alice_submitted_by_bob
    with pytest.raises(services.WorkflowError, match="you changed answers in this round"):
        review.assessment_approve(assessment=record, user=alice)
    record.refresh_from_db()
    assert record.status == Assessment.Status.SUBMITTED  # nothing changed
    # Someone who changed nothing approves it.
    review.assessment_approve(assessment=record, user=carol)
    record.refresh_from_db()
    assert record.status == Assessment.Status.APPROVED


def test_the_pages_do_not_offer_approval_to_an_author(
    edited_by_alice_submitted_by_bob, alice, carol, client
):
    record = edited_by_alice_submitted_by_bob
    assert record not in selectors.assessments_awaiting_approval(alice)
    assert record in selectors.assessments_awaiting_approval(carol)
    client.force_login(alice)
    page = client.get(reverse("report", args=[record.pk]))
    assert page.status_code == 200 and not page.context["can_approve"]
    response = client.post(
        reverse("approve", args=[record.pk]), {"comment": "Looks fine.", "confirm": "yes"}
    )
    assert response.status_code in (302, 400, 403, 409)
    record.refresh_from_db()
    assert record.status == Assessment.Status.SUBMITTED


def test_a_round_starts_again_when_the_record_is_returned(
    edited_by_alice_submitted_by_bob, alice, bob, carol
):
    record = edited_by_alice_submitted_by_bob
    review.assessment_return(assessment=record, user=carol, comment="Monitoring evidence?")
    edit(record, bob, monitoring="real_time_alerting")
    review.assessment_submit(assessment=record, user=bob, comment="Fixed.")
    # Alice changed nothing in this round: she may approve now.
    assert record in selectors.assessments_awaiting_approval(alice)
    review.assessment_approve(assessment=record, user=alice)
    record.refresh_from_db()
    assert record.status == Assessment.Status.APPROVED


def test_an_editor_in_the_new_round_is_held_back_again(
    edited_by_alice_submitted_by_bob, alice, bob, carol
):
    record = edited_by_alice_submitted_by_bob
    review.assessment_return(assessment=record, user=carol, comment="Monitoring evidence?")
    edit(record, alice, monitoring="real_time_alerting")
    review.assessment_submit(assessment=record, user=bob, comment="Fixed.")
    with pytest.raises(services.WorkflowError, match="four eyes|Four eyes"):
        review.assessment_approve(assessment=record, user=alice)
