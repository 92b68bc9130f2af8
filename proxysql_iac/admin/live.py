"""Reading a node: memory/runtime/disk rows of given tables, variables, checksums, version."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from proxysql_iac.admin.connection import AdminConnection, Row
from proxysql_iac.admin.sql import raw_query, select
from proxysql_iac.spec.tables import Table


@dataclass(frozen=True)
class ModuleChecksum:
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


def read_rows(conn: AdminConnection, table: Table, source: str = "") -> list[Row]:
    """The rows of `table` (or of its copy `source`: runtime_..., disk....), ordered by key,
    each value converted by its column's type here, once."""
    return conn.query(
        select(source or table.name, table.column_names, table.key, integers=table.integer_columns)
    )


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


def read_memory_checksum(conn: AdminConnection, command: str) -> str:
    """`CHECKSUM MEMORY <command>`: a cheap fingerprint of one memory table, computed by
    the node."""
    if not all(word.isalpha() for word in command.split(" ")):
        raise ValueError(f"unexpected CHECKSUM target {command!r}")
    rows = conn.query_text(
        raw_query(f"CHECKSUM MEMORY {command}", f"read checksum of {command.lower()}")
    )
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
