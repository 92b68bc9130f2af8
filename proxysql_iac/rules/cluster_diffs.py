"""PXC107: a `cluster_<module>_diffs_before_sync` of 0 turns sync off for that module."""

import re
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule

DIFFS = re.compile(r"^admin-cluster_(\w+)_diffs_before_sync$")
CHECKSUM = re.compile(r"^admin-checksum_(\w+)$")


@rule("PXC107", "sync-disabled", Severity.WARNING)
def sync_disabled(ctx: RuleContext) -> Iterator[Issue]:
    """A `cluster_<module>_diffs_before_sync` of 0 disables sync for that module.

    Peers then never pull the module from the primary, however long they disagree with it:
    in a multi-node cluster every change pxc applies stays on the primary alone.

    Bad::

        admin_variables:
          cluster_mysql_query_rules_diffs_before_sync: 0

    Good::

        admin_variables:
          cluster_mysql_query_rules_diffs_before_sync: 3
    """
    cluster = ctx.cluster
    if cluster is not None and len(cluster.nodes) < 2:
        return  # a single node has nobody to sync with
    for name, variable in sorted(ctx.desired.variables.items()):
        match = DIFFS.match(name)
        if match is None or variable.value not in (0, "0") or isinstance(variable.value, bool):
            continue
        module = match.group(1)
        nodes = f" across {len(cluster.nodes)} nodes" if cluster is not None else ""
        yield Issue(
            variable.origin,
            f"cluster_{module}_diffs_before_sync = 0 disables sync of {module}{nodes}: peers "
            "never pull it from the primary",
            "use 3 (the default) or any value from 1 up",
        )
    for name, variable in sorted(ctx.desired.variables.items()):
        match = CHECKSUM.match(name)
        if match is None or variable.value not in (False, "false"):
            continue
        module = match.group(1)
        yield Issue(
            variable.origin,
            f"checksum_{module} = false: the node computes no checksum for {module}, which "
            "ProxySQL treats as diffs_before_sync 0: peers never pull it",
            "leave checksums on (true, the default) in a cluster",
        )
