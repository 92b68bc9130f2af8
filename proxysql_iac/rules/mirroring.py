"""PXC141: mirroring to the destination itself, or to a hostgroup with no servers."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import (
    MYSQL,
    aurora_hostgroups,
    hostgroup_label,
    populatable_hostgroups,
    server_hostgroups,
)
from proxysql_iac.rules.hostgroup_reachability import describe_row, routes


@rule("PXC141", "mirror-hostgroup", Severity.WARNING)
def mirror_hostgroup(ctx: RuleContext) -> Iterator[Issue]:
    """`mirror_hostgroup` equal to `destination_hostgroup`, or a mirror hostgroup with no servers.

    Mirroring to the destination runs every matching query twice on the same servers (writes
    included). A mirror hostgroup without server rows gets servers only when the Monitor moves
    one there (an offline or backup writer hostgroup, say): until then every mirrored query
    fails. (One that nothing can ever populate is PXC140.) `pgsql_query_rules` (ProxySQL 3.0)
    are checked the same way against `pgsql_servers`.

    Bad::

        mysql_query_rules:
          - {rule_id: 20, active: 1, match_digest: '^SELECT', destination_hostgroup: 20,
             mirror_hostgroup: 20, apply: 1}

    Good::

        mysql_query_rules:
          - {rule_id: 20, active: 1, match_digest: '^SELECT', destination_hostgroup: 20,
             mirror_hostgroup: 400, apply: 1}
    """
    desired = ctx.desired
    for table, column, side in routes():
        if column != "mirror_hostgroup":
            continue
        servers = side.servers.name
        manages_servers = desired.manages(servers)
        with_servers = server_hostgroups(desired, side)
        if side == MYSQL:
            with_servers |= aurora_hostgroups(desired)
        populated = populatable_hostgroups(desired, side)
        for row in desired.rows(table.name):
            mirror = row.values["mirror_hostgroup"]
            if not isinstance(mirror, int):
                continue
            label = hostgroup_label(desired, mirror)
            what = describe_row(table, side, row)
            if mirror == row.values["destination_hostgroup"]:
                yield Issue(
                    (*row.origin, "mirror_hostgroup"),
                    f"{what} mirrors to its own destination hostgroup "
                    f"{label}: every matching query runs twice on the same servers",
                    "mirror to a separate hostgroup, or remove mirror_hostgroup",
                )
            elif manages_servers and mirror in populated and mirror not in with_servers:
                yield Issue(
                    (*row.origin, "mirror_hostgroup"),
                    f"{what} mirrors to hostgroup {label}, which has no "
                    f"{servers} rows: mirrored queries fail until the Monitor moves a server "
                    "there",
                    f"add a {servers} row in hostgroup {mirror}",
                )
