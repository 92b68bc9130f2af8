"""PXC129: rows LOAD leaves out of runtime never reach a Cluster peer."""

from collections.abc import Iterable, Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import DesiredRow, Value
from proxysql_iac.spec.tables import TABLES, Reaches, Table


@rule("PXC129", "row-not-synced-to-peers", Severity.WARNING)
def row_not_synced_to_peers(ctx: RuleContext) -> Iterator[Issue]:
    """A row runtime leaves out lives only on the primary: peers never get it.

    ProxySQL Cluster peers pull a module from the primary's runtime, and LOAD leaves out
    inactive query rules, inactive users, users with a negative default_hostgroup and
    OFFLINE_HARD servers. Such a row exists in the primary's memory and disk only; after a
    failover to a peer it is gone (and `pxc plan` against the new primary adds it again).
    Delete the row from the spec if it is not needed; keep it only if that is acceptable.
    Modules Cluster does not sync (every PostgreSQL module of ProxySQL 3.0.1) are exempt:
    pxc writes them to every node itself.

    Bad::

        mysql_query_rules:
          - {rule_id: 90, active: 0, match_digest: '^DELETE', destination_hostgroup: 10}

    Good::

        mysql_query_rules:
          - {rule_id: 90, active: 1, match_digest: '^DELETE', destination_hostgroup: 10}
    """
    cluster = ctx.desired.cluster
    if cluster is not None and len(cluster.nodes) < 2:
        return
    for table in TABLES:
        if not table.module.synced:
            continue  # pxc writes the module to every node: no peer pulls it (PXC109)
        reaches: dict[tuple[int, type, int | str], bool] = {}
        rows = ctx.desired.rows(table.name)
        if all(
            _reaches(table, condition, value, reaches)
            for condition in table.reaches_runtime
            for value in _written_values(rows, condition.column)
        ):
            continue  # every value written reaches runtime (50,000 users: a few values)
        for row in rows:
            for condition in table.reaches_runtime:
                if condition.column not in row.written:
                    continue  # a default that keeps a row out has a rule of its own
                value = row.values[condition.column]
                if _reaches(table, condition, value, reaches):
                    continue
                yield Issue(
                    (*row.origin, condition.column),
                    f"this {table.name} row has {condition.column} {value}: LOAD leaves it out "
                    "of runtime, so Cluster peers (which pull runtime) never get it and a "
                    "failover to a peer loses it",
                    f"remove the row, or accept that it lives on the primary only "
                    f"(reaching runtime needs {condition.describe()})",
                )
                break


def _written_values(rows: list[DesiredRow], column: str) -> Iterable[Value]:
    """The distinct values `rows` write in `column` (each row's, if one is unhashable)."""
    values = [row.values[column] for row in rows if column in row.written]
    try:
        return set(values)
    except TypeError:
        return values


def _reaches(
    table: Table, condition: Reaches, value: Value, seen: dict[tuple[int, type, int | str], bool]
) -> bool:
    """Does a row with this value reach runtime? Worked out once per condition and value."""
    key = (id(condition), type(value), value) if isinstance(value, int | str) else None
    if key is not None and key in seen:
        return seen[key]
    column = table.column_by_name[condition.column]
    loaded = column.loaded(value) if isinstance(value, str) else value
    held = isinstance(loaded, int | str) and condition.holds(loaded)
    if key is not None:
        seen[key] = held
    return held
