"""PXC101: the cluster block names exactly one primary among its nodes."""

from collections import Counter
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.load import did_you_mean


@rule("PXC101", "single-primary", Severity.ERROR)
def single_primary(ctx: RuleContext) -> Iterator[Issue]:
    """`cluster.primary` must name exactly one node of `cluster.nodes`.

    pxc writes config only there. Two nodes edited within the same second never converge:
    epochs are whole Unix seconds, and equal epochs with different checksums are a conflict
    ProxySQL logs forever and never resolves.

    Bad::

        cluster:
          primary: proxysql-3
          nodes: [{name: proxysql-1, host: 10.0.0.1}, {name: proxysql-2, host: 10.0.0.2}]

    Good::

        cluster:
          primary: proxysql-1
          nodes: [{name: proxysql-1, host: 10.0.0.1}, {name: proxysql-2, host: 10.0.0.2}]
    """
    cluster = ctx.cluster
    if cluster is None:
        return
    names = Counter(node.name for node in cluster.nodes if node.name is not None)
    for index, node in enumerate(cluster.nodes):
        if node.name is not None and names[node.name] > 1:
            yield Issue(
                ("cluster", "nodes", index, "name"),
                f"node name {node.name!r} is used by {names[node.name]} nodes",
                "give every node its own name",
            )
    endpoints = Counter((node.host, node.port) for node in cluster.nodes)
    for index, node in enumerate(cluster.nodes):
        if (
            node.host is not None
            and node.port is not None
            and endpoints[(node.host, node.port)] > 1
        ):
            yield Issue(
                ("cluster", "nodes", index, "host"),
                f"{node.host}:{node.port} is listed more than once",
                "each node is one ProxySQL admin endpoint",
            )
    every_name = all(node.name is not None for node in cluster.nodes)
    if cluster.primary is not None and every_name and cluster.primary not in names:
        yield Issue(
            ("cluster", "primary"),
            f"primary {cluster.primary!r} is not one of the nodes ({', '.join(names)})",
            did_you_mean(cluster.primary, list(names)) or "name one node of `cluster.nodes`",
        )
