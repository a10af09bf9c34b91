"""What never changes once it is out, whichever way a write arrives: the one guard, and the
questionnaire's rules.

The guard: a `Guarded` model names its `WriteRule`, and its `GuardedQuerySet` (or the audited
`GuardedHistoryQuerySet`) asks that rule on save(), delete(), update(), delete() of a QuerySet,
bulk_create() and bulk_update(). Each refusal is a ValidationError raised before anything is
written and after the guard's own transaction block closed, so a caller's transaction stays
usable. Raw SQL, `_base_manager` and the auto-created M2M through models used directly are
below this layer (for records, the hash chain finds what goes around it: see `record_chain`).
The rules for review records (a submitted or approved assessment) are in `locked_records`.

The questionnaire's rules: assessments are pinned to a version and scored against its compiled
document, so a change to a version that left draft would silently rescore them.

- a bank row (`BankRow`) of a published or retired version cannot be saved, updated, deleted,
  bulk-created or bulk-updated, nor can a row move into such a version;
- a bank row cannot link two versions (a draft's weight on a published dimension): deleting one
  side would cascade into the other;
- a questionnaire that left draft keeps its content, document and hash; its status only moves
  published -> retired. At most one version is published (also a database constraint);
- a framework reference cited by a published or retired version is neither edited nor deleted;
- the framework links (M2M) of such a version do not change (`m2m_changed`, see apps.py).

Those refusals are `ImmutableQuestionnaire` errors naming the versions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import Q

from assessor.records.history import HistoryQuerySet, _inside_bulk_update

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"


class ImmutableQuestionnaire(ValidationError):
    """A write that would change a published or retired questionnaire version."""

    def __init__(self, message: str, *, versions: Iterable[str] = ()):
        super().__init__(message, code="immutable_questionnaire")
        self.versions = tuple(versions)


class AlreadyPublished(ValidationError):
    """A second published version: publishing retires the previous one first."""


class MixedVersions(ValidationError):
    """A bank row that would link, or move between, two questionnaire versions."""


def _guarded(using: str, refusal_of, write):
    """`write()` unless `refusal_of()` gives a refusal, both under one lock-holding transaction.

    The refusal is raised once the block is closed: nothing was written, so the caller's own
    transaction (a view's, a test's) is not marked for rollback.
    """
    with transaction.atomic(using=using, savepoint=False):
        refusal = refusal_of()
        if refusal is None:
            return write()
    raise refusal


# --- the one guard: a model's rule asked on every way a write arrives ------------------------


class WriteRule:
    """What a guarded model lets change. Each method returns the refusal (a ValidationError)
    or None; the defaults allow. `rows` is a QuerySet of the model."""

    def save_refusal(self, obj, *, using: str, fields, lock: bool):
        return None

    def delete_refusal(self, rows, *, lock: bool):
        return None

    def update_refusal(self, rows, kwargs: dict):
        return None

    def bulk_create_refusal(self, model, objs: list, *, using: str):
        return None

    def bulk_update_refusal(self, model, objs: list, fields, *, using: str):
        return None


class GuardedQuerySet(models.QuerySet):
    """update(), delete(), bulk_create() and bulk_update() ask the model's `write_rule` first."""

    def delete_refusal(self, *, lock: bool = False):
        return self.model.write_rule.delete_refusal(self, lock=lock)

    def update(self, **kwargs):
        if _inside_bulk_update.get():  # bulk_update() checked its rows already
            return super().update(**kwargs)
        write, rule = super().update, self.model.write_rule
        return _guarded(self.db, lambda: rule.update_refusal(self, kwargs), lambda: write(**kwargs))

    update.alters_data = True

    def delete(self):
        return _guarded(self.db, lambda: self.delete_refusal(lock=True), super().delete)

    delete.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs, write, rule = list(objs), super().bulk_create, self.model.write_rule
        return _guarded(
            self.db,
            lambda: rule.bulk_create_refusal(self.model, objs, using=self.db),
            lambda: write(objs, *args, **kwargs),
        )

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, write, rule = list(objs), super().bulk_update, self.model.write_rule

        def checked_write():
            token = _inside_bulk_update.set(True)  # its own update() calls are covered
            try:
                return write(objs, fields, *args, **kwargs)
            finally:
                _inside_bulk_update.reset(token)

        return _guarded(
            self.db,
            lambda: rule.bulk_update_refusal(self.model, objs, fields, using=self.db),
            checked_write,
        )

    bulk_update.alters_data = True


