"""Writes of board packs: create, regenerate (and retry), issue, delete.

Each write that starts a generation gives the pack a new `job` and queues the task for it once
the transaction commits; a task still running for an older job finds its job gone at its next
conditional UPDATE and stops (tasks.py).
"""

from __future__ import annotations

import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from . import selectors
from .models import BoardPack

logger = logging.getLogger(__name__)

GENERATE = "assessor.boardpacks.tasks.boardpack_generate"
QUEUED_STEP = "Waiting for a worker"


class NotReady(ValidationError):
    """The pack is not in a state that allows the action (e.g. issuing one not yet built)."""


def _enqueue(pack_id: int, job: uuid.UUID) -> None:
    def send():
        try:
            async_task(GENERATE, pack_id, str(job), task_name=f"board pack {pack_id}")
        except Exception:  # the broker is the database; the page offers "Generate again"
            logger.exception("Could not queue the generation of board pack %s", pack_id)

    transaction.on_commit(send)


def boardpack_create(*, user, title: str, period_start, period_end, teams) -> BoardPack:
    """A new draft pack of `teams` (already checked readable by `user`), queued."""
    with transaction.atomic():
        pack = BoardPack(
            title=title,
            period_start=period_start,
            period_end=period_end,
            requested_by=user,
            step=QUEUED_STEP,
        )
        pack.full_clean(exclude=["teams"])
        pack.save()
        pack.teams.set(teams)
        _enqueue(pack.pk, pack.job)
    return pack


def _restart(pack: BoardPack, **fields) -> BoardPack:
    """Queue a new generation of a draft (the guard refuses an issued one)."""
    job = uuid.uuid4()
    with transaction.atomic():
        BoardPack.objects.filter(pk=pack.pk).update(
            job=job,
            claim=None,
            generation=BoardPack.Generation.QUEUED,
            progress=0,
            step=QUEUED_STEP,
            failure="",
            **fields,
        )
        _enqueue(pack.pk, job)
    pack.refresh_from_db()
    return pack


def boardpack_regenerate(*, pack: BoardPack) -> BoardPack:
    """Build a draft again (after a failure, or with newer records); its old file is kept
    until the new one is stored."""
    return _restart(pack)


def boardpack_issue(*, pack: BoardPack, user) -> BoardPack:
    """Ask for the pack to be issued: it is built once more, naming `user` on every page, and
    becomes ISSUED when that file is stored. Only an approver of every team may."""
    if not selectors.boardpack_issuable_by(user, pack):
        raise PermissionDenied(
            f"{user.get_username()} is not an approver in every team of this pack, so may "
            "not issue it."
        )
    if pack.is_issuing:
        raise NotReady("This pack is already being issued.")
    if pack.generation != BoardPack.Generation.DONE:
        raise NotReady("Only a generated draft can be issued: wait for it, or generate it again.")
    return _restart(pack, issued_by=user, issued_at=timezone.now())


def boardpack_delete(*, pack: BoardPack) -> None:
    """Delete a draft and its file (the guard refuses an issued pack)."""
    name = pack.pdf.name
    storage = pack.pdf.storage
    with transaction.atomic():
        pack.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
