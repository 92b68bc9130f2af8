"""PXC111: a writer hostgroup that another topology row of the same side uses as a
reader/backup/offline one."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import SIDES, roles
from proxysql_iac.spec.compile import DesiredRow
from proxysql_iac.spec.load import format_path


@rule("PXC111", "writer-hostgroup-reused", Severity.ERROR)
def writer_hostgroup_reused(ctx: RuleContext) -> Iterator[Issue]:
    """A writer hostgroup that is another row's reader, backup writer or offline hostgroup.

    ProxySQL loads replication, Group Replication and Galera rows into one hostgroup manager
    and skips such a row at LOAD with only a log line: the table shows it, the Monitor ignores
    it. This holds across the three tables too. ProxySQL 3.0 does the same with
    `pgsql_replication_hostgroups` rows ("Incompatible entry in pgsql_replication_hostgroups
    will be ignored"); a MySQL and a PostgreSQL row never conflict: each side has its own
    hostgroup manager.

    Bad::

        mysql_replication_hostgroups:
          - {writer_hostgroup: 10, reader_hostgroup: 20}
        mysql_galera_hostgroups:
          - {writer_hostgroup: 20, backup_writer_hostgroup: 21, reader_hostgroup: 22,
             offline_hostgroup: 23}

    Good::

        mysql_replication_hostgroups:
          - {writer_hostgroup: 10, reader_hostgroup: 20}
        mysql_galera_hostgroups:
          - {writer_hostgroup: 30, backup_writer_hostgroup: 31, reader_hostgroup: 32,
             offline_hostgroup: 33}
    """
    for side in SIDES:
        rows = [row for table in side.shared_manager for row in ctx.desired.rows(table)]
        yield from _reused(rows)


def _reused(rows: list[DesiredRow]) -> Iterator[Issue]:
    for row in rows:
        writer = row.values["writer_hostgroup"]
        if not isinstance(writer, int):
            continue
        for other in rows:
            if other is row:
                continue  # within one row it is a CHECK constraint (PXC002)
            for column, hostgroup in roles(other):
                if column != "writer_hostgroup" and hostgroup == writer:
                    yield Issue(
                        (*row.origin, "writer_hostgroup"),
                        f"writer_hostgroup {writer} of {format_path(row.origin)} is the {column} "
                        f"of {format_path(other.origin)}: ProxySQL skips such a row at LOAD",
                        "give every topology row hostgroups no other row uses",
                    )
