"""PXC112: a query rule without `active` is inactive (the table default is 0)."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import TABLES, Reaches, Table


def _defaults_out() -> Iterator[tuple[Table, Reaches]]:
    """Conditions for reaching runtime that the column's own table default fails."""
    for table in TABLES:
        for condition in table.reaches_runtime:
            default = table.column_by_name[condition.column].default
            if not condition.holds(default):
                yield table, condition


@rule("PXC112", "rule-inactive-by-default", Severity.WARNING)
def rule_inactive_by_default(ctx: RuleContext) -> Iterator[Issue]:
    """A query rule without `active`: the table default is 0, so the rule is inactive.

    The config file (proxysql.cnf) defaults `active` to 1, which is where people learn the
    opposite; the admin table, which pxc writes, defaults it to 0 and ProxySQL never applies
    the rule. ProxySQL 3.0's `pgsql_query_rules` have the same default (measured on 3.0.1:
    rules inserted without `active` never reach runtime).

    Bad::

        mysql_query_rules:
          - {rule_id: 10, match_digest: '^SELECT', destination_hostgroup: 20, apply: 1}

    Good::

        mysql_query_rules:
          - {rule_id: 10, active: 1, match_digest: '^SELECT', destination_hostgroup: 20,
             apply: 1}
    """
    for table, condition in _defaults_out():
        column = table.column_by_name[condition.column]
        for row in ctx.desired.rows(table.name):
            if condition.column in row.written:
                continue
            key = ", ".join(f"{c} {row.values[c]}" for c in table.key)
            yield Issue(
                row.origin,
                f"{table.name} {key} has no `{column.name}`: the table default is "
                f"{column.default}, so ProxySQL never applies it",
                f"add `{column.name}: 1` (or `{column.name}: 0` to disable it on purpose)",
            )