class GuardedHistoryQuerySet(GuardedQuerySet, HistoryQuerySet):
    """Guarded, and audited: the bulk paths write the history too (see history.py)."""


class Guarded(models.Model):
    """save() and delete() of one row ask the model's `write_rule` (the QuerySet guards the
    bulk paths): set `write_rule` and a Guarded(History)QuerySet manager on the model."""

    write_rule: WriteRule = WriteRule()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        fields, write, rule = kwargs.get("update_fields"), super().save, self.write_rule
        return _guarded(
            using,
            lambda: rule.save_refusal(self, using=using, fields=fields, lock=True),
            lambda: write(*args, **kwargs),
        )

    save.alters_data = True

    def delete(self, using=None, keep_parents=False):
        using = using or router.db_for_write(type(self), instance=self)
        rows = type(self)._default_manager.using(using).filter(pk=self.pk)
        write = super().delete
        return _guarded(
            using,
            lambda: rows.delete_refusal(lock=True),
            lambda: write(using=using, keep_parents=keep_parents),
        )

    delete.alters_data = True


def check_write(obj, *, using: str | None = None) -> None:
    """The guard for one unsaved change of `obj`, without locks: what a form's clean() asks."""
    using = using or router.db_for_write(type(obj), instance=obj)
    refusal = type(obj).write_rule.save_refusal(obj, using=using, fields=None, lock=False)
    if refusal is not None:
        raise refusal


# --- questionnaire versions ------------------------------------------------------------------


def _questionnaire_model():
    # The models module imports this one; the registry breaks the circle.
    return apps.get_model("assessor", "Questionnaire")


def _refuse(frozen: list[tuple[str, str]], what: str = "") -> ImmutableQuestionnaire:
    """The refusal for (version, status) pairs, e.g. 'version 2026.1 is published ...'."""
    if len(frozen) == 1:
        ((version, status),) = frozen
        subject = f"Questionnaire version {version} is {status} and cannot be changed"
        them = "it"
    else:
        listed = ", ".join(f"{version} ({status})" for version, status in frozen)
        subject = f"Questionnaire versions {listed} cannot be changed"
        them = "them"
    return ImmutableQuestionnaire(
        f"{what}{subject}: assessments are pinned to {them}. Clone a version as a new draft "
        "and edit that.",
        versions=[version for version, _ in frozen],
    )


def _statuses(using: str, *sources, lock: bool) -> dict:
    """{questionnaire pk: (version, status)} of the versions the sources name.

    Each source is a set of questionnaire ids or a queryset of them (one query in all); the
    rows are locked so that a publish cannot slip in between the check and the write.
    """
    sources = [source for source in sources if not isinstance(source, set) or source]
    if not sources:
        return {}
    named = Q()
    for source in sources:
        named |= Q(pk__in=source)
    rows = _questionnaire_model()._base_manager.using(using).filter(named)
    if lock:
        rows = rows.select_for_update()
    found = rows.values_list("pk", "version", "status")
    return {pk: (version, status) for pk, version, status in found}


def _rows_versions(model, using: str, pks):
    """The questionnaire ids of rows of `model` (a set, or a subquery)."""
    if model.questionnaire_path == "pk":
        return set(pks) - {None} if isinstance(pks, (set, list)) else pks
    rows = model._base_manager.using(using).filter(pk__in=pks).order_by()
    return rows.values(model.questionnaire_path)


def _frozen_in(statuses: dict) -> list[tuple[str, str]]:
    return sorted(pair for pair in statuses.values() if pair[1] != DRAFT)


# --- bank rows -------------------------------------------------------------------------------


