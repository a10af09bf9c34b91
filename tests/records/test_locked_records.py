"""A submitted or approved record refuses every change made through the models, as a published
questionnaire does (assessor/records/locks.py on the guard of assessor/records/guard.py); the
review workflow still moves it, one step and one decision at a time."""

import pytest
from django.db import transaction

from assessor.models import Answer, ApprovedReport, Assessment, Decision, RecordLink
from assessor.records.locks import LockedRecord
from assessor.review import services as review
from tests.builders import SAFEST, make_assessment, make_reviewed, record_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(owner, approver, questionnaire, stub_pdf):
    """Team A's record, submitted, returned, changed, resubmitted and approved (its stored PDF
    a stub: these tests change and check the stored bytes, never read them as a PDF)."""
    return make_reviewed(owner, approver)


@pytest.fixture
def submitted(owner, questionnaire):
    record = make_assessment(owner, answers=SAFEST, name="Secret rotation")
    review.assessment_submit(assessment=record, user=owner)
    record.refresh_from_db()
    return record


def changed(obj, **fields):
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


def an_answer(record):
    return Answer.objects.filter(assessment=record).order_by("pk").first()


def renamed(record):
    record = Assessment.objects.get(pk=record.pk)
    record.name = "Renamed"
    return record


def bulk_update_answers(record):
    answers = list(Answer.objects.filter(assessment=record)[:2])
    for answer in answers:
        answer.note = "Changed"
    Answer.objects.bulk_update(answers, ["note"])


WAYS = {
    "update its answers": lambda r: Answer.objects.filter(assessment=r).update(choice_key="no"),
    "save an answer": lambda r: changed(an_answer(r), choice_key="no"),
    "delete an answer": lambda r: an_answer(r).delete(),
    "delete its answers": lambda r: Answer.objects.filter(assessment=r).delete(),
    "bulk_update answers": bulk_update_answers,
    "add an answer": lambda r: Answer.objects.create(
        assessment=r, question_key="extra", choice_key="yes"
    ),
    "bulk_create an answer": lambda r: Answer.objects.bulk_create(
        [Answer(assessment=r, question_key="extra", choice_key="yes")]
    ),
    "move an answer into it": lambda r: Answer.objects.filter(
        pk=an_answer(make_assessment(r.owner, answers={"kill_switch": "no"}, name="Other")).pk
    ).update(assessment=r),
    "save it back to draft": lambda r: changed(r, status="draft"),
    "save its name": lambda r: changed(r, name="Renamed"),
    "save its verdict": lambda r: changed(r, verdict="copilot", score=1),
    "update its status": lambda r: Assessment.objects.filter(pk=r.pk).update(status="draft"),
    "update every record": lambda r: Assessment.objects.update(description="Changed"),
    "bulk_update it": lambda r: Assessment.objects.bulk_update([renamed(r)], ["name"]),
    "delete it": lambda r: r.delete(),
    "delete it by QuerySet": lambda r: Assessment.objects.filter(pk=r.pk).delete(),
    "update a decision": lambda r: Decision.objects.filter(assessment=r).update(comment="x"),
    "save a decision": lambda r: changed(r.decisions.order_by("pk").first(), comment="x"),
    "delete a decision": lambda r: r.decisions.order_by("pk").first().delete(),
    "delete its decisions": lambda r: Decision.objects.filter(assessment=r).delete(),
    "update a chain link": lambda r: RecordLink.objects.filter(assessment=r).update(digest="0"),
    "delete its chain": lambda r: RecordLink.objects.filter(assessment=r).delete(),
}
PDF_WAYS = {
    "update the PDF's hash": lambda r: ApprovedReport.objects.update(sha256="0" * 64),
    "save the PDF's hash": lambda r: changed(ApprovedReport.objects.get(assessment=r), sha256="0"),
    "save the PDF's bytes": lambda r: changed(
        ApprovedReport.objects.get(assessment=r), content=b"%PDF-forged"
    ),
    "delete the PDF": lambda r: ApprovedReport.objects.get(assessment=r).delete(),
    "delete the PDFs": lambda r: ApprovedReport.objects.all().delete(),
}


@pytest.mark.parametrize("way", [*WAYS, *PDF_WAYS])
def test_every_write_to_an_approved_record_is_refused_and_changes_nothing(approved, way):
    before = record_state(approved)
    with pytest.raises(LockedRecord) as refused, transaction.atomic():
        {**WAYS, **PDF_WAYS}[way](approved)
    assert approved.pk in refused.value.records
    assert "Leaver deprovisioning" in " ".join(refused.value.messages)
    assert record_state(approved) == before


@pytest.mark.parametrize("way", WAYS)
def test_every_write_to_a_submitted_record_is_refused_and_changes_nothing(submitted, way):
    before = record_state(submitted)
    with pytest.raises(LockedRecord), transaction.atomic():
        WAYS[way](submitted)
    assert record_state(submitted) == before


def test_the_refusal_says_why_and_the_way_out(approved):
    with pytest.raises(LockedRecord) as refused:
        Answer.objects.filter(assessment=approved).update(choice_key="no")
    assert refused.value.messages == [
        f"Not changed: the answers of 'Leaver deprovisioning' (id {approved.pk}, approved) are "
        "fixed once submitted: return it for changes, or reassess it as a new revision."
    ]


def test_a_refused_write_leaves_the_callers_transaction_usable(approved):
    with transaction.atomic():
        with pytest.raises(LockedRecord):
            changed(approved, status="draft")
        assert Assessment.objects.filter(pk=approved.pk, status="approved").exists()


def test_a_status_moves_only_with_its_decision(owner, approver, submitted, questionnaire):
    draft = make_assessment(owner, answers=SAFEST, name="Draft")
    with pytest.raises(LockedRecord, match="only with the decision"):
        changed(draft, status="submitted")
    with pytest.raises(LockedRecord, match="review workflow"):
        Assessment.objects.filter(pk=draft.pk).update(status="submitted")
    with pytest.raises(LockedRecord, match="cannot go from draft to approved"):
        changed(Assessment.objects.get(pk=draft.pk), status="approved")
    with pytest.raises(LockedRecord, match="only with the decision"):
        changed(submitted, status="approved")  # four eyes are in the service: go through it
    with pytest.raises(LockedRecord, match="starts as a draft"):
        Assessment.objects.create(
            name="Born approved",
            team=draft.team,
            owner=owner,
            questionnaire=draft.questionnaire,
            status="approved",
        )
    assert Assessment.objects.get(pk=submitted.pk).status == "submitted"


def test_a_draft_is_still_edited_and_deleted_freely(owner, questionnaire):
    draft = make_assessment(owner, answers=SAFEST, name="Draft")
    changed(draft, name="Renamed")
    Answer.objects.filter(assessment=draft).update(note="Changed")
    an_answer(draft).delete()
    draft.delete()
    assert not Assessment.objects.filter(pk=draft.pk).exists()
