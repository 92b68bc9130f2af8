"""Memory against runtime and against disk, compared on the node itself.

Runtime is not a copy of memory: users show as a frontend and a backend row, inactive query
rules and users are not loaded, OFFLINE_HARD servers are dropped, and the Monitor owns
`status` and moves or adds servers in the hostgroups of replication, Group Replication,
Galera and Aurora rows. The queries here compare what a LOAD of current memory would put at
runtime (built from the table descriptions' `Load`, `Reaches` and `split_flags` facts, never
from values) with what runtime holds, outside the hostgroups the Monitor manages; and memory
with disk. They run on the node (`EXCEPT` over the same projections on both sides), so 50,000
users cost two small result sets instead of every row of three layers over the wire.

Two cheaper proofs come first. Memory equals disk when the node's `CHECKSUM MEMORY` and
`CHECKSUM DISK` of the table agree. Memory equals runtime when the layer seal says so: when
pxc has proven a table's runtime to be what LOAD made of memory, it writes a 32-bit digest
of that memory checksum and of the module's runtime checksum row (version, epoch, checksum:
the version grows with every LOAD and every Cluster pull) into the memory database's
application_id. A later read whose checksums give the same digest is looking at the same
memory and the same runtime: the comparison, which makes ProxySQL rebuild its runtime tables
(half a second for 50,000 users), is skipped. Any other value (another LOAD, an edit, a
restart, another set of tables) falls back to the comparison; a digest of a changed state
matches by chance once in 2**32.
"""

import hashlib
from collections.abc import Callable, Collection, Iterable, Sequence

from proxysql_iac.admin import sql
from proxysql_iac.admin.connection import AdminConnection, Row
from proxysql_iac.admin.live import ModuleChecksum, read_memory_checksum
from proxysql_iac.spec.tables import TABLE_BY_NAME, Column, Load, Reaches, Table

CAP = 1000  # differing rows returned per table and layer


def _monitored_hostgroups(table: Table) -> str:
    """Every hostgroup a runtime topology row hands to the Monitor, as a subquery."""
    parts = []
    for name in table.monitor_topology:
        table = TABLE_BY_NAME[name]
        for column in table.hostgroup_columns:
            parts.append(f"SELECT {column} FROM {table.runtime_table}")
    return " UNION ".join(parts)


def _loaded(column: Column) -> str:
    """SQL for what LOAD makes of a memory column (see `Load`)."""
    name = sql.identifier(column.name)
    load = column.load
    if load is Load.UPPER:
        return f"UPPER({name})"
    if load is Load.EMPTY_FOR_NULL:
        return f"COALESCE({name},'')"
    if load is Load.RE_MODIFIERS:
        items = f"(','||UPPER(COALESCE({name},'')))"
        caseless, glob = f"INSTR({items},',CASELESS')>0", f"INSTR({items},',GLOBAL')>0"
        return (
            f"CASE WHEN {caseless} AND {glob} THEN 'CASELESS,GLOBAL' WHEN {caseless} THEN "
            f"'CASELESS' WHEN {glob} THEN 'GLOBAL' ELSE '' END"
        )
    if load is Load.DIGEST:
        text = f"LTRIM({name})"
        return (
            f"CASE WHEN LOWER(SUBSTR({text},1,2))='0x' THEN "
            f"'0x'||SUBSTR('0000000000000000'||UPPER(SUBSTR({text},3)),-16,16) "
            f"WHEN {text} GLOB '[1-9]*' THEN PRINTF('0x%016X',CAST({text} AS INTEGER)) "
            f"ELSE {name} END"
        )
    return name


def _select(
    table: Table,
    source: str,
    *,
    runtime: bool,
    loaded: bool = False,
    where: str = "",
    constants: dict[str, int] | None = None,
    shown: dict[str, str] | None = None,
) -> str:
    """SELECT of a table's compared columns: at runtime without the Monitor's columns;
    `loaded`: memory values as LOAD turns them into runtime values; `shown`: columns read
    from another column of `source` (where runtime shows a value under another name)."""
    exprs = []
    for column in table.columns:
        name = sql.identifier(column.name)
        if runtime and column.name in table.monitor_owned:
            continue
        if shown and column.name in shown:
            exprs.append(f"{sql.identifier(shown[column.name])} AS {name}")
        elif constants and column.name in constants:
            exprs.append(f"{int(constants[column.name])} AS {name}")
        elif loaded:
            exprs.append(f"{_loaded(column)} AS {name}")
        else:
            exprs.append(name)
    text = f"SELECT {','.join(exprs)} FROM {sql.identifier(source)}"
    return f"{text} WHERE {where}" if where else text


def _outside_monitor(table: Table) -> list[str]:
    """Rows in the hostgroups the Monitor manages are its own at runtime: left out."""
    if not table.monitor_topology:
        return []
    return [f"hostgroup_id NOT IN ({_monitored_hostgroups(table)})"]


def _reaches(condition: Reaches, table: Table) -> str:
    expr = _loaded(table.column_by_name[condition.column])
    value = condition.value
    literal = str(value) if isinstance(value, int) else sql.literal(value)
    return f"{expr}{condition.op}{literal}"


