"""Shared facts about hostgroups for the routing and TLS rules: who populates which hostgroup.

ProxySQL 3.0 has two sides, MySQL and PostgreSQL, each with its own hostgroup manager: a
hostgroup id of one side is populated only by that side's server and topology tables (a
`pgsql_users` row routed to a hostgroup only `mysql_servers` fills gets no server). A side is
found from the table descriptions: its server table is the one with Monitor topology tables.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from proxysql_iac.spec.compile import Desired, DesiredRow
from proxysql_iac.spec.tables import TABLE_BY_NAME, TABLES, VARIABLE_PREFIX, Table

AURORA = "mysql_aws_aurora_hostgroups"
ROLE_COLUMNS = (
    "writer_hostgroup",
    "backup_writer_hostgroup",
    "reader_hostgroup",
    "offline_hostgroup",
)
_SIDE_NAMES = {"MYSQL": "MySQL", "PGSQL": "PostgreSQL"}


def protocol(table: Table) -> str:
    """`MYSQL` or `PGSQL` (or `ADMIN`, `SCHEDULER`, ...): the first word of its LOAD module."""
    return table.module.keyword.split()[0]


@dataclass(frozen=True, eq=False)  # one instance per side: compared by identity
class Side:
    """One protocol side of ProxySQL and the tables that put servers in its hostgroups."""

    servers: Table  # e.g. mysql_servers

    @property
    def keyword(self) -> str:
        return protocol(self.servers)

    @property
    def name(self) -> str:
        return _SIDE_NAMES.get(self.keyword, self.keyword)

    @property
    def topology(self) -> tuple[str, ...]:
        """Tables whose rows hand hostgroups to the Monitor (or Aurora discovery)."""
        return self.servers.monitor_topology

    @property
    def shared_manager(self) -> tuple[str, ...]:
        """Topology tables ProxySQL loads into one manager, so that a hostgroup may have one
        role among all their rows (Aurora has a manager of its own)."""
        return tuple(t for t in self.topology if t != AURORA)

    @property
    def populators(self) -> tuple[str, ...]:
        return (self.servers.name, *self.topology)

    @property
    def variable_prefix(self) -> str:
        return VARIABLE_PREFIX[f"{self.keyword.lower()}_variables"]

    def table(self, suffix: str) -> Table | None:
        """This side's `<mysql|pgsql>_<suffix>` table, if it has one."""
        return TABLE_BY_NAME.get(f"{self.keyword.lower()}_{suffix}")

    def owns(self, table: Table) -> bool:
        return protocol(table) == self.keyword


SIDES: tuple[Side, ...] = tuple(Side(t) for t in TABLES if t.monitor_topology)
MYSQL = next(side for side in SIDES if side.keyword == "MYSQL")


def side_of(table: Table) -> Side | None:
    return next((side for side in SIDES if side.owns(table)), None)


def roles(row: DesiredRow) -> Iterator[tuple[str, int]]:
    """(column, hostgroup id) for each hostgroup role a topology row declares."""
    for column in ROLE_COLUMNS:
        value = row.values.get(column)
        if isinstance(value, int):
            yield column, value


def server_hostgroups(desired: Desired, side: Side) -> set[int]:
    """Hostgroups of the side's server rows (also of rows with an error elsewhere: an error
    in a server's weight does not empty its hostgroup)."""
    rows = desired.written_rows(side.servers.name)
    return {
        hg
        for row in rows
        if "hostgroup_id" not in row.failed and isinstance(hg := row.values["hostgroup_id"], int)
    }


def populatable_hostgroups(desired: Desired, side: Side) -> set[int]:
    """Every hostgroup of the side that a server row, the Monitor or Aurora discovery can put
    servers in."""
    found = server_hostgroups(desired, side)
    for table in side.topology:
        for row in desired.written_rows(table):
            found.update(hg for column, hg in roles(row) if column not in row.failed)
    return found


def aurora_hostgroups(desired: Desired) -> set[int]:
    return {hg for row in desired.rows(AURORA) for _, hg in roles(row)}


def servers_defaults(row: DesiredRow) -> dict[str, Any]:
    """The `servers_defaults` of a hostgroup attributes row ({} when empty or not JSON)."""
    text = row.values.get("servers_defaults")
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}  # PXC002 reports invalid JSON
    return parsed if isinstance(parsed, dict) else {}


def wants_tls(value: object) -> bool:
    """`use_ssl` 1. Not `true`: ProxySQL reads an integer from servers_defaults and ignores
    anything else (PXC126); in a table column, compile has made `true` 1 already."""
    return type(value) is int and value == 1


def attributes_by_hostgroup(desired: Desired, side: Side) -> dict[int, DesiredRow]:
    table = side.table("hostgroup_attributes")
    if table is None:
        return {}
    return {
        hg: row
        for row in desired.rows(table.name)
        if isinstance(hg := row.values["hostgroup_id"], int)
    }


def hostgroup_label(desired: Desired, hostgroup: object) -> str:
    """`200 (aurora-writer)` when the spec names the hostgroup, else `200`."""
    names = [name for name, hg in desired.hostgroups.items() if hg == hostgroup]
    return f"{hostgroup} ({names[0]})" if names else str(hostgroup)
