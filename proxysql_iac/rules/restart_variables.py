"""PXC115: variables that LOAD saves but does not apply until ProxySQL restarts."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule


@rule("PXC115", "restart-only-variable", Severity.WARNING)
def restart_only_variable(ctx: RuleContext) -> Iterator[Issue]:
    """A variable LOAD does not apply without a restart (`mysql-interfaces`, `mysql-threads`).

    LOAD resets memory to the running value, SAVE keeps the new one on disk: the change is
    saved but not live until ProxySQL restarts, and until then runtime differs from the spec.

    Bad::

        mysql_variables:
          threads: 8

    Good::

        # threads lives in proxysql.cnf and changes with a planned restart of each node
        mysql_variables:
          max_connections: 2048
    """
    for full, variable in sorted(ctx.desired.variables.items()):
        info = ctx.catalog.get(full)
        if info is not None and info.restart_only:
            yield Issue(
                variable.origin,
                f"{full} is applied only at startup: LOAD saves it but the running value stays "
                "until ProxySQL restarts",
                "plan a restart of every node after apply, or remove it from the spec",
            )