def _memory_as_runtime(table: Table) -> str:
    """What LOAD ... TO RUNTIME makes of memory: the rows that reach runtime, values as
    loaded, one row per flag where LOAD splits rows (users: frontend and backend)."""
    where = [_reaches(c, table) for c in table.reaches_runtime] + _outside_monitor(table)
    if not table.split_flags:
        return _select(table, table.name, runtime=True, loaded=True, where=" AND ".join(where))
    return " UNION ALL ".join(
        _select(
            table,
            table.name,
            runtime=True,
            loaded=True,
            where=" AND ".join([*where, f"{sql.identifier(flag)}=1"]),
            constants={f: int(f == flag) for f in table.split_flags},
        )
        for flag in table.split_flags
    )


def _runtime(table: Table) -> str:
    """The runtime rows compared: outside the Monitor's hostgroups for servers."""
    where = " AND ".join(_outside_monitor(table))
    shown = dict(table.runtime_shows)
    return _select(table, table.runtime_table, runtime=True, where=where, shown=shown)


def _difference_query(table: Table, layer: str, *, both_ways: bool = True) -> sql.Statement:
    """Keys of the rows that differ between memory and `layer` (runtime or disk): rows
    ('memory', key...) for what only memory has, (layer, key...) for what only the layer has.
    `both_ways=False` asks only for the first kind (what memory has that the layer lacks)."""
    if layer == "runtime":
        mine, theirs = _memory_as_runtime(table), _runtime(table)
    else:
        mine = _select(table, table.name, runtime=False)
        theirs = _select(table, f"disk.{table.name}", runtime=False)
    keys = ",".join(sql.identifier(c) for c in table.key)
    text = f"SELECT 'memory',{keys} FROM (SELECT * FROM ({mine}) EXCEPT SELECT * FROM ({theirs}))"
    if both_ways:
        text += (
            f" UNION ALL SELECT '{layer}',{keys} FROM (SELECT * FROM ({theirs}) EXCEPT "
            f"SELECT * FROM ({mine}))"
        )
    text += f" LIMIT {2 * CAP + 1}"
    integers = tuple(i + 1 for i, c in enumerate(table.key) if c in table.integer_columns)
    return sql.raw_query(text, f"read differences of {table.name} memory and {layer}", integers)


def read_differences(
    conn: AdminConnection, table: Table, layer: str, *, both_ways: bool = True
) -> list[Row]:
    """Keys of the rows that differ between memory and `layer` ("runtime" or "disk"): rows
    ('memory', key...) for what only memory has, (layer, key...) for what only the layer has
    (at most `2 * CAP + 1` rows). `both_ways=False` asks only for the first kind."""
    return conn.query(_difference_query(table, layer, both_ways=both_ways))


def read_seal(conn: AdminConnection) -> int:
    return int(conn.scalar(sql.raw_query("PRAGMA main.application_id", "read the layer seal")) or 0)


def seal_of(entries: Iterable[tuple[str, str, ModuleChecksum]]) -> int:
    """The layer seal of (table, memory checksum, runtime checksum of its module) entries:
    a signed 32-bit digest (what application_id holds), never 0 (no seal)."""
    text = "\n".join(
        f"{table} {memory} {rt.name} {rt.version} {rt.epoch} {rt.checksum}"
        for table, memory, rt in sorted(entries, key=lambda e: (e[0], e[2].name))
    )
    seal = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)
    return seal or 1


def seal_entries(
    tables: Iterable[Table], memory: dict[str, str], runtime: dict[str, ModuleChecksum]
) -> list[tuple[str, str, ModuleChecksum]] | None:
    """What a seal of `tables` covers, from checksums read on the node (None: a table
    the seal cannot vouch for, or a checksum missing)."""
    entries = []
    for table in tables:
        if not table.sealable or not memory.get(table.name):
            return None
        for name in table.module.checksum_names:
            found = runtime.get(name)
            if found is None or found.version < 1:
                return None
            entries.append((table.name, memory[table.name], found))
    return entries


def read_layer_differences(
    conn: AdminConnection,
    tables: Sequence[Table],
    runtime: dict[str, ModuleChecksum],
    *,
    vouched: Callable[[dict[str, str]], Collection[str]] | None = None,
) -> tuple[dict[str, str], dict[tuple[str, str], list[Row]]]:
    """For each table: its memory checksum (when the node computes one), and the keys of
    the rows that differ between memory and runtime, and memory and disk (see above).
    `vouched`, given the memory checksums, names tables whose runtime is known otherwise to
    be what LOAD makes of memory (a peer holding what a proven primary holds)."""
    memory = {
        t.name: read_memory_checksum(conn, t.checksum_command) for t in tables if t.checksum_command
    }
    sealed: set[str] = set(vouched(memory)) if vouched is not None else set()
    covered = [t for t in tables if t.sealable]
    entries = seal_entries(covered, memory, runtime) if covered else None
    if entries and not {t.name for t in covered} <= sealed and read_seal(conn) == seal_of(entries):
        sealed |= {t.name for t in covered}
    differences: dict[tuple[str, str], list[Row]] = {}
    for table in tables:
        if table.name in sealed:
            differences[(table.name, "runtime")] = []
        else:
            differences[(table.name, "runtime")] = read_differences(conn, table, "runtime")
        disk = table.disk_checksum and read_memory_checksum(conn, table.checksum_command, disk=True)
        if disk and disk == memory.get(table.name):
            differences[(table.name, "disk")] = []
        else:
            differences[(table.name, "disk")] = read_differences(conn, table, "disk")
    return memory, differences
