"""A board pack: one PDF for one board meeting (a period, some teams), its generation state
and, once issued, a record that never changes.

An issued pack is refused every write by its `WriteRule`, whichever way the write arrives
(save, delete, QuerySet update or delete, bulk paths, its teams), as approved records are:
the fingerprint a board minuted must keep matching the file served.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from assessor.records.guard import Guarded, GuardedQuerySet, WriteRule
from assessor.records.validators import xml_text

ISSUED_MESSAGE = "Board pack {ids} is issued and cannot be changed: generate a new pack instead."


class IssuedBoardPack(ValidationError):
    """A write that would change, regenerate or delete an issued board pack."""

    def __init__(self, ids):
        ids = sorted(ids)
        super().__init__(
            ISSUED_MESSAGE.format(ids=", ".join(f"#{pk}" for pk in ids)), code="issued_board_pack"
        )
        self.ids = tuple(ids)


def _issued_among(model, ids, using: str, *, lock: bool = False) -> list[int]:
    rows = model._base_manager.using(using).filter(pk__in=ids, status=model.Status.ISSUED)
    if lock:
        rows = rows.select_for_update()
    return list(rows.values_list("pk", flat=True))


class BoardPackRule(WriteRule):
    """Drafts change freely; an issued pack not at all. A pack is created as a draft: only the
    generation task's final conditional UPDATE makes it issued."""

    def save_refusal(self, obj, *, using, fields, lock):
        if obj.pk is None:
            return IssuedBoardPack(["new"]) if obj.status == obj.Status.ISSUED else None
        issued = _issued_among(type(obj), [obj.pk], using, lock=lock)
        return IssuedBoardPack(issued) if issued else None

    def delete_refusal(self, rows, *, lock):
        issued = rows.filter(status=rows.model.Status.ISSUED)
        if lock:
            issued = issued.select_for_update()
        ids = list(issued.values_list("pk", flat=True))
        return IssuedBoardPack(ids) if ids else None

    def update_refusal(self, rows, kwargs):
        ids = list(rows.filter(status=rows.model.Status.ISSUED).values_list("pk", flat=True))
        return IssuedBoardPack(ids) if ids else None

    def bulk_create_refusal(self, model, objs, *, using):
        if any(obj.status == model.Status.ISSUED for obj in objs):
            return IssuedBoardPack(["new"])
        return None

    def bulk_update_refusal(self, model, objs, fields, *, using):
        issued = _issued_among(model, [obj.pk for obj in objs], using)
        return IssuedBoardPack(issued) if issued else None


class BoardPack(Guarded):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"

    class Generation(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Generating"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    title = models.CharField(max_length=200, validators=[xml_text])
    period_start = models.DateField()
    period_end = models.DateField()
    teams = models.ManyToManyField("assessor.Team", related_name="board_packs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    # Set when an approver of every team asks for the pack to be issued; the status becomes
    # ISSUED when the final PDF (which names them) is stored.
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)

    generation = models.CharField(
        max_length=10, choices=Generation.choices, default=Generation.QUEUED
    )
    # `job` names the generation asked for last; `claim` the worker run that holds it. Every
    # write of the task is an UPDATE conditioned on both, so a duplicated, retried or
    # superseded task changes nothing (see tasks.py).
    job = models.UUIDField(default=uuid.uuid4)
    claim = models.UUIDField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(max_length=200, blank=True)
    failure = models.TextField(blank=True)

    pdf = models.FileField(upload_to="boardpacks/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    generated_at = models.DateTimeField(null=True, blank=True)
    # `Portfolio.as_json()` as the pack was built from it: the next pack of the same teams
    # compares with it ("what changed since the previous pack").
    figures = models.JSONField(null=True, blank=True)

    objects = GuardedQuerySet.as_manager()
    write_rule = BoardPackRule()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="board_pack_period_in_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="issued")
                | models.Q(generation="done", issued_at__isnull=False),
                name="board_pack_issued_is_generated",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def is_issuing(self) -> bool:
        """Asked to be issued; the final PDF is not stored yet."""
        return self.issued_at is not None and not self.is_issued

    @property
    def is_working(self) -> bool:
        return self.generation in (self.Generation.QUEUED, self.Generation.RUNNING)


@receiver(m2m_changed, sender=BoardPack.teams.through, dispatch_uid="issued-board-pack-teams")
def guard_issued_teams(sender, instance, action, pk_set, reverse, **kwargs):
    """An issued pack's teams do not change (nor, from a team's side, its packs)."""
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        ids = [instance.pk]
    elif pk_set:
        ids = list(pk_set)
    else:  # team.board_packs.clear()
        ids = list(instance.board_packs.values_list("pk", flat=True))
    issued = list(
        BoardPack.objects.filter(pk__in=ids, status=BoardPack.Status.ISSUED).values_list(
            "pk", flat=True
        )
    )
    if issued:
        raise IssuedBoardPack(issued)
