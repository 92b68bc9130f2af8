"""PXC117 for variables: a value that is not of the variable's type at all."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._variables import type_problem

HINTS = {
    "bool": "write true or false (no quotes, no 0/1)",
    "int": "write a whole number: no decimals, no exponent",
    "string": "quote the value",
}


@rule("PXC117", "wrong-type", Severity.ERROR)
def wrong_type(ctx: RuleContext) -> Iterator[Issue]:
    """A value that is not of the column's or the variable's type.

    SQLite stores it anyway and ProxySQL runs something else: `hostgroup_id: abc` becomes 0,
    a variable `1e3` becomes 1, `12.5` becomes 12. Booleans are sent only as `true`/`false`.
    (Columns are checked when the spec is loaded; this rule checks variables.)

    Bad::

        mysql_variables:
          max_connections: 1e3
          have_ssl: 1
        mysql_servers:
          - {hostname: db1, weight: 1.5}

    Good::

        mysql_variables:
          max_connections: 1000
          have_ssl: true
        mysql_servers:
          - {hostname: db1, weight: 2}
    """
    for full, variable in sorted(ctx.desired.variables.items()):
        info = ctx.catalog.get(full)
        if info is None:
            continue  # PXC113
        problem = type_problem(info, variable)
        if problem:
            yield Issue(
                variable.origin,
                f"{full} {problem}: ProxySQL would store the text and run something else",
                HINTS[info.type],
            )
