"""Memory vs runtime and memory vs disk of one node, for the tables a spec manages. Pure.

Runtime is not a copy of memory: users show as a frontend and a backend row, inactive query
rules and users are not loaded, and the Monitor owns `status` and adds rows of its own. A
module is "unloaded" only when runtime lacks what a LOAD of the current memory would put
there; runtime-only rows (Monitor moves, Aurora discovery) are reported, never planned.
"""

from proxysql_iac.admin.connection import Row
from proxysql_iac.admin.live import Live
from proxysql_iac.spec.tables import Table
from proxysql_iac.spec.variables import CATALOG


def _index(table: Table, column: str) -> int:
    return table.column_names.index(column)


def expected_runtime(table: Table, memory: list[Row]) -> set[Row]:
    """What LOAD ... TO RUNTIME makes of these memory rows (monitor-owned columns blanked)."""
    if table.name == "mysql_users":
        active = _index(table, "active")
        dhg = _index(table, "default_hostgroup")
        backend = _index(table, "backend")
        frontend = _index(table, "frontend")
        out: set[Row] = set()
        for row in memory:
            if row[active] != "1" or not (row[dhg] or "").lstrip("-").isdigit():
                continue
            if int(row[dhg] or 0) < 0:
                continue
            for flag, other in ((frontend, backend), (backend, frontend)):
                if row[flag] == "1":
                    split = list(_null_as_empty(row))
                    split[flag], split[other] = "1", "0"
                    out.add(tuple(split))
        return out
    if table.name == "mysql_query_rules":
        active = _index(table, "active")
        return {row for row in memory if row[active] == "1"}
    # OFFLINE_HARD servers are not loaded to runtime at all.
    if table.name == "mysql_servers":
        status = _index(table, "status")
        memory = [row for row in memory if (row[status] or "").upper() != "OFFLINE_HARD"]
    return {_without_monitor(table, row) for row in memory}


def _without_monitor(table: Table, row: Row) -> Row:
    if not table.monitor_owned:
        return row
    blank = {_index(table, c) for c in table.monitor_owned}
    return tuple(None if i in blank else v for i, v in enumerate(row))


def _null_as_empty(row: Row) -> Row:
    """Runtime shows a user's NULL password and default_schema as ''."""
    return tuple("" if v is None else v for v in row)


def actual_runtime(table: Table, runtime: list[Row], memory: list[Row]) -> set[Row]:
    if table.name == "mysql_users":
        return {_null_as_empty(row) for row in runtime}
    rows = {_without_monitor(table, row) for row in runtime}
    if table.name == "mysql_servers":
        key = [_index(table, c) for c in table.key]
        known = {tuple(row[i] for i in key) for row in memory}
        rows = {row for row in rows if tuple(row[i] for i in key) in known}
    return rows


def runtime_only_rows(table: Table, runtime: list[Row], memory: list[Row]) -> list[Row]:
    key = [_index(table, c) for c in table.key]
    known = {tuple(row[i] for i in key) for row in memory}
    return [row for row in runtime if tuple(row[i] for i in key) not in known]


def table_unloaded(table: Table, live: Live) -> bool:
    memory = live.memory.get(table.name, [])
    runtime = live.runtime.get(table.name)
    if runtime is None:
        return False
    return expected_runtime(table, memory) != actual_runtime(table, runtime, memory)


def table_unsaved(table: Table, live: Live) -> bool:
    disk = live.disk.get(table.name)
    if disk is None:
        return False
    return sorted(live.memory.get(table.name, []), key=_sortable) != sorted(disk, key=_sortable)


def variables_unloaded(names: list[str], live: Live) -> list[str]:
    out = []
    for name in names:
        info = CATALOG.get(name)
        if info is not None and info.restart_only:
            continue
        if name in live.variables and live.variables.get(name) != live.runtime_variables.get(name):
            out.append(name)
    return out


def variables_unsaved(names: list[str], live: Live) -> list[str]:
    return [
        n for n in names if n in live.variables and live.variables[n] != live.disk_variables.get(n)
    ]


def _sortable(row: Row) -> tuple[str, ...]:
    return tuple("\x00" if v is None else v for v in row)
