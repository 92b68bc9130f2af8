"""PXC120: discovered Aurora instances take `use_ssl` from `servers_defaults`, not the seed."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import (
    AURORA,
    MYSQL,
    attributes_by_hostgroup,
    hostgroup_label,
    servers_defaults,
    wants_tls,
)
from proxysql_iac.spec.compile import DesiredRow, Value
from proxysql_iac.spec.load import format_path


@rule("PXC120", "aurora-tls-not-inherited", Severity.ERROR)
def aurora_tls_not_inherited(ctx: RuleContext) -> Iterator[Issue]:
    """An Aurora hostgroup meant to use TLS without `servers_defaults: {use_ssl: 1}`.

    Discovered instances take `use_ssl` from `servers_defaults` in `mysql_hostgroup_attributes`,
    not from the seed row (the cluster endpoint), and connect in plaintext. `mysql-have_ssl`
    does not help: it only concerns client-to-ProxySQL connections. Both the writer and the
    reader hostgroup need it: after a failover the new writer is copied from its reader row.
    (Confirmed on the wire against ProxySQL 2.7.1.)

    Bad::

        mysql_servers:
          - {hostgroup_id: 200, hostname: db.cluster-x.rds.amazonaws.com, use_ssl: 1}
        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com}

    Good::

        mysql_servers:
          - {hostgroup_id: 200, hostname: db.cluster-x.rds.amazonaws.com, use_ssl: 1}
        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com}
        mysql_hostgroup_attributes:
          - {hostgroup_id: 200, servers_defaults: {use_ssl: 1}}
          - {hostgroup_id: 201, servers_defaults: {use_ssl: 1}}
        mysql_variables:
          ssl_p2s_ca: /etc/proxysql/certs/rds-global-bundle.pem
    """
    attributes = attributes_by_hostgroup(ctx.desired, MYSQL)
    for aurora in ctx.desired.rows(AURORA):
        pair = {
            "writer_hostgroup": aurora.values["writer_hostgroup"],
            "reader_hostgroup": aurora.values["reader_hostgroup"],
        }
        reason = _tls_intent(ctx, set(pair.values()), attributes)
        if reason is None:
            continue
        for column, hostgroup in pair.items():
            if not isinstance(hostgroup, int):
                continue
            attribute = attributes.get(hostgroup)
            if attribute is not None and wants_tls(servers_defaults(attribute).get("use_ssl")):
                continue
            path = (*aurora.origin, column)
            if attribute is not None:
                path = (*attribute.origin, "servers_defaults")
            label = hostgroup_label(ctx.desired, hostgroup)
            missing = (
                "has no mysql_hostgroup_attributes row"
                if attribute is None
                else "has no use_ssl: 1 in its servers_defaults"
            )
            yield Issue(
                path,
                f"instances discovered in Aurora {column.split('_')[0]} hostgroup {label} "
                f"connect in plaintext: {reason}, but hostgroup {hostgroup} {missing}",
                f"add `servers_defaults: {{use_ssl: 1}}` to mysql_hostgroup_attributes "
                f"for hostgroup {hostgroup}",
            )


def _tls_intent(
    ctx: RuleContext, hostgroups: set[Value], attributes: dict[int, DesiredRow]
) -> str | None:
    """Why the spec means TLS for these hostgroups, or None when it does not."""
    for server in ctx.desired.rows("mysql_servers"):
        if server.values["hostgroup_id"] in hostgroups and wants_tls(server.values["use_ssl"]):
            return f"{format_path(server.origin)} ({server.values['hostname']}) has use_ssl: 1"
    for hostgroup, row in sorted(attributes.items()):
        if hostgroup in hostgroups and wants_tls(servers_defaults(row).get("use_ssl")):
            return f"hostgroup {hostgroup}'s servers_defaults has use_ssl: 1 (TLS is meant)"
    return None
