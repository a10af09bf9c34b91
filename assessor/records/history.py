"""Audit trail: django-simple-history, with the bulk paths it does not see by itself closed.

simple-history records every save() and delete() (with the signed-in user, through its
request middleware), but QuerySet.update(), bulk_create() and bulk_update() bypass signals.
Tracked models use `HistoryQuerySet`, which records those too, so no change escapes the trail.
"""

from __future__ import annotations

import contextvars

from django.db import models, transaction
from django.utils import timezone

# The change reason on answer rows copied into a new revision by reassessment: the starting
# point of the revision's trail, not answers its reviewer set.
CARRIED_OVER = "carried over by reassessment"

# Set while bulk_update() runs: it calls update() itself and records history once, after.
_inside_bulk_update = contextvars.ContextVar("inside_bulk_update", default=False)


class HistoryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # Like save(), an update moves the auto_now timestamps ("last update") it does not set.
        now = timezone.now()
        for field in self.model._meta.concrete_fields:
            if getattr(field, "auto_now", False) and field.name not in kwargs:
                kwargs[field.name] = now
        if _inside_bulk_update.get():
            return super().update(**kwargs)
        with transaction.atomic(using=self.db, savepoint=False):
            pks = list(self.select_for_update().values_list("pk", flat=True))
            count = self.model._base_manager.using(self.db).filter(pk__in=pks).update(**kwargs)
            changed = list(self.model._base_manager.using(self.db).filter(pk__in=pks))
            if changed:
                self.model.history.bulk_history_create(changed, update=True)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts") or kwargs.get("ignore_conflicts"):
            # Which rows were inserted or updated is unknown here, so history could not be
            # written faithfully: refuse rather than let changes escape the trail.
            raise TypeError(f"{self.model.__name__}: bulk upserts bypass the audit trail")
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(list(objs), *args, **kwargs)
            if created:
                self.model.history.bulk_history_create(created)
        return created

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        token = _inside_bulk_update.set(True)
        try:
            with transaction.atomic(using=self.db, savepoint=False):
                count = super().bulk_update(objs, fields, *args, **kwargs)
                if objs:
                    self.model.history.bulk_history_create(objs, update=True)
        finally:
            _inside_bulk_update.reset(token)
        return count

    bulk_update.alters_data = True
