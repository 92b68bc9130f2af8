"""Reading a node: memory/runtime/disk rows of given tables, variables, checksums, version."""

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from proxysql_iac.admin.connection import AdminConnection, Row, integer_text
from proxysql_iac.admin.sql import (
    Statement,
    UnsafeStatement,
    identifier,
    literal_lines,
    raw_query,
    select,
)
from proxysql_iac.spec.tables import Table


class ModuleChecksum(NamedTuple):
    name: str
    version: int
    epoch: int
    checksum: str


@dataclass
class Live:
    """One node's configuration as read: table rows typed by column (integers as int, the
    rest as the text the node sent), variables as text."""

    node: str
    version: str = ""
    memory: dict[str, list[Row]] = field(default_factory=dict)
    runtime: dict[str, list[Row]] = field(default_factory=dict)
    disk: dict[str, list[Row]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    runtime_variables: dict[str, str] = field(default_factory=dict)
    disk_variables: dict[str, str] = field(default_factory=dict)
    checksums: dict[str, ModuleChecksum] = field(default_factory=dict)
    memory_checksums: dict[str, str] = field(default_factory=dict)  # table -> CHECKSUM MEMORY
    # (table, "runtime"|"disk") -> keys of rows that differ from memory, compared on the node
    differences: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    clock: int = 0  # the node's own Unix time when it was read
    apply_mark: int = 0  # start time of a pxc apply that left memory edits behind (0: none)
    # tables whose memory the node wrote out exactly as the spec's rows (`read_rows_as`)
    as_spec: set[str] = field(default_factory=set)
    # the node's text of each memory column, of the tables read by `read_rows_as`
    memory_columns: dict[str, list[str]] = field(default_factory=dict)


def read_rows(conn: AdminConnection, table: Table, source: str = "") -> list[Row]:
    """The rows of `table` (or of its copy `source`: runtime_..., disk....), ordered by key,
    each value converted by its column's type here, once.

    The node writes each column out itself, as one text (see `columns_query`): a value per
    column over the wire instead of one per column and row, which the pure-Python connector
    reads and converts slowly (10,000 users: about 0.05 s instead of 0.5 s). An answer this
    module cannot read back exactly as the plain SELECT would give it (a REAL or BLOB value,
    rows out of key order) is read again with the plain SELECT."""
    count, texts = read_columns(conn, table, source)
    return _rows_of(conn, table, source, count, texts)


def _rows_of(
    conn: AdminConnection, table: Table, source: str, count: int, texts: list[str]
) -> list[Row]:
    rows = parse_columns(table, count, texts)
    if rows is not None:
        return rows
    return conn.query(
        select(source or table.name, table.column_names, table.key, integers=table.integer_columns)
    )


# A table's rows typed as read, in key order, and the text of each of its columns as a node
# holding exactly them writes it out (`spec_columns`)
Written = tuple[list[Row], list[str]]


def read_rows_as(
    conn: AdminConnection, table: Table, spec: Callable[[Table], Written | None]
) -> tuple[list[Row], list[str], bool]:
    """The memory rows of `table`, the node's text of each of its columns (`columns_query`),
    and whether the rows are exactly the spec's (`spec(table)`, asked once the node has
    answered): when every column's text is, byte for byte, the text the spec's rows make,
    the node holds exactly them, every value and type, and none is parsed. Otherwise the
    rows are read from the same texts (`read_rows`). A spec of None: rows no node writes
    back as they were given."""
    count, texts = read_columns(conn, table)
    return _as_spec(conn, table, count, texts, spec)


def _as_spec(
    conn: AdminConnection,
    table: Table,
    count: int,
    texts: list[str],
    spec: Callable[[Table], Written | None],
) -> tuple[list[Row], list[str], bool]:
    written = spec(table)
    if written is not None and (count, texts) == (len(written[0]), written[1]):
        return list(written[0]), texts, True
    return _rows_of(conn, table, "", count, texts), texts, False


def columns_query(table: Table, source: str = "") -> Statement:
    """The number of rows of a table, and each column as one text written by the node: its
    values as SQLite's quote() gives them (NULL, an integer, or text in single quotes with
    `'` doubled), in key order, joined by line breaks. The text is unambiguous (a quoted
    value ends at a lone `'`), so two columns with equal texts hold equal values, value for
    value and type for type."""
    return raw_query(_columns_sql(table, source), f"read {source or table.name} by column")


def _columns_sql(table: Table, source: str) -> str:
    values = ",".join(f"group_concat(quote({identifier(c)}),char(10))" for c in table.column_names)
    order = ",".join(identifier(c) for c in table.key)
    return (
        f"SELECT COUNT(*),{values} FROM "
        f"(SELECT * FROM {identifier(source or table.name)} ORDER BY {order})"
    )


def read_tables(conn: AdminConnection, parts: Sequence[tuple[Table, str]]) -> list[list[Row]]:
    """`read_rows` of each (table, source) of `parts`, in one statement: its answer is one
    row holding every table's count and column texts. ProxySQL rebuilds the runtime tables a
    statement names once for the statement (8 ms for 2,000 servers), not once a table."""
    if len(parts) == 1:
        return [read_rows(conn, *parts[0])]
    joined = ",".join(f"({_columns_sql(table, source)})" for table, source in parts)
    names = ", ".join(source or table.name for table, source in parts)
    rows = conn.query_text(raw_query(f"SELECT * FROM {joined}", f"read {names} by column"))
    answer = rows[0] if rows else ()
    out = []
    at = 0
    for table, source in parts:
        width = 1 + len(table.columns)
        count, *texts = answer[at : at + width] or (None,) * width
        at += width
        out.append(_rows_of(conn, table, source, int(count or 0), [t or "" for t in texts]))
    return out


def read_columns(conn: AdminConnection, table: Table, source: str = "") -> tuple[int, list[str]]:
    """The `columns_query` answer: the number of rows, and each column's text."""
    rows = conn.query_text(columns_query(table, source))
    count, *texts = rows[0] if rows else (None, *([None] * len(table.columns)))
    return int(count or 0), [text or "" for text in texts]


def spec_columns(table: Table, rows: list[Row]) -> Written | None:
    """`rows` (typed as read) in key order, and the texts `columns_query` gets from a node
    that holds exactly them; None for a value no node writes back as it was given (a NUL
    character, an integer beyond 32 bits). Each column is joined whole (50,000 users are
    700,000 values)."""
    if not rows:
        return [], [""] * len(table.columns)
    columns = list(zip(*rows, strict=True))
    key = [columns[table.column_names.index(c)] for c in table.key]
    keys = list(zip(*map(_in_sqlite_order, key), strict=True))
    order = sorted(range(len(rows)), key=keys.__getitem__)
    in_order = operator.itemgetter(*order) if len(order) > 1 else lambda v: (v[0],)
    texts = []
    for values in columns:
        text = _column_text(in_order(values))
        if text is None:
            return None
        texts.append(text)
    return list(in_order(rows)), texts


def _column_text(values: Sequence[int | str | None]) -> str | None:
    try:
        return literal_lines(values)
    except UnsafeStatement:
        return None


_VALUE = r"'([^']*(?:''[^']*)*)'|(NULL)|(-?[0-9]+)"  # as SQLite's quote() writes it
_COLUMN_VALUE = re.compile(rf"(?:{_VALUE})(?:\n|\Z)")
_NO_TEXT = re.compile(r"(?:NULL|-?[0-9]+)(?:\n(?:NULL|-?[0-9]+))*")


def parse_columns(table: Table, count: int, texts: list[str]) -> list[Row] | None:
    """The rows of a `columns_query` answer, each value as the plain SELECT gives it
    (integer columns as int where the text is an integer, everything else as text); None
    when a value is not NULL, an integer or text, or the rows are not in key order."""
    if count == 0:
        return None if any(texts) else []
    names = table.column_names
    columns = []
    for name, text in zip(names, texts, strict=True):
        column = _parse_column(text, count, name in table.integer_columns)
        if column is None:
            return None
        columns.append(column)
    key = [columns[names.index(c)] for c in table.key]
    ordered = list(zip(*(_in_sqlite_order(column) for column in key), strict=True))
    if not all(map(operator.lt, ordered, ordered[1:])):
        return None
    return list(zip(*columns, strict=True))


def _parse_column(
    text: str, count: int, integer: bool
) -> list[int | str | None] | tuple[str, ...] | None:
    """One column's values (see `parse_columns`). A column without a quote holds NULLs and
    integers only, split at its line breaks; any other is split by one regex pass, whose
    matches are the whole text, with nothing skipped between them, when their lengths add up
    to its length."""
    if "'" not in text:
        if not _NO_TEXT.fullmatch(text):
            return None  # a REAL, a BLOB
        parts = text.split("\n")
        if len(parts) != count:
            return None
        if "NULL" not in text:
            return list(map(int, parts)) if integer else tuple(parts)
        return [None if p == "NULL" else int(p) if integer else p for p in parts]
    found = _COLUMN_VALUE.findall(text)
    if len(found) != count:
        return None
    quoted, nulls, numbers = (tuple(group) for group in zip(*found, strict=True))
    written = count - nulls.count("") + count - numbers.count("")
    lengths = sum(map(len, quoted)) + sum(map(len, nulls)) + sum(map(len, numbers))
    if lengths + 2 * (count - written) + count - 1 != len(text):
        return None
    if written or integer:
        return _typed_column(quoted, nulls, numbers, integer)
    return _unquoted(quoted)


def _unquoted(quoted: tuple[str, ...]) -> list[int | str | None] | tuple[str, ...]:
    if any("'" in value for value in quoted):
        return [value.replace("''", "'") for value in quoted]
    return quoted


def _typed_column(
    quoted: tuple[str, ...], nulls: tuple[str, ...], numbers: tuple[str, ...], integer: bool
) -> list[int | str | None]:
    if integer and not any(quoted) and all(numbers):
        return list(map(int, numbers))
    text = _unquoted(quoted)
    if integer:
        return [
            None if null else int(number) if number else integer_text(str(value))
            for value, null, number in zip(text, nulls, numbers, strict=True)
        ]
    return [
        None if null else number or value
        for value, null, number in zip(text, nulls, numbers, strict=True)
    ]


def _in_sqlite_order(
    column: list[int | str | None] | tuple[str, ...],
) -> list[tuple[int, int | str]] | list[int | str | None] | tuple[str, ...]:
    """A key column's values, comparable in SQLite's order (a column of one type as it is)."""
    kinds = set(map(type, column))
    if len(kinds) <= 1 and kinds <= {int, str}:
        return column
    return [_sqlite_order(value) for value in column]


def _sqlite_order(value: int | str | None) -> tuple[int, int | str]:
    """SQLite's order of values: NULL, then numbers, then text (by its UTF-8 bytes, which
    is the order of its code points)."""
    if value is None:
        return (0, 0)
    if isinstance(value, int):
        return (1, value)
    return (2, value)


def read_checksums(conn: AdminConnection) -> dict[str, ModuleChecksum]:
    rows = conn.query_text(
        raw_query(
            "SELECT name,version,epoch,checksum FROM runtime_checksums_values ORDER BY name",
            "read runtime_checksums_values",
        )
    )
    out = {}
    for name, version, epoch, checksum in rows:
        if name is None:
            continue
        out[name] = ModuleChecksum(name, int(version or 0), int(epoch or 0), checksum or "")
    return out


def read_memory_checksum(conn: AdminConnection, command: str, *, disk: bool = False) -> str:
    """`CHECKSUM MEMORY <command>`: a cheap fingerprint of one memory table, computed by
    the node (`disk`: CHECKSUM DISK, the same over the disk table)."""
    if not all(word.isalpha() for word in command.split(" ")):
        raise ValueError(f"unexpected CHECKSUM target {command!r}")
    layer = "DISK" if disk else "MEMORY"
    summary = f"read {'disk ' if disk else ''}checksum of {command.lower()}"
    rows = conn.query_text(raw_query(f"CHECKSUM {layer} {command}", summary))
    return rows[0][1] or "" if rows and len(rows[0]) > 1 else ""


def read_clock(conn: AdminConnection) -> int:
    value = conn.scalar(raw_query("SELECT strftime('%s','now')", "read the node's clock"))
    return int(value or 0)


def read_precise_clock(conn: AdminConnection) -> float:
    """The node's clock with milliseconds (epochs are whole seconds of this clock)."""
    value = conn.scalar(
        raw_query(
            "SELECT strftime('%s','now')||substr(strftime('%f','now'),3)",
            "read the node's clock",
        )
    )
    return float(value or 0)


def read_admin_sessions(conn: AdminConnection) -> int | None:
    """How many admin sessions the node has open, as the stack memory of their threads in
    bytes (one thread a session, alive until the last statement it received has run and
    its client is gone); None where the node does not say."""
    value = conn.scalar(
        raw_query(
            "SELECT Variable_Value FROM stats_memory_metrics "
            "WHERE Variable_Name='stack_memory_admin_threads'",
            "read the number of admin sessions",
        )
    )
    return int(value) if value is not None and value.isdigit() else None


def read_apply_mark(conn: AdminConnection) -> int:
    return int(conn.scalar(raw_query("PRAGMA main.user_version", "read the apply mark")) or 0)


def read_version(conn: AdminConnection) -> str:
    return conn.scalar(raw_query("SELECT @@version", "read the ProxySQL version")) or ""


def read_variables(conn: AdminConnection, table: str) -> dict[str, str]:
    rows = conn.query_text(
        raw_query(
            f"SELECT variable_name,variable_value FROM {table} ORDER BY variable_name",
            f"read {table}",
        )
    )
    return {name: value or "" for name, value in rows if name is not None}


def read_memory(
    conn: AdminConnection,
    live: Live,
    tables: Iterable[Table],
    spec: Callable[[Table], Written | None],
) -> None:
    """The memory rows of `tables` into `live`, and their column texts; a table whose memory
    holds exactly the spec's rows (`spec`, see `read_rows_as`) is not parsed and is named in
    `Live.as_spec`. Every table is read before `spec` is asked for any: it may wait (for the
    spec to be compiled), and the node has its part done meanwhile."""
    answers = [(table, *read_columns(conn, table)) for table in tables]
    for table, count, texts in answers:
        rows, texts, same = _as_spec(conn, table, count, texts, spec)
        live.memory[table.name], live.memory_columns[table.name] = rows, texts
        if same:
            live.as_spec.add(table.name)


def read_live(
    conn: AdminConnection,
    tables: Iterable[Table],
    *,
    variables: bool = True,
    runtime: bool = True,
    disk: bool = True,
) -> Live:
    live = Live(node=conn.endpoint.name)
    live.version = read_version(conn)
    live.clock = read_clock(conn)
    for table in tables:
        live.memory[table.name] = read_rows(conn, table)
        if runtime:
            live.runtime[table.name] = read_rows(conn, table, table.runtime_table)
        if disk:
            live.disk[table.name] = read_rows(conn, table, f"disk.{table.name}")
    if variables:
        live.variables = read_variables(conn, "global_variables")
        if runtime:
            live.runtime_variables = read_variables(conn, "runtime_global_variables")
        if disk:
            live.disk_variables = read_variables(conn, "disk.global_variables")
    live.checksums = read_checksums(conn)
    return live
