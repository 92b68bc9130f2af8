"""PXC112: a query rule without `active` is inactive (the table default is 0)."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule


@rule("PXC112", "rule-inactive-by-default", Severity.WARNING)
def rule_inactive_by_default(ctx: RuleContext) -> Iterator[Issue]:
    """A query rule without `active`: the table default is 0, so the rule is inactive.

    The config file (proxysql.cnf) defaults `active` to 1, which is where people learn the
    opposite; the admin table, which pxc writes, defaults it to 0 and ProxySQL never applies
    the rule.

    Bad::

        mysql_query_rules:
          - {rule_id: 10, match_digest: '^SELECT', destination_hostgroup: 20, apply: 1}

    Good::

        mysql_query_rules:
          - {rule_id: 10, active: 1, match_digest: '^SELECT', destination_hostgroup: 20,
             apply: 1}
    """
    for row in ctx.desired.rows("mysql_query_rules"):
        if "active" not in row.written:
            yield Issue(
                row.origin,
                f"query rule {row.values['rule_id']} has no `active`: the table default is 0, "
                "so ProxySQL never applies it",
                "add `active: 1` (or `active: 0` to disable it on purpose)",
            )
