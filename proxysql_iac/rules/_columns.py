"""Shared helpers for the rules that restate ProxySQL's table constraints."""

import json
from collections.abc import Iterator
from functools import cache

from proxysql_iac.spec.compile import Desired, DesiredRow, Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import (
    TABLES,
    Column,
    Kind,
    OneOf,
    Range,
    StartsWith,
    Table,
)


def _reject_constant(name: str) -> None:
    """NaN and Infinity are not JSON: SQLite's json_valid() rejects them."""
    raise ValueError(name)


def column_problem(column: Column, value: Value) -> str | None:
    """What ProxySQL's CHECK on this column would say about `value`, or None if it passes."""
    if value is None:
        return f"{column.name} cannot be null (NOT NULL in ProxySQL)" if column.not_null else None
    check = column.check
    if (check is None and column.kind is not Kind.JSON) or isinstance(value, SecretRef):
        return None
    if column.kind is Kind.JSON:
        if isinstance(value, str) and value != "":
            try:
                json.loads(value, parse_constant=_reject_constant)
            except ValueError:
                return f"{column.name} must be valid JSON or empty"
        return None
    if isinstance(check, Range) and isinstance(value, int):
        too_low = check.min is not None and value < check.min
        too_high = check.max is not None and value > check.max
        if too_low or too_high:
            return f"{check.describe(column.name)}; got {value}"
    elif isinstance(check, OneOf):
        shown = str(value)
        if (shown.upper() if check.case_insensitive else shown) not in _allowed(check):
            return f"{check.describe(column.name)}; got {value!r}"
    elif (
        isinstance(check, StartsWith)
        and isinstance(value, str)
        and not value.startswith(check.prefix)
    ):
        return f"{check.describe(column.name)}; got {value!r}"
    return None


# Per table: the columns `column_problem` may find something wrong with in a value not NULL.
CHECKED_COLUMNS = {
    t.name: frozenset(c.name for c in t.columns if c.check is not None or c.kind is Kind.JSON)
    for t in TABLES
}


class ColumnProblems:
    """`column_problem`, worked out once per column and value (60,000 rows hold few
    distinct values per column)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, type, int | str], str | None] = {}

    def of(self, column: Column, value: Value) -> str | None:
        if not isinstance(value, (int, str)):  # None, a reference: nothing to remember
            return column_problem(column, value)
        key = (id(column), type(value), value)  # True and 1 are equal, and differ here
        if key not in self._seen:
            self._seen[key] = column_problem(column, value)
        return self._seen[key]


@cache
def _allowed(check: OneOf) -> frozenset[str]:
    """The values a OneOf allows, as text (upper case when it ignores case)."""
    return frozenset(str(v).upper() if check.case_insensitive else str(v) for v in check.values)


def written_rows(desired: Desired) -> Iterator[tuple[Table, DesiredRow]]:
    """Every row the spec wrote, also those with an error in another column: checks of
    single values (a row's `written` holds only the columns that compiled)."""
    for table in TABLES:
        for row in desired.written_rows(table.name):
            yield table, row
