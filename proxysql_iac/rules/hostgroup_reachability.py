"""PXC140 (ids): a hostgroup a rule or user routes to that no row can ever populate.

Names used but not defined are reported by compile with the same code.
"""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import hostgroup_label, populatable_hostgroups
from proxysql_iac.spec.compile import DesiredRow

# (table, column, what the row is called in a message)
ROUTES = (
    ("mysql_query_rules", "destination_hostgroup"),
    ("mysql_query_rules", "mirror_hostgroup"),
    ("mysql_query_rules_fast_routing", "destination_hostgroup"),
    ("mysql_users", "default_hostgroup"),
)


@rule("PXC140", "hostgroup-never-populated", Severity.ERROR)
def hostgroup_never_populated(ctx: RuleContext) -> Iterator[Issue]:
    """A hostgroup name used but not defined, or an id no server row can ever populate.

    A query rule's `destination_hostgroup` or `mirror_hostgroup`, a fast-routing destination
    or a user's `default_hostgroup` names a hostgroup that no `mysql_servers` row, and no
    replication, Group Replication, Galera or Aurora row, can ever put a server in: every query
    sent there waits `mysql-connect_timeout_server_max` and fails. Checked only when the spec
    manages `mysql_servers`.

    Bad::

        hostgroups: {writer: 10, reader: 20}
        mysql_servers:
          - {hostgroup_id: writer, hostname: db1}
        mysql_users:
          - {username: app, password: {env: APP_PW}, default_hostgroup: reader}

    Good::

        hostgroups: {writer: 10, reader: 20}
        mysql_servers:
          - {hostgroup_id: writer, hostname: db1}
          - {hostgroup_id: reader, hostname: db2}
        mysql_users:
          - {username: app, password: {env: APP_PW}, default_hostgroup: writer}
    """
    desired = ctx.desired
    if not desired.manages("mysql_servers"):
        return
    populated = populatable_hostgroups(desired)
    for table, column in ROUTES:
        for row in desired.rows(table):
            hostgroup = row.values[column]
            if not isinstance(hostgroup, int) or hostgroup in populated:
                continue
            if table == "mysql_users" and row.values["frontend"] == 0:
                continue  # a backend-only user routes nothing
            default = "" if column in row.written else " (the default)"
            yield Issue(
                (*row.origin, column),
                f"{_describe(table, row)} sends queries to {column} "
                f"{hostgroup_label(desired, hostgroup)}{default}, which no server, replication, "
                "Group Replication, Galera or Aurora row ever populates",
                f"add a mysql_servers row in hostgroup {hostgroup}, or route to one with servers",
            )


def _describe(table: str, row: DesiredRow) -> str:
    if table == "mysql_users":
        return f"user {row.values['username']!r}"
    if table == "mysql_query_rules":
        return f"query rule {row.values['rule_id']}"
    return f"fast routing for {row.values['username']!r}/{row.values['schemaname']!r}"