def _bank_links(model) -> list:
    """The many-to-one fields of `model` that point at the questionnaire or another bank row."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.many_to_one and hasattr(field.related_model, "questionnaire_path")
    ]


def _version_of(model, ids: set, using: str) -> dict:
    """{pk: questionnaire pk} of rows of `model`."""
    if model.questionnaire_path == "pk":
        return {pk: pk for pk in ids}
    if not ids:
        return {}
    rows = model._base_manager.using(using).filter(pk__in=ids).order_by()
    return dict(rows.values_list("pk", model.questionnaire_path))


def _versions_per_row(model, objs: list, using: str, fields=None) -> list[set]:
    """For each object: the versions it is stored in and the versions it would link to."""
    versions: list[set] = [set() for _ in objs]
    for field in _bank_links(model):
        if fields is not None and field.name not in fields and field.attname not in fields:
            continue
        ids = {getattr(obj, field.attname) for obj in objs} - {None}
        of = _version_of(field.related_model, ids, using)
        for found, obj in zip(versions, objs, strict=True):
            target = of.get(getattr(obj, field.attname))
            if target is not None:
                found.add(target)
    of = _version_of(model, {obj.pk for obj in objs} - {None}, using)
    for found, obj in zip(versions, objs, strict=True):
        if obj.pk in of:
            found.add(of[obj.pk])
    return versions


def rows_write_refusal(model, objs: list, *, using: str, fields=None, lock: bool = True):
    """Why writing `objs` (rows of a bank model) is refused, or None."""
    if len(objs) == 1:  # the common case, a save(): one query
        (obj,) = objs
        sources = [
            _rows_versions(field.related_model, using, {getattr(obj, field.attname)})
            for field in _bank_links(model)
            if fields is None or field.name in fields or field.attname in fields
        ]
        if obj.pk is not None:
            sources.append(_rows_versions(model, using, {obj.pk}))
        statuses = _statuses(using, *sources, lock=lock)
        per_row = [set(statuses)]
    else:
        per_row = _versions_per_row(model, objs, using, fields)
        statuses = _statuses(using, set().union(*per_row), lock=lock)
    frozen = _frozen_in(statuses)
    if frozen:
        return _refuse(frozen)
    for versions in per_row:
        if len(versions) > 1:
            labels = sorted(statuses[pk][0] for pk in versions)
            return MixedVersions(
                f"A {model._meta.verbose_name} belongs to one questionnaire version; "
                f"this one would link versions {' and '.join(labels)}."
            )
    return None


class BankRowRule(WriteRule):
    """A bank row of a published or retired version does not change, nor move between versions."""

    def save_refusal(self, obj, *, using, fields, lock):
        return rows_write_refusal(type(obj), [obj], using=using, fields=fields, lock=lock)

    def delete_refusal(self, rows, *, lock):
        frozen = _frozen_in(_statuses(rows.db, _versions(rows), lock=lock))
        return _refuse(frozen, "Not deleted. ") if frozen else None

    def update_refusal(self, rows, kwargs):
        moved_to = _moved_to(rows, kwargs)
        frozen = _frozen_in(_statuses(rows.db, _versions(rows), moved_to, lock=True))
        if frozen:
            return _refuse(frozen)
        if moved_to:
            path = rows.model.questionnaire_path
            versions = set(_versions(rows).values_list(path, flat=True))
            if len(versions | moved_to) > 1:
                return MixedVersions(
                    f"{rows.model._meta.verbose_name_plural.capitalize()} cannot move "
                    "between questionnaire versions."
                )
        return None

    def bulk_create_refusal(self, model, objs, *, using):
        return rows_write_refusal(model, objs, using=using)

    def bulk_update_refusal(self, model, objs, fields, *, using):
        return rows_write_refusal(model, objs, using=using, fields=fields)


def _versions(rows):
    return rows.order_by().values(rows.model.questionnaire_path)


def _moved_to(rows, kwargs) -> set:
    """Versions an update(section=..., questionnaire=...) would move the rows into."""
    moved_to = set()
    for field in _bank_links(rows.model):
        for name in (field.name, field.attname):
            if name not in kwargs:
                continue
            value = kwargs[name]
            value = value.pk if isinstance(value, models.Model) else value
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{rows.model.__name__}.{name}: give a row, not an expression")
            targets = _version_of(field.related_model, {value} - {None}, rows.db)
            moved_to |= set(targets.values())
    return moved_to


class BankRow(Guarded):
    """A row of a questionnaire's bank; `questionnaire_path` leads from it to its version."""

    questionnaire_path = "questionnaire"
    write_rule = BankRowRule()

    class Meta:
        abstract = True


