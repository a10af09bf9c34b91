"""Evidence in S3-compatible object storage, against a real S3 API server on loopback (moto's
server mode): what one app host stores, another reads, byte for byte, through the app's own
download; nothing is served from the bucket directly."""

import hashlib

import pytest
from django.urls import reverse
from storages.backends.s3 import S3Storage

from assessor.evidence.models import EvidenceFile
from tests.builders import (
    PDF_BYTES,
    PNG_BYTES,
    S3_BUCKET,
    make_assessment,
    make_evidence,
    s3_keys,
    upload,
)


@pytest.mark.django_db
def test_an_upload_lands_in_the_bucket_and_comes_back_through_the_app(
    questionnaire, owner, owner_client, s3_storage
):
    record = make_assessment(owner)
    response = owner_client.post(
        reverse("evidence", args=[record.pk]),
        {
            "file": upload("../vault-config.png", PNG_BYTES, "text/html"),
            "question": "runtime_policy",
            "effective_on": "2026-03-01",
        },
    )
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get(assessment=record)
    assert f"evidence/{evidence.file.name}" in s3_keys(s3_storage)
    assert "vault-config" not in evidence.file.name  # a random key, not the uploader's name
    body = s3_storage.get_object(Bucket=S3_BUCKET, Key=f"evidence/{evidence.file.name}")["Body"]
    assert hashlib.sha256(body.read()).hexdigest() == evidence.sha256
    download = owner_client.get(reverse("evidence_download", args=[record.pk, evidence.pk]))
    assert download["Content-Type"] == "image/png"  # detected, not the browser's claim
    content = b"".join(download.streaming_content)
    assert content == PNG_BYTES and hashlib.sha256(content).hexdigest() == evidence.sha256


@pytest.mark.django_db
def test_two_app_hosts_share_the_files(questionnaire, owner, s3_storage, s3_options):
    options, _ = s3_options
    record = make_assessment(owner)
    evidence = make_evidence(record, owner, name="kill-switch-test.pdf", content=PDF_BYTES)
    # a second host: its own storage instance, its own connection, the same bucket
    host_b = S3Storage(**options)
    with host_b.open(evidence.file.name) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == evidence.sha256
    # and what host B stores, host A reads
    name = host_b.save("from-host-b.bin", upload("x.txt", b"shared\n"))
    with S3Storage(**options).open(name) as stored:
        assert stored.read() == b"shared\n"
