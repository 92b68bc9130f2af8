"""PXC002: every CHECK and NOT NULL condition of ProxySQL's admin tables, before sending."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._columns import (
    CHECKED_COLUMNS,
    ColumnProblems,
    column_problem,
    written_rows,
)
from proxysql_iac.spec.tables import TABLE_BY_NAME, DiffersFrom, RequiresNotNull

# Aurora's CHECKs have their own code (PXC110): they are the ones people hit in production.
AURORA_COLUMNS = {"check_timeout_ms", "domain_name"}


@rule("PXC002", "check-constraint", Severity.ERROR)
def check_constraints(ctx: RuleContext) -> Iterator[Issue]:
    """A value ProxySQL's table CHECK rejects (the INSERT would fail with 1045).

    Bad::

        mysql_servers:
          - {hostname: db1, weight: 20000000}

    Good::

        mysql_servers:
          - {hostname: db1, weight: 1000}
    """
    problems = ColumnProblems()
    for table, row in written_rows(ctx.desired):
        aurora = table.name == "mysql_aws_aurora_hostgroups"
        values = row.values
        # defaults satisfy every CHECK by construction; NOT NULL is all that a column without
        # a CHECK has to say
        checked = CHECKED_COLUMNS[table.name].intersection(row.written)
        if None in map(values.__getitem__, row.written):
            checked = row.written
        for name in checked:
            if aurora and name in AURORA_COLUMNS:
                continue
            column = table.column_by_name[name]
            problem = problems.of(column, values[name])
            if problem:
                yield Issue((*row.origin, column.name), problem, CHECK_HINT)
        for check in table.row_checks:
            if {check.column, check.other} & row.failed:
                continue  # a value that did not compile is not known
            value = row.values[check.column]
            other = row.values[check.other]
            if isinstance(check, DiffersFrom):
                if value is not None and value == other and not (check.unless_zero and value == 0):
                    yield Issue(
                        (*row.origin, check.column),
                        f"{check.describe()}; both are {value}",
                        "ProxySQL's CHECK rejects this row",
                    )
            elif isinstance(check, RequiresNotNull) and value is not None and other is None:
                yield Issue((*row.origin, check.column), check.describe(), f"set {check.other}")


CHECK_HINT = "ProxySQL's CHECK constraint rejects this value"


@rule("PXC110", "aurora-check-constraint", Severity.ERROR)
def aurora_constraints(ctx: RuleContext) -> Iterator[Issue]:
    """Aurora `check_timeout_ms` must be 80..3000 and `domain_name` must start with a dot.

    ProxySQL rejects such a row, but a tool that sends several statements in one query never
    sees the error: only the first statement runs.

    Bad::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 1, reader_hostgroup: 2, domain_name: example.com,
             check_timeout_ms: 5000}

    Good::

        mysql_aws_aurora_hostgroups:
          - {writer_hostgroup: 1, reader_hostgroup: 2, domain_name: .example.com,
             check_timeout_ms: 3000}
    """
    table = TABLE_BY_NAME["mysql_aws_aurora_hostgroups"]
    for row in ctx.desired.written_rows(table.name):
        for name in sorted(AURORA_COLUMNS & row.written):
            problem = column_problem(table.column_by_name[name], row.values[name])
            if problem:
                hint = (
                    "ProxySQL accepts 80..3000 ms"
                    if name == "check_timeout_ms"
                    else "write the domain with its leading dot, "
                    "e.g. .abc123.us-east-1.rds.amazonaws.com"
                )
                yield Issue((*row.origin, name), problem, hint)
