"""PXC116: integers must fit in signed 32 bits."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import INT32_MAX, INT32_MIN, TABLES, Kind

ABORTS = f"ProxySQL (2.7.1, 3.0.1) aborts on reading it back; stay within {INT32_MAX}"


@rule("PXC116", "int32-overflow", Severity.ERROR)
def int32_overflow(ctx: RuleContext) -> Iterator[Issue]:
    """An integer outside signed 32 bits in an integer column.

    ProxySQL 2.7.1 accepts `hostgroup_id` or `max_connections` of 2147483648, loads it, and
    then aborts the whole process on the next read of `runtime_mysql_servers`; ProxySQL 3.0.1
    does the same with `pgsql_servers` and `runtime_pgsql_servers`. Every integer column of
    every table is checked.

    Bad::

        mysql_servers:
          - {hostname: db1, max_connections: 2147483648}

    Good::

        mysql_servers:
          - {hostname: db1, max_connections: 10000}
    """
    for table in TABLES:
        integers = {c.name for c in table.columns if c.kind is Kind.INT}
        for row in ctx.desired.written_rows(table.name):
            for name in integers.intersection(row.written):  # defaults are small
                value = row.values[name]
                if isinstance(value, int) and not INT32_MIN <= value <= INT32_MAX:
                    yield Issue(
                        (*row.origin, name),
                        f"{name} = {value} is outside signed 32 bits",
                        ABORTS,
                    )
    for name, value in sorted(ctx.desired.hostgroups.items()):
        if not INT32_MIN <= value <= INT32_MAX:
            yield Issue(
                ("hostgroups", name),
                f"hostgroup id {value} is outside signed 32 bits",
                ABORTS,
            )
