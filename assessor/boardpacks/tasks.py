"""The board pack's generation, a job of the task queue (django-q2, ORM broker).

Safe to run twice, on two hosts at once, or after its worker died: the run first *claims* the
pack with one conditional UPDATE (its job is the one asked for last, and it is queued, or
running with a heartbeat older than the queue's retry time, i.e. its worker is gone). Every
later write (progress, failure, the stored file) is an UPDATE conditioned on that claim, so a
run that lost it (a newer job, another worker's claim) changes nothing: it stops at its next
progress report and deletes the file it may have written.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from . import document
from .models import BoardPack

logger = logging.getLogger(__name__)

Generation = BoardPack.Generation
FAILURE_MAX = 1000


class ClaimLost(Exception):
    """Another run holds the pack now, or a newer generation was asked for."""


def _lease() -> timedelta:
    """How long a silent run keeps its claim: the queue's retry time, past which django-q
    hands the task to another worker anyway."""
    return timedelta(seconds=settings.Q_CLUSTER.get("retry", 120))


def _claim(pack_id: int, job: str) -> uuid.UUID | None:
    now = timezone.now()
    claim = uuid.uuid4()
    free = Q(generation=Generation.QUEUED) | Q(
        generation=Generation.RUNNING, heartbeat_at__lt=now - _lease()
    )
    claimed = BoardPack.objects.filter(
        free, pk=pack_id, job=job, status=BoardPack.Status.DRAFT
    ).update(
        generation=Generation.RUNNING,
        claim=claim,
        heartbeat_at=now,
        progress=0,
        step="Starting",
        failure="",
    )
    return claim if claimed else None


def _held(pack_id: int, claim: uuid.UUID):
    return BoardPack.objects.filter(pk=pack_id, claim=claim, generation=Generation.RUNNING)


def _progress(pack_id: int, claim: uuid.UUID, percent: int, step: str) -> None:
    updated = _held(pack_id, claim).update(
        progress=max(0, min(99, int(percent))), step=step[:200], heartbeat_at=timezone.now()
    )
    if not updated:
        raise ClaimLost


def _store(pack: BoardPack, claim: uuid.UUID, content: bytes, figures: dict) -> bool:
    """Write the file, then point the pack at it in one conditional UPDATE; the file of a run
    that lost its claim, and the draft's previous file, are deleted."""
    storage = pack.pdf.storage
    name = storage.save(f"boardpacks/{pack.pk}/{claim}.pdf", ContentFile(content))
    old = BoardPack.objects.filter(pk=pack.pk).values_list("pdf", flat=True).first()
    now = timezone.now()
    # the final file of an issue names its issuer: from this UPDATE on the pack never changes
    status = BoardPack.Status.ISSUED if pack.issued_at is not None else BoardPack.Status.DRAFT
    stored = _held(pack.pk, claim).update(
        generation=Generation.DONE,
        status=status,
        progress=100,
        step="Done",
        pdf=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        figures=figures,
        generated_at=now,
        heartbeat_at=now,
    )
    if not stored:
        storage.delete(name)
        return False
    if old and old != name:
        storage.delete(old)
    return True


def boardpack_generate(pack_id: int, job: str) -> str:
    """Build pack `pack_id` for generation `job`: 'done', 'failed' or 'skipped' (another run
    holds it, or the job was superseded)."""
    claim = _claim(pack_id, job)
    if claim is None:
        return "skipped"
    pack = BoardPack.objects.prefetch_related("teams").select_related("issued_by").get(pk=pack_id)
    try:
        content, figures = document.build(
            pack, progress=lambda percent, step: _progress(pack_id, claim, percent, step)
        )
        return "done" if _store(pack, claim, content, figures) else "skipped"
    except ClaimLost:
        return "skipped"
    except Exception as exc:
        logger.exception("Board pack %s failed to generate", pack_id)
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _held(pack_id, claim).update(
            generation=Generation.FAILED, failure=message[:FAILURE_MAX], heartbeat_at=timezone.now()
        )
        return "failed"
