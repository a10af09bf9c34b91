"""Queries whose SQL the ORM builds once per process and database, then runs with new values.

Building a query's SQL (the select list, the joins, the WHERE tree) costs the ORM more than
the database takes to answer it: 1-1.5 ms for the record and roles a wizard step reads, against
0.2 ms in PostgreSQL or SQLite. A page that runs the same query shape on every request
(`access.assessment_for`, `selectors.answers_shown`) builds it once here: the queryset is
built with marker values, compiled by the ORM, and each later call swaps the real values in
for the markers' parameters and applies the ORM's own converters to the rows (JSON, dates,
booleans), so the rows are those `values_list` would return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connections
from django.db.models import QuerySet

# Parameter values no query of the app passes (ids are positive): each marks where a named
# value goes in the compiled SQL's parameters.
_MARKER_BASE = -917_000_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # the compiled parameters, markers included
    slots: tuple[str | None, ...]  # per parameter: the name of the value it takes, or None
    converters: dict  # column position -> (converter functions, expression), as the ORM has


class PreparedQuery:
    """`build(**markers)` returns a `values_list` queryset; `rows(**values)` runs its SQL."""

    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self._build = build
        self._names = names
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def rows(self, *, using: str = "default", **values) -> list[tuple]:
        """The rows for these values (ids: ints), as the queryset built with them returns."""
        connection = connections[using]
        low, high = connection.ops.integer_field_range("BigIntegerField")
        if any(type(value) is int and not low <= value <= high for value in values.values()):
            # No row holds an id the database cannot store; the ORM answers no rows for it
            # too, where the database driver would raise (SQLite: OverflowError).
            return []
        compiled = self._compiled_for(using, connection.vendor)
        params = [
            value if slot is None else values[slot]
            for slot, value in zip(compiled.slots, compiled.params, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not compiled.converters:
            return rows
        return [self._converted(row, compiled.converters, connection) for row in rows]

    @staticmethod
    def _converted(row, converters: dict, connection) -> tuple:
        # What SQLCompiler.apply_converters does, with the connection of this thread.
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return tuple(row)

    def _compiled_for(self, using: str, vendor: str) -> _Compiled:
        key = (using, vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, using: str) -> _Compiled:
        markers = {name: _MARKER_BASE - index for index, name in enumerate(self._names)}
        queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in markers.items()}
        slots = tuple(by_value.get(value) if type(value) is int else None for value in params)
        for name in self._names:
            if slots.count(name) != 1:  # a value the ORM folded into the SQL, or used twice
                raise ValueError(f"{name!r} is not one parameter of the compiled query")
        columns = [select[0] for select in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(columns)
        return _Compiled(sql=sql, params=tuple(params), slots=slots, converters=converters)
