"""PXC004: primary keys and unique keys hold across rows, after hostgroup names resolve."""

from collections.abc import Iterator
from operator import attrgetter, itemgetter

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import Value
from proxysql_iac.spec.load import format_path
from proxysql_iac.spec.tables import TABLES

_values = attrgetter("values")


@rule("PXC004", "duplicate-key", Severity.ERROR)
def duplicate_keys(ctx: RuleContext) -> Iterator[Issue]:
    """Two rows share a primary key or a unique key (the second INSERT would fail).

    Hostgroup names are resolved first, so `writer` and `10` are the same key when
    `hostgroups: {writer: 10}`.

    Bad::

        hostgroups: {writer: 10, reader: 20}
        mysql_servers:
          - {hostgroup_id: writer, hostname: db1}
          - {hostgroup_id: 10, hostname: db1}

    Good::

        hostgroups: {writer: 10, reader: 20}
        mysql_servers:
          - {hostgroup_id: writer, hostname: db1}
          - {hostgroup_id: reader, hostname: db1}
    """
    for table in TABLES:
        rows = ctx.desired.rows(table.name)
        for columns in (table.key, *table.unique):
            pick = itemgetter(*columns)
            status = columns.index("status") if "status" in columns else None
            if status is None and len(set(map(pick, map(_values, rows)))) == len(rows):
                continue  # every key differs (a NULL that repeats is not seen here)
            seen: dict[tuple[Value, ...], tuple[str | int, ...]] = {}
            for row in rows:
                picked = pick(row.values)
                key = picked if len(columns) > 1 else (picked,)
                if status is not None:  # ProxySQL compares the status as LOAD writes it
                    key = (*key[:status], str(key[status]).upper(), *key[status + 1 :])
                if None in key:
                    continue  # SQLite UNIQUE lets NULLs repeat
                first = seen.get(key)
                if first is None:
                    seen[key] = row.origin
                    continue
                kind = "primary key" if columns == table.key else "unique key"
                shown = ", ".join(f"{c}={row.values[c]!r}" for c in columns)
                yield Issue(
                    row.origin,
                    f"duplicate {kind} ({shown}) of {table.name}: same as {format_path(first)}",
                    "merge the two rows or change one of them",
                )
