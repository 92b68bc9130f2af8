"""PXC140 (ids): a hostgroup a rule or user routes to that no row of its side can populate.

Names used but not defined are reported by compile with the same code.
"""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import (
    MYSQL,
    SIDES,
    Side,
    hostgroup_label,
    populatable_hostgroups,
    side_of,
)
from proxysql_iac.spec.compile import DesiredRow
from proxysql_iac.spec.tables import TABLES, Role, Table

# Hostgroup columns that send a client's queries somewhere (gtid_from_hostgroup only reads
# GTIDs from a hostgroup).
ROUTE_COLUMNS = ("default_hostgroup", "destination_hostgroup", "mirror_hostgroup")


def routes() -> Iterator[tuple[Table, str, Side]]:
    """(table, column, side whose servers serve it) for every routing column of users and
    query rules tables."""
    for table in TABLES:
        side = side_of(table)
        if side is None or table.module.role not in (Role.USERS, Role.QUERY_RULES):
            continue
        for column in table.hostgroup_columns:
            if column in ROUTE_COLUMNS:
                yield table, column, side


@rule("PXC140", "hostgroup-never-populated", Severity.ERROR)
def hostgroup_never_populated(ctx: RuleContext) -> Iterator[Issue]:
    """A hostgroup name used but not defined, or an id no server row can ever populate.

    A query rule's `destination_hostgroup` or `mirror_hostgroup`, a fast-routing destination
    or a user's `default_hostgroup` names a hostgroup that no server row, and no topology row
    (replication, Group Replication, Galera or Aurora), can ever put a server in: every query
    sent there waits `connect_timeout_server_max` and fails. Each side has its own
    hostgroups: PostgreSQL users and rules (ProxySQL 3.0) are served only by `pgsql_servers`
    and `pgsql_replication_hostgroups`, MySQL ones only by the MySQL tables, whatever the id.
    Checked only when the spec manages the side's server table (`mysql_servers`,
    `pgsql_servers`).

    Bad::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 127.0.0.1}]
        admin_variables: {pgsql_ifaces: 127.0.0.1:6132}
        hostgroups: {mysql_writer: 10, pg_writer: 100}
        mysql_servers:
          - {hostgroup_id: mysql_writer, hostname: db1}
        pgsql_servers:
          - {hostgroup_id: pg_writer, hostname: pg1}
        pgsql_users:
          - {username: billing, password: {env: PG_PW}, default_hostgroup: mysql_writer}

    Good::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 127.0.0.1}]
        admin_variables: {pgsql_ifaces: 127.0.0.1:6132}
        hostgroups: {mysql_writer: 10, pg_writer: 100}
        mysql_servers:
          - {hostgroup_id: mysql_writer, hostname: db1}
        pgsql_servers:
          - {hostgroup_id: pg_writer, hostname: pg1}
        pgsql_users:
          - {username: billing, password: {env: PG_PW}, default_hostgroup: pg_writer}
    """
    desired = ctx.desired
    populated = {side: populatable_hostgroups(desired, side) for side in SIDES}
    for table, column, side in routes():
        if not desired.manages(side.servers.name):
            continue
        for row in desired.rows(table.name):
            hostgroup = row.values[column]
            if not isinstance(hostgroup, int) or hostgroup in populated[side]:
                continue
            if row.values.get("frontend") == 0:
                continue  # a backend-only user routes nothing
            default = "" if column in row.written else " (the default)"
            others = [o for o in SIDES if o != side and hostgroup in populated[o]]
            why = f"no {_populators(side)} row ever populates"
            hint = (
                f"add a {side.servers.name} row in hostgroup {hostgroup}, "
                "or route to one with servers"
            )
            if others:
                why += (
                    f"; only {others[0].name} servers are there, and {side.name} clients are "
                    f"served by {side.servers.name} alone"
                )
                hint = f"route to a hostgroup of {side.servers.name}, or add a row there"
            yield Issue(
                (*row.origin, column),
                f"{describe_row(table, side, row)} sends queries to {column} "
                f"{hostgroup_label(desired, hostgroup)}{default}, which {why}",
                hint,
            )


def _populators(side: Side) -> str:
    names = side.populators
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def describe_row(table: Table, side: Side, row: DesiredRow) -> str:
    """`user 'app'`, `query rule 10`, `fast routing for 'app'/'shop'`; PostgreSQL ones so
    named."""
    whose = "" if side == MYSQL else f"{side.name} "
    if table.module.role is Role.USERS:
        return f"{whose}user {row.values['username']!r}"
    if "rule_id" in table.column_by_name:
        return f"{whose}query rule {row.values['rule_id']}"
    shown = "/".join(repr(row.values[c]) for c in table.key if c != "flagIN")
    return f"{whose}fast routing for {shown}"
