"""PXC109: scheduler, REST API routes and firewall tables are not synced by ProxySQL Cluster."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import TABLES


@rule("PXC109", "unsynced-module", Severity.INFO)
def unsynced_module(ctx: RuleContext) -> Iterator[Issue]:
    """Scheduler, REST API routes and firewall tables are never synced by ProxySQL Cluster.

    A change to them on one node stays on that node. pxc applies those modules to every node
    itself (no sync means no conflict), so every node must be reachable at apply time.

    Bad::

        # expecting the cluster to copy the scheduler from the primary
        scheduler:
          - {id: 1, interval_ms: 5000, filename: /usr/bin/check.sh}

    Good::

        # the same spec: pxc writes the scheduler to every node of `cluster.nodes`
        scheduler:
          - {id: 1, interval_ms: 5000, filename: /usr/bin/check.sh}
    """
    cluster = ctx.cluster
    if cluster is not None and len(cluster.nodes) < 2:
        return
    where = f"each of the {len(cluster.nodes)} nodes" if cluster is not None else "every node"
    for table in TABLES:
        if table.module.synced or not ctx.desired.manages(table.name):
            continue
        yield Issue(
            (table.name,),
            f"{table.name} is never synced by ProxySQL Cluster: pxc writes it to {where} itself",
            "every node must be reachable when you apply",
            at_key=True,
        )
