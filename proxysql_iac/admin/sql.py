"""The only place pxc renders SQL for the admin interface.

Three things are never sent: an empty or `;`-only statement (it crashes ProxySQL 2.7.1),
`SET prefix-name=value` (a text rewrite that can overwrite every variable; we UPDATE
global_variables by name), and integers outside signed 32 bits (ProxySQL aborts reading them
back). Literals are quoted the SQLite way, `'` doubled: the admin interface has no prepared
statements, and drivers' backslash escaping is wrong for SQLite.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

from proxysql_iac.errors import PxcError

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

SqlValue = int | str | None


class UnsafeStatement(PxcError, ValueError):
    """pxc refused to render a statement ProxySQL would mishandle."""


@dataclass(frozen=True)
class Statement:
    """One statement, sent as exactly one query. Build it with the functions below."""

    sql: str
    summary: str  # what to show in logs and errors: never contains literal values
    # Result columns (by position) that hold integers. The admin interface sends every value
    # as text; the connection gives these back as int, so a node's rows carry their types.
    integers: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        stripped = self.sql.strip().strip(";").strip()
        if not stripped:
            raise UnsafeStatement("refusing to send an empty statement")
        if stripped.upper().startswith("SET "):
            raise UnsafeStatement("refusing to send SET: update global_variables by name")


def literal(value: SqlValue, *, one_line: bool = False) -> str:
    """A SQLite literal. `one_line=True` is for scripts read by the mysql command-line client
    (`pxc render --format sql`): see `_one_line_text`."""
    if type(value) is str and not one_line and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"  # the common case first: 50,000 users
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        raise UnsafeStatement("booleans are rendered by the caller as 0/1 or 'true'/'false'")
    if isinstance(value, int):
        if not INT32_MIN <= value <= INT32_MAX:
            raise UnsafeStatement(f"integer {value} is outside signed 32 bits")
        return str(value)
    if "\x00" in value:
        raise UnsafeStatement("a string with a NUL character cannot be sent")
    if one_line:
        return _one_line_text(value)
    return _quoted(value)


def literals(values: Sequence[SqlValue]) -> list[str]:
    """`literal` of each value, a column at a time (50,000 users are 700,000 values): a
    column of plain texts or of 32-bit integers takes no call per value."""
    kind = _uniform(values)
    if kind is str:
        return ["'" + text + "'" for text in cast(Sequence[str], values)]
    if kind is int:
        return list(map(str, cast(Sequence[int], values)))
    return [literal(value) for value in values]


def literal_lines(values: Sequence[SqlValue]) -> str:
    """`literals` of `values` joined by line breaks; a column of plain texts or of 32-bit
    integers is joined whole."""
    kind = _uniform(values)
    if kind is str:
        return "'" + "'\n'".join(cast(Sequence[str], values)) + "'"
    if kind is int:
        return "\n".join(map(str, cast(Sequence[int], values)))
    return "\n".join(literals(values))


def _uniform(values: Sequence[SqlValue]) -> type | None:
    """str: every value a text with no quote to double and no NUL; int: every value a
    32-bit integer; None: anything else (each value is then looked at)."""
    kinds = set(map(type, values))
    if kinds == {str}:
        joined = "".join(cast(Sequence[str], values))
        if "\x00" not in joined and "'" not in joined:
            return str
    elif kinds == {int}:
        numbers = cast(Sequence[int], values)
        if min(numbers) >= INT32_MIN and max(numbers) <= INT32_MAX:
            return int
    return None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# Every character Python's str.splitlines() breaks a line at.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _one_line_text(text: str) -> str:
    """`text` as an expression that stays on one line and that the mysql client reads the way
    SQLite does, so that a script has exactly one statement per line.

    Line breaks become `char(N)` pieces joined with `||`. The mysql client also treats a
    backslash inside quotes as escaping the next character (SQLite does not), so an odd run of
    backslashes right before a quote or the end of a piece would hide the closing quote from
    the client: its last backslash becomes `char(92)`. Other text is quoted as usual.
    """
    pieces: list[str | list[int]] = []

    def add_text(part: str) -> None:
        if pieces and isinstance(pieces[-1], str):
            pieces[-1] += part
        else:
            pieces.append(part)

    def add_code(code: int) -> None:
        last = pieces[-1] if pieces else None
        if isinstance(last, list):
            last.append(code)
        else:
            pieces.append([code])

    i = 0
    while i < len(text):
        ch = text[i]
        if ch in LINE_BREAKS:
            add_code(ord(ch))
            i += 1
        elif ch == "\\":
            j = i
            while j < len(text) and text[j] == "\\":
                j += 1
            run = j - i
            closes = j == len(text) or text[j] == "'" or text[j] in LINE_BREAKS
            if run % 2 and closes:
                if run > 1:
                    add_text("\\" * (run - 1))
                add_code(92)
            else:
                add_text("\\" * run)
            i = j
        else:
            add_text(ch)
            i += 1
    if not pieces:
        return "''"
    return "||".join(
        _quoted(p) if isinstance(p, str) else f"char({','.join(map(str, p))})" for p in pieces
    )


def identifier(name: str) -> str:
    if not name.replace("_", "").replace(".", "").isalnum():
        raise UnsafeStatement(f"unexpected identifier {name!r}")
    return name


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[SqlValue]],
    *,
    replace: bool = False,
    one_line: bool = False,
) -> Statement:
    if not rows:
        raise UnsafeStatement("an INSERT needs at least one row")
    verb = "REPLACE" if replace else "INSERT"
    cols = ",".join(identifier(c) for c in columns)
    if one_line:
        values = ",".join(
            "(" + ",".join(literal(v, one_line=True) for v in row) + ")" for row in rows
        )
    else:
        written = [literals(column) for column in zip(*rows, strict=True)]
        values = "(" + "),(".join(map(",".join, zip(*written, strict=True))) + ")"
    noun = "row" if len(rows) == 1 else "rows"
    return Statement(
        f"{verb} INTO {identifier(table)} ({cols}) VALUES {values}",
        f"{verb} {len(rows)} {noun} INTO {table}",
    )


def _key_condition(columns: Sequence[str], key: Sequence[SqlValue]) -> str:
    parts = []
    for column, value in zip(columns, key, strict=True):
        if value is None:
            parts.append(f"{identifier(column)} IS NULL")
        else:
            parts.append(f"{identifier(column)}={literal(value)}")
    return "(" + " AND ".join(parts) + ")"


def delete_rows(
    table: str, key_columns: Sequence[str], keys: Sequence[Sequence[SqlValue]]
) -> Statement:
    if not keys:
        raise UnsafeStatement("a DELETE needs at least one key")
    where = " OR ".join(_key_condition(key_columns, k) for k in keys)
    noun = "row" if len(keys) == 1 else "rows"
    return Statement(
        f"DELETE FROM {identifier(table)} WHERE {where}",
        f"DELETE {len(keys)} {noun} FROM {table}",
    )


def delete_all(table: str) -> Statement:
    return Statement(f"DELETE FROM {identifier(table)}", f"DELETE all rows FROM {table}")


def update_row(
    table: str,
    changes: dict[str, SqlValue],
    key_columns: Sequence[str],
    key: Sequence[SqlValue],
) -> Statement:
    sets = ",".join(f"{identifier(c)}={literal(v)}" for c, v in changes.items())
    return Statement(
        f"UPDATE {identifier(table)} SET {sets} WHERE {_key_condition(key_columns, key)}",
        f"UPDATE 1 row of {table} ({', '.join(changes)})",
    )


def set_variable(name: str, value: str, *, one_line: bool = False) -> Statement:
    """Upsert one global variable by name (never `SET name=value`)."""
    return Statement(
        "REPLACE INTO global_variables (variable_name,variable_value) VALUES "
        f"({literal(name)},{literal(value, one_line=one_line)})",
        f"set variable {name}",
    )


def positions(columns: Sequence[str], integers: Collection[str]) -> tuple[int, ...]:
    """The positions of the integer columns among `columns`."""
    return tuple(i for i, c in enumerate(columns) if c in integers)


def select(
    table: str,
    columns: Sequence[str],
    order_by: Sequence[str] = (),
    *,
    integers: Collection[str] = (),
) -> Statement:
    cols = ",".join(identifier(c) for c in columns)
    order = f" ORDER BY {','.join(identifier(c) for c in order_by)}" if order_by else ""
    return Statement(
        f"SELECT {cols} FROM {identifier(table)}{order}",
        f"read {table}",
        positions(columns, integers),
    )


def select_keys(
    table: str,
    columns: Sequence[str],
    key_columns: Sequence[str],
    keys: Sequence[Sequence[SqlValue]],
    *,
    integers: Collection[str] = (),
) -> Statement:
    """The rows of `table` with these keys (one statement; batch the keys)."""
    cols = ",".join(identifier(c) for c in columns)
    where = " OR ".join(_key_condition(key_columns, k) for k in keys) or "0"
    return Statement(
        f"SELECT {cols} FROM {identifier(table)} WHERE {where}",
        f"read {table}",
        positions(columns, integers),
    )


def load_to_runtime(module: str) -> Statement:
    return Statement(f"LOAD {_module(module)} TO RUNTIME", f"LOAD {module} TO RUNTIME")


def save_to_disk(module: str) -> Statement:
    return Statement(f"SAVE {_module(module)} TO DISK", f"SAVE {module} TO DISK")


def delete_variable(name: str) -> Statement:
    return Statement(
        f"DELETE FROM global_variables WHERE variable_name={literal(name)}",
        f"remove variable {name}",
    )


def mark_apply(started: int) -> Statement:
    """Mark the node's memory as being edited by an apply started at `started` (Unix time),
    or clear the mark (0). SQLite's user_version of the memory database: ProxySQL does not
    use it, and it is reset to 0 whenever memory is rebuilt from disk (a restart)."""
    return Statement(f"PRAGMA main.user_version={int(started)}", "mark the apply in memory")


def write_layer_seal(seal: int) -> Statement:
    """Remember, in SQLite's application_id of the memory database (unused by ProxySQL, reset
    by a restart like user_version), which checksums memory and runtime had when pxc proved
    them equal (admin/layers.py)."""
    return Statement(f"PRAGMA main.application_id={int(seal)}", "write the layer seal")


def raw_query(sql: str, summary: str, integers: tuple[int, ...] = ()) -> Statement:
    """A fixed read-only query written in pxc's own code (no user values in it)."""
    return Statement(sql, summary, integers)


def _module(module: str) -> str:
    if not all(part.isalpha() for part in module.split(" ")):
        raise UnsafeStatement(f"unexpected module {module!r}")
    return module.upper()
