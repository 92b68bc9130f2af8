"""Memory vs runtime and memory vs disk on one node, read out of a `Live`.

A table is "unloaded" when runtime lacks what a LOAD of current memory would put there,
outside the hostgroups the Monitor manages; "unsaved" when disk is not memory. The node
compares its layers itself (`admin/layers.py`); this module reads the answers and opens no
connection.
"""

from proxysql_iac.admin.connection import Row
from proxysql_iac.admin.live import Live
from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.spec.tables import Table
from proxysql_iac.spec.variables import CATALOG

LAYERS = ("runtime", "disk")


def table_unloaded(table: Table, live: Live) -> bool:
    return bool(live.differences.get((table.name, "runtime")))


def table_unsaved(table: Table, live: Live) -> bool:
    return bool(live.differences.get((table.name, "disk")))


def runtime_only_rows(table: Table, runtime: list[Row], memory: list[Row]) -> list[Row]:
    key = [table.column_names.index(c) for c in table.key]
    known = {tuple(row[i] for i in key) for row in memory}
    return [row for row in runtime if tuple(row[i] for i in key) not in known]


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


def kept_from_runtime(table: Table, memory: list[Row]) -> list[Row]:
    """Memory rows LOAD leaves out of runtime (inactive rules and users, users with a
    negative default_hostgroup, OFFLINE_HARD servers): a Cluster peer never gets them."""
    index = {c: i for i, c in enumerate(table.column_names)}
    refused: list[tuple[int, set[SqlValue]]] = []  # per condition: its column, the values
    for condition in table.reaches_runtime:  # judged once per distinct value (50,000 users)
        at, column = index[condition.column], table.column_by_name[condition.column]
        values = {row[at] for row in memory}
        loaded = {v: column.loaded(v) if isinstance(v, str) or v is None else v for v in values}
        refused.append((at, {v for v in values if not condition.holds(loaded[v])}))
    refused = [(at, values) for at, values in refused if values]
    return [row for row in memory if any(row[at] in values for at, values in refused)]
