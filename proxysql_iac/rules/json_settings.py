"""PXC126: values in servers_defaults / hostgroup_settings that ProxySQL ignores."""

import json
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import DesiredRow
from proxysql_iac.spec.tables import TABLES

Keys = dict[str, dict[str, tuple[int, int | None]]]  # column -> key -> accepted range

# The keys ProxySQL reads from each JSON column (`Column.json_keys`), per table.
KNOWN: dict[str, Keys] = {
    table.name: {
        column.name: {key: (low, high) for key, low, high in column.json_keys}
        for column in table.columns
        if column.json_keys
    }
    for table in TABLES
    if any(column.json_keys for column in table.columns)
}


@rule("PXC126", "ignored-json-setting", Severity.ERROR)
def ignored_json_setting(ctx: RuleContext) -> Iterator[Issue]:
    """A `servers_defaults` or `hostgroup_settings` value ProxySQL does not take.

    ProxySQL reads only integer values for these keys: `use_ssl: true` or `"1"` is logged
    and ignored, so discovered Aurora instances stay in plaintext although the spec looks
    right. Unknown keys are ignored the same way. ProxySQL 3.0's `pgsql_hostgroup_attributes`
    is read the same way, except that `hostgroup_settings` there knows only
    `handle_warnings`.

    Bad::

        mysql_hostgroup_attributes:
          - {hostgroup_id: 201, servers_defaults: {use_ssl: true}}

    Good::

        mysql_hostgroup_attributes:
          - {hostgroup_id: 201, servers_defaults: {use_ssl: 1}}
        mysql_variables:
          ssl_p2s_ca: /etc/proxysql/aurora-ca.pem
    """
    for table, known in KNOWN.items():
        for row in ctx.desired.written_rows(table):
            yield from _ignored(row, known)


def _ignored(row: DesiredRow, known: Keys) -> Iterator[Issue]:
    for column, keys in known.items():
        text = row.values[column]
        if not isinstance(text, str) or not text:
            continue
        try:
            settings = json.loads(text)
        except ValueError:
            continue  # not JSON at all: PXC002
        path = (*row.origin, column)
        if not isinstance(settings, dict):
            yield Issue(path, f"{column} must be a mapping of settings", "e.g. {use_ssl: 1}")
            continue
        for key, value in settings.items():
            if key not in keys:
                read = ", ".join(keys)
                yield Issue(path, f"{column} key {key!r} is not read by ProxySQL", read)
                continue
            low, high = keys[key]
            whole = isinstance(value, int) and not isinstance(value, bool)
            if not whole or value < low or (high is not None and value > high):
                span = f"{low}..{high}" if high is not None else f">= {low}"
                yield Issue(
                    path,
                    f"{column}.{key} = {json.dumps(value)} is ignored by ProxySQL: it takes "
                    f"an integer {span}",
                    f"write {key} as a whole number without quotes",
                )
