"""A file of evidence attached to one answer of a record, or to the whole record.

The row holds what the report and the auditors need (name, detected type, size, SHA-256, who
and when, the dates it counts between); the bytes live in the "evidence" storage under a random
key, never under the name the uploader gave. A submitted or approved record's evidence is
fixed like its answers (the guard's `EVIDENCE_RULE`, below every page, command and the ORM).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.core.validators import MaxLengthValidator
from django.db import models
from simple_history.models import HistoricalRecords

from assessor.records.guard import Guarded, GuardedHistoryQuerySet
from assessor.records.locks import EDITABLE, RecordPartRule
from assessor.records.validators import xml_text

NAME_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 2000

EVIDENCE_RULE = RecordPartRule(
    "evidence",
    adds_when=EDITABLE,
    changes_when=EDITABLE,
    why="is fixed once submitted: return it for changes, or reassess it as a new revision.",
)


class EvidenceStorage(Storage):
    """Whatever settings.STORAGES["evidence"] is at the moment of each call: the local disk,
    or S3-compatible object storage. Looked up per call, so the field (built once, at import)
    follows the settings, and the migration names no backend."""

    def _backend(self) -> Storage:
        return storages["evidence"]

    def open(self, name, mode="rb"):
        return self._backend().open(name, mode)

    def save(self, name, content, max_length=None):
        return self._backend().save(name, content, max_length=max_length)

    def delete(self, name):
        return self._backend().delete(name)

    def exists(self, name):
        return self._backend().exists(name)

    def size(self, name):
        return self._backend().size(name)

    def path(self, name):
        return self._backend().path(name)

    def url(self, name):
        raise NotImplementedError("Evidence has no public URL: downloads go through the app.")

    def generate_filename(self, filename):
        return self._backend().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return self._backend().get_available_name(name, max_length=max_length)


def evidence_storage() -> Storage:
    """The field's storage (a callable, so the migration stays free of settings)."""
    return EvidenceStorage()


def storage_key(instance, filename: str) -> str:
    """A random key: the uploader's name never reaches the storage path."""
    return f"{uuid.uuid4().hex}.bin"


def safe_file_name(value: str) -> None:
    """The original name is shown and sent back as a download name only: one plain segment."""
    if (
        not value
        or value in {".", ".."}
        or any(c in value for c in "/\\")
        or any(not c.isprintable() for c in value)
    ):
        raise ValidationError(
            "A file name is one plain name: no folders (/ or \\), no '..', no control characters.",
            code="unsafe_name",
        )


class EvidenceFile(Guarded):
    assessment = models.ForeignKey(
        "assessor.Assessment", on_delete=models.CASCADE, related_name="evidence_files"
    )
    # Empty: evidence for the whole record; else a question of the record's questionnaire.
    question_key = models.SlugField(max_length=50, blank=True)
    file = models.FileField(storage=evidence_storage, upload_to=storage_key, max_length=200)
    original_name = models.CharField(
        max_length=NAME_MAX_LENGTH, validators=[safe_file_name, xml_text]
    )
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    effective_on = models.DateField(help_text="The date from which this evidence counts.")
    expires_on = models.DateField(
        null=True, blank=True, help_text="The date after which it no longer counts (optional)."
    )
    note = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_LENGTH), xml_text])

    objects = GuardedHistoryQuerySet.as_manager()
    history = HistoricalRecords()
    write_rule = EVIDENCE_RULE

    class Meta:
        ordering = ["assessment", "question_key", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("effective_on")),
                name="evidence_expires_after_effective",
            )
        ]

    def __str__(self):
        return f"{self.original_name} ({self.question_key or 'whole record'})"

    def clean(self):
        if self.expires_on and self.effective_on and self.expires_on < self.effective_on:
            raise ValidationError(
                {"expires_on": "The expiry date cannot be before the effective date."}
            )
        if self.question_key and self.assessment_id is not None:
            questions = {q["key"] for q in questions_of(self.assessment.document)}
            if self.question_key not in questions:
                raise ValidationError(
                    {
                        "question_key": f"{self.question_key!r} is not a question of this "
                        "record's questionnaire version."
                    }
                )

    def expired_on(self, today) -> bool:
        """Past its expiry date on `today` (the expiry date itself still counts)."""
        return self.expires_on is not None and today > self.expires_on


class EvidenceExpiry(models.Model):
    """That an expired file's re-review was asked for: once per file, whichever sweep (or
    process) gets there first (the unique row decides)."""

    evidence = models.OneToOneField(EvidenceFile, on_delete=models.CASCADE, related_name="expiry")
    noticed_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    def __str__(self):
        return f"{self.evidence}: {self.reason}"


def questions_of(document: dict):
    """The questions of a compiled bank document, in order."""
    for section in document.get("sections", []):
        yield from section.get("questions", [])
