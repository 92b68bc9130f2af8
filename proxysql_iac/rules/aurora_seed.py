"""PXC125: the Aurora seed row stays a real backend next to the discovered instances."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import AURORA, hostgroup_label


@rule("PXC125", "aurora-seed-is-backend", Severity.INFO)
def aurora_seed_is_backend(ctx: RuleContext) -> Iterator[Issue]:
    """The Aurora seed row (the cluster endpoint in `mysql_servers`) stays a real backend.

    Writer traffic is split between it and the discovered writer by weight, and after a
    failover it moves into the reader hostgroup with `new_reader_weight`. After a failover the
    new writer keeps the reader weight, not the `servers_defaults` weight. pxc says so, so that
    the split is a choice and not a surprise: writing the seed's `weight` is that choice.

    Bad::

        # the endpoint takes half the writer traffic next to the discovered writer
        mysql_servers:
          - {hostgroup_id: 200, hostname: db.cluster-x.rds.amazonaws.com}
        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com}
        mysql_hostgroup_attributes:
          - {hostgroup_id: 200, servers_defaults: {weight: 1}}

    Good::

        # the discovered writer gets 1000 of every 1001 writer queries
        mysql_servers:
          - {hostgroup_id: 200, hostname: db.cluster-x.rds.amazonaws.com, weight: 1}
        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 200, reader_hostgroup: 201, domain_name: .x.rds.amazonaws.com}
        mysql_hostgroup_attributes:
          - {hostgroup_id: 200, servers_defaults: {weight: 1000}}
    """
    for aurora in ctx.desired.rows(AURORA):
        writer = aurora.values["writer_hostgroup"]
        reader = aurora.values["reader_hostgroup"]
        for server in ctx.desired.rows("mysql_servers"):
            hostgroup = server.values["hostgroup_id"]
            if hostgroup not in (writer, reader) or "weight" in server.written:
                continue
            role = "writer" if hostgroup == writer else "reader"
            after = ""
            if role == "writer":
                after = (
                    f"; after a failover it serves reads in hostgroup {reader} with weight "
                    f"{aurora.values['new_reader_weight']}"
                )
            yield Issue(
                server.origin,
                f"{server.values['hostname']} stays a backend of Aurora {role} hostgroup "
                f"{hostgroup_label(ctx.desired, hostgroup)} with the default weight "
                f"{server.values['weight']}, next to the discovered instances{after}",
                "write its `weight` on purpose, against servers_defaults.weight of the discovered",
            )
