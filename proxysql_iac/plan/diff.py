"""Diff `Desired` against a node's MEMORY tables: rows to add, remove and change.

Rows match by each table's key columns. Passwords compare by meaning (clear text, the
mysql_native_password hash and the caching_sha2 hash of one secret are the same password),
JSON columns by their parsed value, `status` case-insensitively, as ProxySQL reads it.
"""

import contextlib
import json
import operator
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from proxysql_iac.admin.connection import Row
from proxysql_iac.admin.live import Live, Written, spec_columns
from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.secrets import native_password_hash, password_matches
from proxysql_iac.spec.compile import Desired, DesiredRow, Value
from proxysql_iac.spec.load import PathT
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import (
    TABLES,
    VARIABLE_SECTIONS,
    Column,
    Kind,
    Load,
    Module,
    Table,
    variable_module,
)

Action = Literal["add", "remove", "change"]
Resolver = Callable[[SecretRef], str]


class RowChange(NamedTuple):
    table: str
    action: Action
    key: tuple[SqlValue, ...]
    new: dict[str, Value]  # add: the full desired row; change: the changed columns only
    old: dict[str, SqlValue]  # remove: the live row; change: the changed columns' live values
    origin: PathT = ()


class VariableChange(NamedTuple):
    name: str
    module: str
    old: str | None
    new: str | SecretRef
    origin: PathT = ()


