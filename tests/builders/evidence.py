"""Evidence files: small real files of every allowed type (and some that must be refused),
attached through the service as a page would."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from assessor.evidence import services as evidence_services

# The bucket of the S3 API server the tests run (`s3_options` in tests/conftest.py).
S3_BUCKET = "assessor-evidence"

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG_BYTES = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
TEXT_BYTES = "Kill switch test, 3 March: the agent's token was revoked in 4 s. Ü\n".encode()
CSV_BYTES = b"identity,scope,expires\nsvc-rotate,vault:rotate,2027-01-01\n"
HTML_BYTES = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG_BYTES = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'
ELF_BYTES = b"\x7fELF\x02\x01\x01" + b"\x00" * 64
PE_BYTES = b"MZ\x90\x00" + b"\x00" * 64
SCRIPT_BYTES = b"#!/bin/sh\nrm -rf /\n"


def xlsx_bytes() -> bytes:
    """A real workbook, written by openpyxl."""
    book = Workbook()
    book.active["A1"] = "vault policy reviewed"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes() -> bytes:
    """A zip archive that is not a workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "not a workbook")
    return out.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    """An uploaded file as the browser sends it: its name and its (untrusted) Content-Type."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_evidence(
    assessment,
    user,
    *,
    name="policy.pdf",
    content=PDF_BYTES,
    question_key="",
    effective_on=dt.date(2026, 1, 1),
    expires_on=None,
    note="",
):
    """A file attached through the service (the record must be editable)."""
    return evidence_services.evidence_add(
        assessment=assessment,
        user=user,
        upload=upload(name, content),
        question_key=question_key,
        effective_on=effective_on,
        expires_on=expires_on,
        note=note,
    )


def s3_keys(client) -> list[str]:
    """Every key in the test bucket."""
    return [item["Key"] for item in client.list_objects_v2(Bucket=S3_BUCKET).get("Contents", [])]
