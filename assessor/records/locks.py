"""A submitted or approved assessment does not change, whichever way a write arrives.

The rules for review records, asked by the guard in `immutability` (the same one the
questionnaire's rules use), below the pages, the API, the admin and the commands:

- an assessment's status moves only one step of the review workflow (draft or returned ->
  submitted, submitted -> approved or returned), and only with the decision that moves it:
  the record's latest `Decision` is that step's (the review services record it first). A save
  of a submitted or approved record that changes anything else, an update() or delete() of
  one, and a record created in any status but draft are refused;
- the answers of a submitted or approved record are neither saved, updated, deleted nor
  added to;
- decisions are the record's history: added, never changed or deleted;
- the approved PDF is stored once, for an approved record, and never changes;
- one field is register metadata and may change in any status: `agent` (which AI agent runs
  the workflow). It is not what was assessed and the hash chain does not cover it.

Each refusal is a `LockedRecord` (a ValidationError) naming the records. Reassessing makes a
new draft revision: the way to change what an approved record says.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connections, models

from assessor.records.guard import WriteRule

DRAFT, SUBMITTED, APPROVED, RETURNED = "draft", "submitted", "approved", "returned"
EDITABLE = (DRAFT, RETURNED)
ANY_STATUS = (DRAFT, SUBMITTED, APPROVED, RETURNED)

# The review workflow's steps: (from, to) -> the fields the step may change with the status
# (None: any, the record being a draft until the step is taken). Each needs its decision.
MOVES: dict[tuple[str, str], frozenset | None] = {
    (DRAFT, SUBMITTED): None,
    (RETURNED, SUBMITTED): None,
    (SUBMITTED, APPROVED): frozenset({"status", "version"}),
    (SUBMITTED, RETURNED): frozenset({"status", "version", "snapshot_document", "snapshot_result"}),
}
# Set by save() itself, whatever the caller meant.
_AUTOMATIC = {"updated_at"}
# Register metadata: which agent runs the workflow. It says nothing about what was assessed
# (answers, verdict, snapshot, decisions: all that the hash chain covers), so an approved
# record can be attached to an agent later without a new revision. History records who did.
REGISTER_FIELDS = {"agent_id"}


class LockedRecord(ValidationError):
    """A write that would change a submitted or approved assessment, or its history."""

    def __init__(self, message: str, *, records: Iterable[int] = ()):
        super().__init__(message, code="locked_record")
        self.records = tuple(records)


def _assessment_model():
    # The models module imports this one; the registry breaks the circle.
    return apps.get_model("assessor", "Assessment")


def _refuse(rows: list[tuple[int, str, str]], what: str = "") -> LockedRecord:
    """The refusal for (id, name, status) rows, e.g. 'Assessment 'X' (id 3) is approved ...'."""
    listed = ", ".join(f"{name!r} (id {pk}, {status})" for pk, name, status in sorted(rows))
    subject = "Assessment" if len(rows) == 1 else "Assessments"
    return LockedRecord(
        f"{what}{subject} {listed} cannot be changed: a submitted or approved record is "
        "fixed. Return it for changes (if submitted) or reassess it as a new revision.",
        records=[pk for pk, _, _ in rows],
    )


def _records(using: str, ids, *, lock: bool) -> list[tuple[int, str, str]]:
    """(id, name, status) of the assessments `ids` names (a set, or a subquery of ids)."""
    if isinstance(ids, set):
        ids = ids - {None}
        if not ids:
            return []
    rows = _assessment_model()._base_manager.using(using).filter(pk__in=ids).order_by()
    if lock:
        rows = rows.select_for_update()
    return list(rows.values_list("pk", "name", "status"))


# --- records seen editable in this transaction ------------------------------------------------


class _SeenEditable:
    """An on_commit callback that does nothing and stands for "record `pk` was claimed while
    editable, its row locked, in this transaction". Django drops it when the transaction ends
    or when the savepoint it was registered in rolls back, and then it no longer counts: so a
    wizard save, which claims its record with one locking UPDATE (`claim_editable`), writes its
    answers without the guard reading the record again."""

    __slots__ = ("pk",)

    def __init__(self, pk: int):
        self.pk = pk

    def __call__(self):
        pass


def _seen_editable(using: str) -> set[int]:
    connection = connections[using]
    if not connection.in_atomic_block:
        return set()
    return {func.pk for _, func, _ in connection.run_on_commit if isinstance(func, _SeenEditable)}


def _forget(using: str, pks) -> None:
    """A record written through the models may have moved on: read it again next time."""
    connection = connections[using]
    connection.run_on_commit = [
        entry
        for entry in connection.run_on_commit
        if not (isinstance(entry[1], _SeenEditable) and entry[1].pk in pks)
    ]


def claim_editable(rows, pk: int, **fields) -> bool:
    """UPDATE record `pk` among `rows` (a base-manager QuerySet, with any further filter such as
    the version a form was opened at) with `fields`, only if it is a draft or returned; whether
    it was. The UPDATE locks the row, so the record stays editable until this transaction ends:
    its answers are then written without another look."""
    if "status" in fields:
        raise TypeError("claim_editable() does not move a status: the review services do.")
    claimed = rows.filter(pk=pk, status__in=EDITABLE).update(**fields)
    if claimed and connections[rows.db].in_atomic_block:
        connections[rows.db].on_commit(_SeenEditable(pk))
    return bool(claimed)


def _latest_decision(using: str, pk: int) -> str | None:
    decisions = apps.get_model("assessor", "Decision")._base_manager.using(using)
    return (
        decisions.filter(assessment_id=pk).order_by("-id").values_list("action", flat=True).first()
    )


# --- the assessment row ----------------------------------------------------------------------


def assessment_write_refusal(obj, *, using: str, fields=None, lock: bool = True):
    """Why a save of `obj` (an Assessment) is refused, or None."""
    model = type(obj)
    stored = None
    if obj.pk is not None:
        rows = model._base_manager.using(using).filter(pk=obj.pk)
        stored = (rows.select_for_update() if lock else rows).first()
    if stored is None:
        if obj.status != DRAFT:
            return LockedRecord(
                f"A record starts as a draft, not {obj.status}: the review services move it."
            )
        return None
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    if fields is not None:
        names = [name for name in names if name in set(fields)]
    fixed = [n for n in names if n not in _AUTOMATIC and n not in REGISTER_FIELDS]
    changed = {n for n in fixed if getattr(obj, n) != getattr(stored, n)}
    old, new = stored.status, obj.status if "status" in names else stored.status
    if old == new:
        return _refuse([(stored.pk, stored.name, old)]) if changed and old not in EDITABLE else None
    return _move_refusal(stored, new, changed, using)


def _move_refusal(stored, new: str, changed: set, using: str):
    """Refusal of moving `stored` to status `new` changing `changed`, or None."""
    key = (stored.status, new)
    if key not in MOVES:
        return LockedRecord(
            f"Assessment {stored.name!r} (id {stored.pk}) cannot go from {stored.status} to "
            f"{new}: the review workflow moves a record only from draft or returned to "
            "submitted, and from submitted to approved or returned.",
            records=[stored.pk],
        )
    allowed = MOVES[key]
    if allowed is not None and not changed <= allowed:
        return _refuse([(stored.pk, stored.name, stored.status)])
    if _latest_decision(using, stored.pk) != new:
        return LockedRecord(
            f"Assessment {stored.name!r} (id {stored.pk}) moves to {new} only with the decision "
            "that moves it, recorded first: use the review workflow (submit, approve, return).",
            records=[stored.pk],
        )
    return None


class AssessmentRule(WriteRule):
    """A submitted or approved record is fixed; the status moves one workflow step at a time."""

    def save_refusal(self, obj, *, using, fields, lock):
        _forget(using, {obj.pk})
        return assessment_write_refusal(obj, using=using, fields=fields, lock=lock)

    def delete_refusal(self, rows, *, lock):
        locked = [row for row in _records(rows.db, rows.values("pk"), lock=lock) if _fixed(row)]
        return _refuse(locked, "Not deleted. ") if locked else None

    def update_refusal(self, rows, kwargs):
        found = _records(rows.db, rows.values("pk"), lock=True)
        _forget(rows.db, {pk for pk, _, _ in found})
        locked = [row for row in found if _fixed(row)]
        if locked:
            return _refuse(locked)
        status = kwargs.get("status")
        if "status" in kwargs and any(row[2] != status for row in found):
            return LockedRecord(
                "A record's status moves only through the review workflow (submit, approve, "
                "return), one record and one decision at a time; not by update().",
                records=[pk for pk, _, _ in found],
            )
        return None

    def bulk_create_refusal(self, model, objs, *, using):
        if any(obj.status != DRAFT for obj in objs):
            return LockedRecord("A record starts as a draft: the review services move it.")
        return None

    def bulk_update_refusal(self, model, objs, fields, *, using):
        _forget(using, {obj.pk for obj in objs})
        for obj in objs:
            found = assessment_write_refusal(obj, using=using, fields=fields)
            if found is not None:
                return found
        return None


def _fixed(row: tuple[int, str, str]) -> bool:
    return row[2] not in EDITABLE


# --- rows that belong to one record: answers, decisions, the approved PDF -------------------------


class RecordPartRule(WriteRule):
    """Rows of one record (`assessment`): added while the record is in `adds_when`, changed or
    deleted while it is in `changes_when`."""

    def __init__(self, what: str, *, adds_when: tuple, changes_when: tuple, why: str):
        self.what, self.adds_when, self.changes_when, self.why = what, adds_when, changes_when, why

    def _refusal(self, using: str, ids, allowed: tuple, verb: str, *, lock: bool):
        claimed = isinstance(ids, set) and ids - {None} <= _seen_editable(using)
        if claimed and set(EDITABLE) <= set(allowed):  # claimed editable, still locked
            return None
        found = [row for row in _records(using, ids, lock=lock) if row[2] not in allowed]
        if not found:
            return None
        listed = ", ".join(f"{name!r} (id {pk}, {status})" for pk, name, status in sorted(found))
        return LockedRecord(
            f"Not {verb}: the {self.what} of {listed} {self.why}", records=[r[0] for r in found]
        )

    def save_refusal(self, obj, *, using, fields, lock):
        stored = []
        if obj.pk is not None:
            rows = type(obj)._base_manager.using(using).filter(pk=obj.pk)
            stored = list(rows.values_list("assessment_id", flat=True))
        if not stored:
            return self._refusal(using, {obj.assessment_id}, self.adds_when, "added to", lock=lock)
        ids = {obj.assessment_id, *stored}
        return self._refusal(using, ids, self.changes_when, "changed", lock=lock)

    def delete_refusal(self, rows, *, lock):
        ids = rows.order_by().values("assessment_id")
        return self._refusal(rows.db, ids, self.changes_when, "deleted", lock=lock)

    def update_refusal(self, rows, kwargs):
        ids = set(rows.order_by().values_list("assessment_id", flat=True))
        for name in ("assessment", "assessment_id"):
            if name in kwargs:  # moving rows into another record changes that one too
                value = kwargs[name]
                ids.add(value.pk if isinstance(value, models.Model) else value)
        return self._refusal(rows.db, ids, self.changes_when, "changed", lock=True)

    def bulk_create_refusal(self, model, objs, *, using):
        ids = {obj.assessment_id for obj in objs}
        return self._refusal(using, ids, self.adds_when, "added to", lock=True)

    def bulk_update_refusal(self, model, objs, fields, *, using):
        pks = {obj.pk for obj in objs} - {None}
        stored = model._base_manager.using(using).filter(pk__in=pks).order_by()  # no join
        ids = {obj.assessment_id for obj in objs} | set(
            stored.values_list("assessment_id", flat=True)
        )
        return self._refusal(using, ids, self.changes_when, "changed", lock=True)


ANSWER_RULE = RecordPartRule(
    "answers",
    adds_when=EDITABLE,
    changes_when=EDITABLE,
    why="are fixed once submitted: return it for changes, or reassess it as a new revision.",
)
DECISION_RULE = RecordPartRule(
    "decisions",
    adds_when=ANY_STATUS,
    changes_when=(),
    why="are its history: a decision is recorded once and never changed or deleted.",
)
APPROVED_REPORT_RULE = RecordPartRule(
    "approved PDF",
    adds_when=(APPROVED,),
    changes_when=(),
    why="is stored once, at approval, and never changes.",
)
CHAIN_RULE = RecordPartRule(
    "hash chain",
    adds_when=ANY_STATUS,
    changes_when=(),
    why="is its tamper evidence: a link is added once and never changed or deleted.",
)
