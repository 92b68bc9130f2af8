"""PXC106: `admin-cluster_mysql_servers_sync_algorithm` accepts only 1, 2 or 3."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule

NAME = "admin-cluster_mysql_servers_sync_algorithm"
ACCEPTED = (1, 2, 3)


@rule("PXC106", "sync-algorithm", Severity.ERROR)
def sync_algorithm(ctx: RuleContext) -> Iterator[Issue]:
    """`cluster_mysql_servers_sync_algorithm` must be 1, 2 or 3.

    "0 for bootstrap" is a myth: ProxySQL answers OK to 0 (or 4) and silently keeps the old
    value, so the cluster goes on syncing `mysql_servers` the way it did before.

    Bad::

        admin_variables:
          cluster_mysql_servers_sync_algorithm: 0

    Good::

        admin_variables:
          cluster_mysql_servers_sync_algorithm: 1
    """
    variable = ctx.desired.variables.get(NAME)
    if variable is None:
        return
    value = variable.value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value in ACCEPTED:
        return  # a non-integer is PXC117's finding
    myth = " (there is no bootstrap mode 0)" if value == 0 else ""
    yield Issue(
        variable.origin,
        f"cluster_mysql_servers_sync_algorithm = {value}{myth}: ProxySQL answers OK and "
        "silently keeps the old value",
        "use 1 (runtime or v2 checksum), 2 (v2 only) or 3 (auto)",
    )
