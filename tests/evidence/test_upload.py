"""Attaching, downloading and deleting evidence through the pages: what a reviewer sees, and
every refusal (type, size, name, dates, role, a fixed record) storing nothing."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from assessor.evidence.models import EvidenceFile
from assessor.evidence.services import EvidenceError, file_name_clean
from assessor.review import services as review
from tests.builders import (
    ELF_BYTES,
    HTML_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    SAFEST,
    UnreadableBody,
    make_assessment,
    make_evidence,
    make_user,
    upload,
    zip_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(questionnaire, owner, evidence_store):
    return make_assessment(owner, answers=SAFEST)


def stored(location) -> list:
    return [path for path in location.rglob("*") if path.is_file()]


def post_file(client, record, name, content, **fields):
    data = {
        "file": upload(name, content),
        "question": "kill_switch",
        "effective_on": "2026-03-01",
        "expires_on": "",
        "note": "",
        **fields,
    }
    return client.post(reverse("evidence", args=[record.pk]), data)


def test_a_reviewer_attaches_a_pdf_to_an_answer_and_sees_it_under_the_question(
    owner_client, record, evidence_store
):
    response = post_file(owner_client, record, "kill-switch-test.pdf", PDF_BYTES, step="6")
    assert response.status_code == 302
    assert response["Location"] == reverse("wizard", args=[record.pk, 6]) + "#q-kill_switch"
    evidence = EvidenceFile.objects.get(assessment=record)
    assert evidence.question_key == "kill_switch"
    assert evidence.original_name == "kill-switch-test.pdf"
    assert evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF_BYTES)
    assert evidence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    # stored under a random key, not the uploader's name
    (path,) = stored(evidence_store)
    assert path.read_bytes() == PDF_BYTES and "kill" not in path.name
    step = owner_client.get(reverse("wizard", args=[record.pk, 1]))
    page = step.content.decode()
    assert "Attach evidence" in page
    download = reverse("evidence_download", args=[record.pk, evidence.pk])
    kill_switch_step = next(
        n for n in range(1, 12) if 'id="q-kill_switch"' in _step(owner_client, record, n)
    )
    block = _step(owner_client, record, kill_switch_step).split('id="q-kill_switch"')[1]
    assert download in block.split('<div id="q-')[0]


def _step(client, record, number) -> str:
    return client.get(reverse("wizard", args=[record.pk, number])).content.decode()


def test_the_whole_record_gets_evidence_too(owner_client, record):
    response = post_file(owner_client, record, "scope.txt", b"Scope memo\n", question="")
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get(assessment=record)
    assert evidence.question_key == "" and evidence.content_type == "text/plain"
    report = owner_client.get(reverse("report", args=[record.pk])).content.decode()
    assert "scope.txt" in report and "Whole record" in report and evidence.sha256 in report


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("board-pack.pdf", HTML_BYTES, "HTML"),
        ("tool.pdf", ELF_BYTES, "Linux executable"),
        ("data.xlsx", zip_bytes(), "not an XLSX workbook"),
    ],
)
def test_a_refused_type_says_why_and_stores_nothing(
    owner_client, record, evidence_store, name, content, says
):
    response = post_file(owner_client, record, name, content)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not EvidenceFile.objects.exists() and not stored(evidence_store)


def test_a_file_over_the_limit_is_cut_off_while_it_arrives(
    owner_client, record, evidence_store, settings
):
    settings.ASSESSOR_EVIDENCE_MAX_BYTES = 1000
    response = post_file(owner_client, record, "big.txt", b"a" * 1001)
    assert response.status_code == 413
    assert "larger than the limit of 1000 bytes" in response.content.decode()
    assert not EvidenceFile.objects.exists() and not stored(evidence_store)


def test_a_declared_200_mb_upload_is_refused_before_its_body_is_read(
    owner_client, record, evidence_store
):
    response = owner_client.generic(
        "POST",
        reverse("evidence", args=[record.pk]),
        b"",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert "larger than the limit of 20 MB" in response.content.decode()
    assert not EvidenceFile.objects.exists() and not stored(evidence_store)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\x.pdf", "x.pdf"),
        ("C:\\Users\\me\\vault.png", "vault.png"),
    ],
)
def test_a_path_in_the_file_name_is_reduced_to_its_last_plain_name(
    owner_client, record, evidence_store, sent, kept
):
    content = PNG_BYTES if kept.endswith(".png") else PDF_BYTES
    assert post_file(owner_client, record, sent, content).status_code == 302
    evidence = EvidenceFile.objects.get(assessment=record)
    assert evidence.original_name == kept
    # the bytes stay inside the evidence directory, under a key of the app's choosing
    (path,) = stored(evidence_store)
    assert path.parent == evidence_store and path.name != kept


def test_names_with_nothing_usable_are_refused_and_the_model_refuses_a_path():
    assert file_name_clean("a\x00b\x1f.pdf") == "ab.pdf"
    for name in ("..", "../", "\x00", "   "):
        with pytest.raises(EvidenceError):
            file_name_clean(name)
    with pytest.raises(ValidationError):
        EvidenceFile._meta.get_field("original_name").run_validators("../x.pdf")


def test_an_expiry_before_the_effective_date_is_a_form_error(owner_client, record, evidence_store):
    response = post_file(
        owner_client,
        record,
        "p.pdf",
        PDF_BYTES,
        effective_on="2026-05-01",
        expires_on="2026-04-30",
    )
    assert response.status_code == 400
    assert "cannot be before the effective date" in response.content.decode()
    assert not EvidenceFile.objects.exists() and not stored(evidence_store)


def test_a_question_of_another_bank_is_refused(owner_client, record, evidence_store):
    response = post_file(owner_client, record, "p.pdf", PDF_BYTES, question="no_such_question")
    assert response.status_code == 400
    assert not EvidenceFile.objects.exists()


def test_the_download_is_an_attachment_of_the_detected_type_never_sniffed(owner_client, record):
    evidence = make_evidence(record, record.owner, name="vault config.png", content=PNG_BYTES)
    response = owner_client.get(reverse("evidence_download", args=[record.pk, evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="vault config.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_another_team_gets_404_and_an_auditor_reads_but_does_not_attach(
    client, record, outsider, evidence_store
):
    evidence = make_evidence(record, record.owner)
    url = reverse("evidence_download", args=[record.pk, evidence.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert post_file(client, record, "x.pdf", PDF_BYTES).status_code == 404
    assert client.post(reverse("evidence_delete", args=[record.pk, evidence.pk])).status_code == 404
    auditor = Client()
    auditor.force_login(make_user("audit", roles=("auditor",)))
    assert auditor.get(url).status_code == 200
    assert post_file(auditor, record, "x.pdf", PDF_BYTES).status_code == 403
    assert EvidenceFile.objects.count() == 1 and len(stored(evidence_store)) == 1


def test_an_editor_deletes_a_drafts_evidence_row_and_file(
    owner_client, record, evidence_store, django_capture_on_commit_callbacks
):
    evidence = make_evidence(record, record.owner)
    assert len(stored(evidence_store)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("evidence_delete", args=[record.pk, evidence.pk]))
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()
    assert not stored(evidence_store)


def test_approval_freezes_evidence_below_the_pages(
    owner, approver, record, evidence_store, stub_pdf, owner_client
):
    evidence = make_evidence(record, owner, expires_on=dt.date(2027, 1, 1))
    review.assessment_submit(assessment=record, user=owner)
    review.assessment_approve(assessment=record, user=approver)
    record.refresh_from_db()
    # plain ORM: a new row, a changed date, a deletion, an update(): each refused
    with pytest.raises(ValidationError, match="evidence"):
        EvidenceFile.objects.create(
            assessment=record,
            file="x.bin",
            original_name="late.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            uploaded_by=owner,
            effective_on=dt.date(2026, 1, 1),
        )
    evidence.expires_on = dt.date(2030, 1, 1)
    with pytest.raises(ValidationError):
        evidence.save()
    with pytest.raises(ValidationError):
        evidence.delete()
    with pytest.raises(ValidationError):
        EvidenceFile.objects.filter(pk=evidence.pk).update(expires_on=dt.date(2030, 1, 1))
    # and the pages: no upload, no delete, the file still there
    assert post_file(owner_client, record, "late.pdf", PDF_BYTES).status_code == 400
    owner_client.post(reverse("evidence_delete", args=[record.pk, evidence.pk]))
    assert list(EvidenceFile.objects.values_list("pk", "expires_on")) == [
        (evidence.pk, dt.date(2027, 1, 1))
    ]
    assert len(stored(evidence_store)) == 1


def test_a_post_without_a_csrf_token_is_refused_and_stores_nothing(record, evidence_store):
    evidence = make_evidence(record, record.owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(record.owner)
    assert post_file(client, record, "p.pdf", PDF_BYTES).status_code == 403
    delete = client.post(reverse("evidence_delete", args=[record.pk, evidence.pk]))
    assert delete.status_code == 403
    assert list(EvidenceFile.objects.values_list("pk", flat=True)) == [evidence.pk]
    assert len(stored(evidence_store)) == 1
