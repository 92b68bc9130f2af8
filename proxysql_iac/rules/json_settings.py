"""PXC126: values in servers_defaults / hostgroup_settings that ProxySQL ignores."""

import json
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule

# The keys ProxySQL 2.7.1 reads from these JSON columns, and the integers it accepts
# (MySQL_HostGroups_Manager.cpp, init_myhgc_*): anything else is logged and ignored.
KNOWN: dict[str, dict[str, tuple[int, int | None]]] = {
    "servers_defaults": {
        "weight": (0, None),
        "max_connections": (0, None),
        "use_ssl": (0, 1),
    },
    "hostgroup_settings": {
        "handle_warnings": (0, 1),
        "monitor_slave_lag_when_null": (0, 604800),
    },
}


@rule("PXC126", "ignored-json-setting", Severity.ERROR)
def ignored_json_setting(ctx: RuleContext) -> Iterator[Issue]:
    """A `servers_defaults` or `hostgroup_settings` value ProxySQL does not take.

    ProxySQL reads only integer values for these keys: `use_ssl: true` or `"1"` is logged
    and ignored, so discovered Aurora instances stay in plaintext although the spec looks
    right. Unknown keys are ignored the same way.

    Bad::

        mysql_hostgroup_attributes:
          - {hostgroup_id: 201, servers_defaults: {use_ssl: true}}

    Good::

        mysql_hostgroup_attributes:
          - {hostgroup_id: 201, servers_defaults: {use_ssl: 1}}
        mysql_variables:
          ssl_p2s_ca: /etc/proxysql/aurora-ca.pem
    """
    for row in ctx.desired.written_rows("mysql_hostgroup_attributes"):
        for column, keys in KNOWN.items():
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
                    known = ", ".join(keys)
                    yield Issue(path, f"{column} key {key!r} is not read by ProxySQL", known)
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
