"""The Done-when story: a reviewer attaches a PDF and a screenshot to two answers, the approver
approves, and the stored board PDF lists both files with their hashes (not embedded); the
report page and the API list them too."""

import datetime as dt

import pytest
from django.urls import reverse

from assessor.models import ApprovedReport
from assessor.review import services as review
from tests.builders import (
    PDF_BYTES,
    PNG_BYTES,
    SAFEST,
    api_client,
    make_assessment,
    make_evidence,
    read,
    text_of,
)

pytestmark = pytest.mark.django_db


def test_the_approved_pdf_lists_each_file_with_its_hash_and_dates(
    questionnaire, owner, approver, evidence_store, client
):
    record = make_assessment(owner, answers=SAFEST)
    policy = make_evidence(
        record,
        owner,
        name="kill-switch-test.pdf",
        content=PDF_BYTES,
        question_key="kill_switch",
        expires_on=dt.date(2027, 6, 30),
    )
    screenshot = make_evidence(
        record, owner, name="vault-config.png", content=PNG_BYTES, question_key="runtime_policy"
    )
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)  # renders the real PDF
    stored = ApprovedReport.objects.get(assessment=record).content
    text = text_of(read(bytes(stored)))
    squeezed = "".join(text.split())  # a hash may wrap across lines
    assert "Appendix C: evidence files" in text
    for evidence in (policy, screenshot):
        assert evidence.original_name in squeezed
        assert evidence.sha256 in squeezed
    assert "30June2027" in squeezed and "noexpirydate" in squeezed
    # listed, not embedded: the PNG's bytes are not in the PDF
    assert PNG_BYTES[8:40] not in bytes(stored)
    # the report page and the API say the same
    client.force_login(owner)
    page = client.get(reverse("report", args=[record.pk])).content.decode()
    assert policy.sha256 in page and screenshot.sha256 in page
    detail = api_client(owner).get(f"/api/v1/assessments/{record.pk}/").json()
    listed = {f["name"]: f for f in detail["evidence_files"]}
    assert listed["vault-config.png"]["sha256"] == screenshot.sha256
    assert listed["kill-switch-test.pdf"]["question"] == "kill_switch"
    assert listed["kill-switch-test.pdf"]["expires_on"] == "2027-06-30"
