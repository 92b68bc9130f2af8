"""PXC126: values in servers_defaults / hostgroup_settings that ProxySQL ignores."""

import json
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import DesiredRow

Keys = dict[str, dict[str, tuple[int, int | None]]]

# The keys ProxySQL reads from these JSON columns, and the integers it accepts: anything
# else is logged ("Invalid type ... Value NOT UPDATED") and ignored. MySQL as 2.7.1 (and
# 3.0.1) read them; the PostgreSQL side of 3.0.1 logs the same for servers_defaults and
# hostgroup_settings.handle_warnings, and does not read monitor_slave_lag_when_null.
SERVERS_DEFAULTS = {"weight": (0, None), "max_connections": (0, None), "use_ssl": (0, 1)}
KNOWN: dict[str, Keys] = {
    "mysql_hostgroup_attributes": {
        "servers_defaults": SERVERS_DEFAULTS,
        "hostgroup_settings": {
            "handle_warnings": (0, 1),
            "monitor_slave_lag_when_null": (0, 604800),
        },
    },
    "pgsql_hostgroup_attributes": {
        "servers_defaults": SERVERS_DEFAULTS,
        "hostgroup_settings": {"handle_warnings": (0, 1)},
    },
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
