"""Rows that cost to build (a draft questionnaire cloned from the bank: ~0.4 s) made once per
test module instead of once per test, and still gone after each test's changes and after the
module."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction


@dataclass(frozen=True)
class ModuleRows:
    value: Any  # what `build` returned
    first_ids: dict[str, tuple[str, int]]  # table -> (its primary key column, highest id before)

    def hide(self) -> None:
        """Delete the rows `build` made, inside the running test's transaction (rolled back
        after it): for a test of the module that does not ask for them."""
        with connection.cursor() as cursor:
            for table, (pk, highest) in self.first_ids.items():
                quoted = connection.ops.quote_name
                cursor.execute(f"DELETE FROM {quoted(table)} WHERE {quoted(pk)} > %s", [highest])  # noqa: S608


@contextmanager
def module_rows(django_db_blocker, build: Callable[[], Any]):
    """Rows made by `build()` once, in an outer transaction around a module's tests: each
    test's own transaction is a savepoint in it, so a test rolls back to those rows, and the
    outer one is rolled back when the module ends. Yields a ModuleRows.

    For modules of plain `django_db` tests only: a transactional test commits, which no test
    of such a module does."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        # Django lets a durable atomic block run inside a test case's transaction only: this
        # one stands in for the test case's, as far as the code under test can tell.
        outer._from_testcase = True
        outer.__enter__()
        try:
            before = _highest_ids()
            value = build()
            after = _highest_ids()
            made = {t: before[t] for t in after if after[t][1] != before[t][1]}
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield ModuleRows(value=value, first_ids=made)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _highest_ids() -> dict[str, tuple[str, int]]:
    quoted = connection.ops.quote_name
    highest = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            pk = connection.introspection.get_primary_key_column(cursor, table)
            if pk is None:
                continue
            cursor.execute(f"SELECT MAX({quoted(pk)}) FROM {quoted(table)}")  # noqa: S608
            highest[table] = (pk, cursor.fetchone()[0] or 0)
    return highest
