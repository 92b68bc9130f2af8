"""PXC127: Aurora lag settings that shun every reader whatever its real lag."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule


@rule("PXC127", "aurora-readers-always-lagging", Severity.ERROR)
def aurora_readers_always_lagging(ctx: RuleContext) -> Iterator[Issue]:
    """`min_lag_ms` above `max_lag_ms` in an Aurora hostgroup row.

    ProxySQL estimates a reader's lag as max(lag + add_lag_ms, min_lag_ms) and shuns the
    reader when the estimate exceeds max_lag_ms: with min_lag_ms above max_lag_ms every
    reader is SHUNNED at its first check, and read traffic has nowhere to go.

    Bad::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 1, reader_hostgroup: 2, domain_name: .example.com,
             max_lag_ms: 1000, min_lag_ms: 5000}

    Good::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 1, reader_hostgroup: 2, domain_name: .example.com,
             max_lag_ms: 10000, min_lag_ms: 30}
        mysql_hostgroup_attributes:
          - {hostgroup_id: 2}
    """
    for row in ctx.desired.rows("mysql_aws_aurora_hostgroups"):
        low, high = row.values["min_lag_ms"], row.values["max_lag_ms"]
        if isinstance(low, int) and isinstance(high, int) and low > high:
            yield Issue(
                (*row.origin, "min_lag_ms"),
                f"min_lag_ms {low} is above max_lag_ms {high}: every reader's estimated lag "
                "exceeds the limit, so all readers stay SHUNNED",
                "keep min_lag_ms (default 30) below max_lag_ms",
            )