# --- the questionnaire row itself --------------------------------------------------------------


def _allowed_move(old: str, new: str) -> bool:
    return old in (new, DRAFT) or (old, new) == (PUBLISHED, RETIRED)


def _second_published(using: str, *, becoming: int, keep: set, lock: bool):
    """Refusal of `becoming` rows turning published while another one (not in `keep`) is."""
    rows = _questionnaire_model()._base_manager.using(using).filter(status=PUBLISHED)
    if lock:
        rows = rows.select_for_update()
    others = sorted(rows.exclude(pk__in=keep).values_list("version", flat=True))
    if becoming > 1 or others:
        already = f"version {', '.join(others)} is" if others else "only one version can be"
        return AlreadyPublished(
            f"Not published: {already} published. Publishing a version retires the previous "
            "one first (the Publish action or publish_questionnaire)."
        )
    return None


def questionnaire_write_refusal(obj, *, using: str, fields=None, lock: bool = True):
    """Why a save of `obj` (a Questionnaire) is refused, or None."""
    model = type(obj)
    stored = None
    if obj.pk is not None:
        rows = model._base_manager.using(using).filter(pk=obj.pk)
        stored = (rows.select_for_update() if lock else rows).first()
    names = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    if fields is not None:
        names = [name for name in names if name in set(fields)]
    if stored is not None and stored.status != DRAFT:
        changed = [n for n in names if n != "status" and getattr(obj, n) != getattr(stored, n)]
        moved = "status" in names and not _allowed_move(stored.status, obj.status)
        if changed or moved:
            return _refuse([(stored.version, stored.status)])
    becomes_published = "status" in names and obj.status == PUBLISHED
    if becomes_published and (stored is None or stored.status != PUBLISHED):
        return _second_published(using, becoming=1, keep={obj.pk} - {None}, lock=lock)
    return None


def _questionnaire_rows(rows, lock: bool) -> list[tuple]:
    rows = rows.select_for_update(of=("self",)) if lock else rows
    return list(rows.order_by().values_list("pk", "version", "status"))


class QuestionnaireRule(WriteRule):
    """Out of draft, only the status moves, and only published -> retired; one published."""

    def save_refusal(self, obj, *, using, fields, lock):
        return questionnaire_write_refusal(obj, using=using, fields=fields, lock=lock)

    def delete_refusal(self, rows, *, lock):
        frozen = sorted((v, s) for _, v, s in _questionnaire_rows(rows, lock) if s != DRAFT)
        return _refuse(frozen, "Not deleted. ") if frozen else None

    def update_refusal(self, rows, kwargs):
        found = _questionnaire_rows(rows, lock=True)
        frozen = sorted((version, old) for _, version, old in found if old != DRAFT)
        status = kwargs.get("status")
        if frozen and (
            set(kwargs) - {"status"}
            or ("status" in kwargs and not isinstance(status, str))
            or ("status" in kwargs and any(not _allowed_move(old, status) for _, old in frozen))
        ):
            return _refuse(frozen)
        if status == PUBLISHED and any(old != PUBLISHED for _, _, old in found):
            keep = {pk for pk, _, _ in found}
            return _second_published(rows.db, becoming=len(found), keep=keep, lock=True)
        return None

    def bulk_create_refusal(self, model, objs, *, using):
        published = sum(obj.status == PUBLISHED for obj in objs)
        if published:
            return _second_published(using, becoming=published, keep=set(), lock=True)
        return None

    def bulk_update_refusal(self, model, objs, fields, *, using):
        for obj in objs:
            found = questionnaire_write_refusal(obj, using=using, fields=fields)
            if found is not None:
                return found
        published = sum(obj.status == PUBLISHED for obj in objs)
        if "status" in fields and published > 1:
            return _second_published(using, becoming=published, keep=set(), lock=True)
        return None


