"""PXC109: scheduler, REST API routes, firewall tables (and, on ProxySQL 3.0.1, every
PostgreSQL module) are not synced by ProxySQL Cluster."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import TABLES, VARIABLE_SECTIONS


@rule("PXC109", "unsynced-module", Severity.INFO)
def unsynced_module(ctx: RuleContext) -> Iterator[Issue]:
    """Scheduler, REST API routes and firewall tables are never synced by ProxySQL Cluster;
    nor, in ProxySQL 3.0.1, is any PostgreSQL module (pgsql_* tables, pgsql_variables).

    A change to them on one node stays on that node. pxc applies those modules to every node
    itself (no sync means no conflict), so every node must be reachable at apply time. (At
    plan time pxc asks the nodes: a build that syncs a PostgreSQL module has its
    `admin-cluster_pgsql_<module>_diffs_before_sync` variable, and pxc then writes the
    primary only.)

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
    version = ctx.desired.proxysql_version
    sections = [
        (t.name, t.module) for t in TABLES if ctx.desired.manages(t.name) and t.module.loadable
    ]
    sections += [
        (name, module)
        for name, module in VARIABLE_SECTIONS.items()
        if any(v.origin[0] == name for v in ctx.desired.variables.values())
    ]
    for name, module in sections:
        if module.synced or version not in module.versions:
            continue  # a section the target lacks is PXC142
        syncs = (
            f"is not synced by ProxySQL {version}'s Cluster"
            if module.keyword.startswith("PGSQL")
            else "is never synced by ProxySQL Cluster"
        )
        yield Issue(
            (name,),
            f"{name} {syncs}: pxc writes it to {where} itself",
            "every node must be reachable when you apply",
            at_key=True,
        )