@dataclass
class ChangeSet:
    rows: list[RowChange] = field(default_factory=list)
    variables: list[VariableChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rows and not self.variables

    def modules(self) -> list[str]:
        touched = {TABLE_MODULE[c.table] for c in self.rows} | {v.module for v in self.variables}
        return [m.keyword for m in _MODULE_ORDER if m.keyword in touched]


TABLE_MODULE: dict[str, str] = {t.name: t.module.keyword for t in TABLES}
_MODULE_ORDER: list[Module] = []
for _t in TABLES:
    if _t.module not in _MODULE_ORDER:
        _MODULE_ORDER.append(_t.module)
for _m in VARIABLE_SECTIONS.values():
    _MODULE_ORDER.insert(0, _m)


def desired_key(table: Table, values: dict[str, Value]) -> tuple[SqlValue, ...]:
    return tuple(None if isinstance(v, SecretRef) else v for v in (values[c] for c in table.key))


def live_key(table: Table, row: Row) -> tuple[SqlValue, ...]:
    index = {c: i for i, c in enumerate(table.column_names)}
    return tuple(row[index[c]] for c in table.key)


def _json_same(a: object, b: object) -> bool:
    """JSON equality where true, 1 and 1.0 differ: ProxySQL reads integers only."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def same_value(column: Column, desired: Value, live: SqlValue, resolve: Resolver) -> bool:
    """Does the node's value (typed as read) mean the desired one? Integers compare as
    numbers; text as LOAD leaves it (column.load); passwords by meaning; JSON parsed."""
    if column.kind is Kind.INT or isinstance(live, int):
        return desired == live
    if isinstance(desired, SecretRef):
        return password_matches(live, resolve(desired))
    text = None if desired is None else str(desired)
    if column.load is not Load.KEEP:
        text, live = column.loaded(text), column.loaded(live)
    if text is None or live is None or text == live:
        return text == live
    if column.secret:
        if password_matches(live, text) or password_matches(text, live):
            return True
        return text.startswith("*") and native_password_hash(live) == text.upper()
    if column.kind is Kind.JSON and text != "" and live != "":
        try:
            return _json_same(json.loads(text), json.loads(live))
        except ValueError:
            return False
    return False


def _as_read(
    values: dict[str, Value], names: tuple[str, ...], resolve: Resolver, secret: tuple[int, ...]
) -> Row:
    """A desired row exactly as reading it back from a node would give it, had it been
    written as is (`secret`: the positions of the columns that may hold a secret reference,
    the only values that are not already as read)."""
    row = tuple(map(values.get, names))
    for index in secret:
        value = row[index]
        if isinstance(value, SecretRef):
            row = (*row[:index], resolve(value), *row[index + 1 :])
    return row  # type: ignore[return-value]  # no SecretRef left


def as_read(table: Table, desired: list[DesiredRow], resolve: Resolver) -> list[Row]:
    """The desired rows exactly as a node holding them gives them back (a column at a time
    where secrets are resolved: 50,000 users share a reference or a few)."""
    values_of = operator.itemgetter(*table.column_names)
    rows: list[Row] = [values_of(row.values) for row in desired]
    if not rows or not table.secret_positions:
        return rows
    columns = list(zip(*rows, strict=True))
    for index in table.secret_positions:
        refs = {id(v): v for v in columns[index] if isinstance(v, SecretRef)}
        if refs:
            resolved = {key: resolve(ref) for key, ref in refs.items()}
            columns[index] = tuple(
                resolved[id(v)] if isinstance(v, SecretRef) else v for v in columns[index]
            )
    return list(zip(*columns, strict=True))


class SpecAsWritten:
    """The spec's rows of each table as a node holding exactly them writes them out
    (`spec_columns`), worked out once a table: plan's read of the primary compares them with
    its memory, and apply's proof after its edits."""

    def __init__(self, desired: Desired, resolve: Resolver) -> None:
        self.desired, self.resolve = desired, resolve
        self._tables: dict[str, Future[Written | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, table: Table) -> Written | None:
        """(Waits for another thread working the same table out.)"""
        with self._lock:
            future = self._tables.get(table.name)
            mine = future is None
            if future is None:
                future = self._tables[table.name] = Future()
        if mine:
            try:
                rows = as_read(table, self.desired.rows(table.name), self.resolve)
                future.set_result(spec_columns(table, rows))
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def warm(self, tables: list[Table]) -> None:
        """Work `tables` out on a daemon thread of their own, while the caller reads a node
        (a large table is 0.2 s of work). What goes wrong there is raised to whoever asks
        for that table, not printed by the thread."""

        def work() -> None:
            for table in tables:
                with contextlib.suppress(BaseException):
                    self(table)

        threading.Thread(target=work, daemon=True).start()


def _same_row(table: Table, desired: DesiredRow, row: Row, resolve: Resolver) -> bool:
    return all(
        same_value(column, desired.values[column.name], row[index], resolve)
        for index, column in enumerate(table.columns)
    )


def _rejoin_split_rows(
    table: Table, desired: list[DesiredRow], live: list[Row], resolve: Resolver
) -> list[Row]:
    """A node that took its rows from a peer's runtime (every Cluster peer: a primary in
    waiting) holds each user as a frontend-only and a backend-only row. A pair that is
    exactly a desired row split in two counts as that row; any other pair is diffed as it
    is (and rewritten as one row)."""
    if not table.split_flags:
        return live
    index = {c: i for i, c in enumerate(table.column_names)}
    flags = [index[f] for f in table.split_flags]
    rest = [c for c in table.key if c not in table.split_flags]
    wanted = {
        tuple(str(row.values[c]) for c in rest): row
        for row in desired
        if all(row.values[f] == 1 for f in table.split_flags)
    }
    groups: dict[tuple[SqlValue, ...], list[Row]] = {}
    for row in live:
        groups.setdefault(tuple(row[index[c]] for c in rest), []).append(row)
    out: list[Row] = []
    for group_key, rows in groups.items():
        target = wanted.get(tuple(str(v) for v in group_key))
        lit = sorted(tuple(str(row[i]) for i in flags) for row in rows)
        one_each = len(rows) == len(flags) and lit == sorted(
            tuple("1" if j == k else "0" for j in range(len(flags))) for k in range(len(flags))
        )
        if target is not None and one_each:
            first = list(rows[0])
            for i in flags:
                first[i] = 1
            joined = tuple(first)
            others_agree = all(
                row[i] == joined[i] for row in rows for i in range(len(joined)) if i not in flags
            )
            if others_agree and _same_row(table, target, joined, resolve):
                out.append(joined)
                continue
        out.extend(rows)
    return out


def diff_table(
    table: Table, desired: list[DesiredRow], live: list[Row], resolve: Resolver
) -> list[RowChange]:
    columns = table.columns
    names, secret = table.column_names, table.secret_positions
    if len(live) == len(desired):
        # the common case: every row exactly as a node shows it, nothing else. A node's rows
        # differ by their key, and so do a valid spec's: equal sets of as many rows are
        # equal tables (a repeated row makes a set shorter, and falls to the diff below)
        as_read = {_as_read(row.values, names, resolve, secret) for row in desired}
        if len(as_read) == len(live) and as_read == set(live):
            return []
    live = _rejoin_split_rows(table, desired, live, resolve)
    by_key: dict[tuple[SqlValue, ...], Row] = {live_key(table, row): row for row in live}
    changes: list[RowChange] = []
    wanted: set[tuple[SqlValue, ...]] = set()
    for row in desired:
        key = desired_key(table, row.values)
        wanted.add(key)
        current = by_key.get(key)
        if current is None:
            changes.append(RowChange(table.name, "add", key, dict(row.values), {}, row.origin))
            continue
        if _as_read(row.values, names, resolve, secret) == current:
            continue  # the common case, settled without per-column rules
        new: dict[str, Value] = {}
        old: dict[str, SqlValue] = {}
        for index, column in enumerate(columns):
            if not same_value(column, row.values[column.name], current[index], resolve):
                new[column.name] = row.values[column.name]
                old[column.name] = current[index]
        if new:
            changes.append(RowChange(table.name, "change", key, new, old, row.origin))
    for key, live_row in by_key.items():
        if key not in wanted:
            old_row = {c.name: live_row[i] for i, c in enumerate(columns)}
            changes.append(RowChange(table.name, "remove", key, {}, old_row))
    return changes


def diff_variables(
    desired: Desired, current: dict[str, str], resolve: Resolver, module: str = ""
) -> list[VariableChange]:
    """The spec's variables (of one module, or all) against a node's memory values."""
    changes = []
    for name, variable in sorted(desired.variables.items()):
        keyword = variable_module(name).keyword
        if module and keyword != module:
            continue
        have = current.get(name)
        value = variable.value
        if isinstance(value, SecretRef):
            if have is not None and have == resolve(value):
                continue
            changes.append(VariableChange(name, keyword, have, value, variable.origin))
            continue
        text = variable.text or ""
        if have != text:
            changes.append(VariableChange(name, keyword, have, text, variable.origin))
    return changes


def diff(desired: Desired, live: Live, resolve: Resolver) -> ChangeSet:
    """The spec against a node's memory. Tables no command loads (`Module.loadable`) are left
    out: pxc does not write rows that never take effect (plan says so)."""
    changes = ChangeSet()
    for table in TABLES:
        if not desired.manages(table.name) or not table.module.loadable:
            continue
        if table.name in live.as_spec:
            continue  # the node's memory holds exactly the spec's rows
        changes.rows.extend(
            diff_table(table, desired.rows(table.name), live.memory.get(table.name, []), resolve)
        )
    changes.variables = diff_variables(desired, live.variables, resolve)
    return changes