class FrozenOnceOut(Guarded):
    """Questionnaire: a version out of draft never changes (see QuestionnaireRule)."""

    questionnaire_path = "pk"
    write_rule = QuestionnaireRule()

    class Meta:
        abstract = True


# --- framework references ------------------------------------------------------------------------


def citations(using: str, refs) -> list[tuple[str, str, str]]:
    """(ref, version, status) for each non-draft version citing one of `refs` (a pk queryset)."""
    reference = apps.get_model("assessor", "FrameworkReference")
    found = set()
    for relation in reference._meta.related_objects:
        if not relation.many_to_many:
            continue
        through, cited_by = relation.through, relation.related_model
        link = next(
            f.name for f in through._meta.fields if f.many_to_one and f.related_model is cited_by
        )
        to_version = (
            link
            if cited_by.questionnaire_path == "pk"
            else (f"{link}__{cited_by.questionnaire_path}")
        )
        found.update(
            through._base_manager.using(using)
            .filter(frameworkreference__in=refs)
            .exclude(**{f"{to_version}__status": DRAFT})
            .values_list(
                "frameworkreference__ref", f"{to_version}__version", f"{to_version}__status"
            )
        )
    return sorted(found)


def _refuse_citations(cited: list[tuple[str, str, str]], what: str) -> ImmutableQuestionnaire:
    refs = ", ".join(sorted({ref for ref, _, _ in cited}))
    versions = sorted({(version, status) for _, version, status in cited})
    listed = ", ".join(f"{version} ({status})" for version, status in versions)
    return ImmutableQuestionnaire(
        f"Not {what}: framework reference {refs} is cited by questionnaire version {listed}, "
        "which cannot change.",
        versions=[version for version, _ in versions],
    )


class ReferenceRule(WriteRule):
    """A reference cited by a published or retired version is protected, like PROTECT."""

    def save_refusal(self, obj, *, using, fields, lock):
        return reference_write_refusal(obj, using=using)

    def delete_refusal(self, rows, *, lock):
        cited = citations(rows.db, rows.values("pk"))
        return _refuse_citations(cited, "deleted") if cited else None

    def update_refusal(self, rows, kwargs):
        cited = citations(rows.db, rows.values("pk"))
        return _refuse_citations(cited, "changed") if cited else None

    def bulk_update_refusal(self, model, objs, fields, *, using):
        cited = citations(using, [obj.pk for obj in objs])
        return _refuse_citations(cited, "changed") if cited else None


def reference_write_refusal(obj, *, using: str):
    """Why editing `obj` (a reference) is refused: a non-draft version cites it. Or None."""
    if obj.pk is None:
        return None
    stored = type(obj)._base_manager.using(using).filter(pk=obj.pk).first()
    if stored is None:
        return None
    names = [f.attname for f in type(obj)._meta.concrete_fields if not f.primary_key]
    if any(getattr(obj, n) != getattr(stored, n) for n in names):
        cited = citations(using, [obj.pk])
        if cited:
            return _refuse_citations(cited, "changed")
    return None


class ProtectedWhenCited(Guarded):
    """FrameworkReference: see ReferenceRule."""

    write_rule = ReferenceRule()

    class Meta:
        abstract = True


# --- the M2M links ---------------------------------------------------------------------------


def guard_framework_links(sender, instance, action, reverse, model, pk_set, using, **kwargs):
    """m2m_changed: the framework links of a non-draft version (either side) do not change.

    Sent inside the related manager's transaction, so a refusal here rolls back the caller's.
    """
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        cited_by, ids = type(instance), {instance.pk}
    else:
        cited_by = model
        if pk_set is None:  # reference.<x>_set.clear(): every row that cites it
            link = next(
                f.attname
                for f in sender._meta.fields
                if f.many_to_one and f.related_model is cited_by
            )
            ids = set(
                sender._base_manager.using(using)
                .filter(frameworkreference=instance)
                .values_list(link, flat=True)
            )
        else:
            ids = set(pk_set)
    frozen = _frozen_in(_statuses(using, _rows_versions(cited_by, using, ids), lock=True))
    if frozen:
        raise _refuse(frozen, "Framework links not changed. ")
