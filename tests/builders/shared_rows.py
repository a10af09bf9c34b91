"""Rows that cost to build (a draft questionnaire cloned from the bank: ~0.4 s) made once per
test module instead of once per test, and still gone after each test's changes and after the
module."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import connection, transaction

INTEGER_KEYS = {"AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField"}


@dataclass(frozen=True)
class ModuleRows:
    value: Any  # what `build` returned; with several builds, a dict of what each returned
    made: dict[
        str, dict[str, tuple[str, int, int]]
    ]  # build -> table -> (pk column, highest id before, after)

    def hide(self, *builds: str) -> None:
        """Delete the rows the builds made (all when none is named), inside the running test's
        transaction (rolled back after it): for a test of the module that does not ask for
        them."""
        quoted = connection.ops.quote_name
        with connection.cursor() as cursor:
            for build in builds or self.made:
                for table, (pk, low, high) in self.made[build].items():
                    where = f"{quoted(pk)} > %s AND {quoted(pk)} <= %s"
                    cursor.execute(f"DELETE FROM {quoted(table)} WHERE {where}", [low, high])  # noqa: S608


@contextmanager
def module_rows(django_db_blocker, build: Callable[[], Any] | None = None, **builds):
    """Rows made by `build()` (or by each of `builds`, in order) once, in an outer transaction
    around a module's tests: each test's own transaction is a savepoint in it, so a test rolls
    back to those rows, and the outer one is rolled back when the module ends. Yields a
    ModuleRows.

    For modules of plain `django_db` tests only: a transactional test commits, which no test
    of such a module does."""
    named = builds if build is None else {"": build}
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # Django lets a durable atomic block run inside a test case's transaction only: this
        # one stands in for the test case's, as far as the code under test can tell.
        outer._from_testcase = True
        outer.__enter__()
        try:
            values, made = {}, {}
            before = _highest_ids()
            for name, function in named.items():
                values[name] = function()
                after = _highest_ids()
                made[name] = {
                    table: (pk, before[table][1], high)
                    for table, (pk, high) in after.items()
                    if high != before[table][1]
                }
                before = after
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield ModuleRows(value=values[""] if build is not None else values, made=made)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _highest_ids() -> dict[str, tuple[str, int]]:
    """Each table's integer primary key column and its highest value. Tables keyed otherwise
    (the outbox's UUIDs) are left out: MAX() of a UUID is an error on PostgreSQL, and no build
    here makes such rows."""
    quoted = connection.ops.quote_name
    highest = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            pk = model._meta.pk
            if pk.get_internal_type() not in INTEGER_KEYS:
                continue
            table = model._meta.db_table
            cursor.execute(f"SELECT MAX({quoted(pk.column)}) FROM {quoted(table)}")  # noqa: S608
            highest[table] = (pk.column, cursor.fetchone()[0] or 0)
    return highest
