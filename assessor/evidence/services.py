"""Writes of file evidence: add (checked by content and size, hashed, stored under a random
key), delete (a draft's, by its editors), and the expiry sweep that asks for re-reviews."""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assessor.oversight.services import ReviewRequestError, review_request
from assessor.teams import access

from .models import NAME_MAX_LENGTH, EvidenceExpiry, EvidenceFile, evidence_storage, storage_key
from .sniff import RefusedFile, sniff

log = logging.getLogger(__name__)


class EvidenceError(ValueError):
    """An upload or a change that is refused, with the reason a person can act on."""


def too_large_message(limit: int | None = None) -> str:
    limit = settings.ASSESSOR_EVIDENCE_MAX_BYTES if limit is None else limit
    return f"Refused: the file is larger than the limit of {_size(limit)}. Nothing was stored."


def _size(count: int) -> str:
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= factor:
            return f"{count / factor:g} {unit}"
    return f"{count} bytes"


def file_name_clean(raw: str) -> str:
    """The name to show and to offer as a download name: the last segment of whatever path
    was sent (either slash), without control characters, at most NAME_MAX_LENGTH long (the
    extension kept). EvidenceError when nothing usable is left. It never reaches the
    storage path (see models.storage_key)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable()).strip()
    if name in {"", ".", ".."}:
        raise EvidenceError("The file has no usable name; rename it and upload it again.")
    if len(name) > NAME_MAX_LENGTH:
        stem, dot, extension = name.rpartition(".")
        keep = NAME_MAX_LENGTH - len(extension) - 1
        name = (
            f"{stem[:keep]}.{extension}"
            if dot and 0 < len(extension) < 10
            else name[:NAME_MAX_LENGTH]
        )
    return name


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def evidence_add(
    *,
    assessment,
    user,
    upload,
    question_key: str | None,
    effective_on: date,
    expires_on: date | None = None,
    note: str = "",
) -> EvidenceFile:
    """Attach `upload` (an UploadedFile) to the record, or to one of its answers.

    Needs the editing role in the record's team (RoleRequired). EvidenceError for a file that
    is too large, of a type not allowed (by its content), badly named, or dates out of order;
    the guard's LockedRecord for a submitted or approved record. A refusal stores nothing."""
    access.require_on(user, assessment, access.EDIT)
    if assessment.is_locked:
        raise EvidenceError(
            "This assessment is submitted or approved; its evidence is fixed. Nothing was stored."
        )
    if upload.size > settings.ASSESSOR_EVIDENCE_MAX_BYTES:
        raise EvidenceError(too_large_message())
    name = file_name_clean(upload.name)
    try:
        sniffed = sniff(upload, name)
    except RefusedFile as error:
        raise EvidenceError(f"{error} Nothing was stored.") from None
    evidence = EvidenceFile(
        assessment=assessment,
        question_key=question_key or "",
        original_name=name,
        content_type=sniffed.content_type,
        size=upload.size,
        sha256=_sha256(upload),
        uploaded_by=user,
        effective_on=effective_on,
        expires_on=expires_on,
        note=note,
    )
    try:
        evidence.full_clean(exclude=["file"])
    except ValidationError as error:
        raise EvidenceError(" ".join(error.messages)) from None
    storage = evidence_storage()
    upload.seek(0)
    evidence.file.name = storage.save(storage_key(evidence, name), upload)
    try:
        evidence.save()  # the guard asks again, under the record's lock
    except BaseException:
        storage.delete(evidence.file.name)  # no file without its row
        raise
    return evidence


@transaction.atomic
def evidence_delete(*, evidence: EvidenceFile, user) -> None:
    """Delete a draft's file (row and stored bytes, the bytes once the row's deletion commits).
    The guard refuses it for a submitted or approved record (LockedRecord)."""
    access.require_on(user, evidence.assessment, access.EDIT)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(name))


# --- expiry ---------------------------------------------------------------------------------


def expiry_reason(evidence: EvidenceFile) -> str:
    where = f"answer {evidence.question_key}" if evidence.question_key else "the whole record"
    return (
        f"Evidence file '{evidence.original_name}' (for {where}) expired on "
        f"{evidence.expires_on.isoformat()}."
    )


def evidence_expiry_sweep(today: date) -> list[str]:
    """Ask for a re-review of each approved, current record with evidence past its expiry date
    on `today`: once per file, ever. Idempotent: a second run asks nothing again, and two at
    once ask once (the unique EvidenceExpiry row decides who asks). The reasons asked."""
    expired = (
        EvidenceFile.objects.filter(
            expires_on__lt=today,
            expiry__isnull=True,
            assessment__status="approved",
            assessment__review_cycle__closed_at__isnull=True,
        )
        .select_related("assessment", "assessment__team")
        .order_by("assessment_id", "id")
    )
    asked = []
    for evidence in expired:
        reason = expiry_reason(evidence)
        try:
            with transaction.atomic():
                EvidenceExpiry.objects.create(evidence=evidence, reason=reason)
                review_request(assessment=evidence.assessment, reason=reason)
        except IntegrityError:
            continue  # another sweep asked first
        except ReviewRequestError as error:
            log.info("evidence %s expired, no re-review asked: %s", evidence.pk, error)
            EvidenceExpiry.objects.get_or_create(evidence=evidence, defaults={"reason": reason})
            continue
        asked.append(reason)
    return asked
