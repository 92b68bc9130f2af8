"""Shared facts about hostgroups for the routing and TLS rules: who populates which hostgroup."""

import json
from collections.abc import Iterator
from typing import Any

from proxysql_iac.spec.compile import Desired, DesiredRow

# Tables whose rows make the Monitor move servers between hostgroups. ProxySQL loads the
# first three into one manager, which is why PXC111 compares across them.
MONITOR_TABLES = (
    "mysql_replication_hostgroups",
    "mysql_group_replication_hostgroups",
    "mysql_galera_hostgroups",
)
AURORA = "mysql_aws_aurora_hostgroups"
ROLE_COLUMNS = (
    "writer_hostgroup",
    "backup_writer_hostgroup",
    "reader_hostgroup",
    "offline_hostgroup",
)


def roles(row: DesiredRow) -> Iterator[tuple[str, int]]:
    """(column, hostgroup id) for each hostgroup role a topology row declares."""
    for column in ROLE_COLUMNS:
        value = row.values.get(column)
        if isinstance(value, int):
            yield column, value


def server_hostgroups(desired: Desired) -> set[int]:
    """Hostgroups of the server rows (also of rows with an error elsewhere: an error in a
    server's weight does not empty its hostgroup)."""
    rows = desired.written_rows("mysql_servers")
    return {
        hg
        for row in rows
        if "hostgroup_id" not in row.failed and isinstance(hg := row.values["hostgroup_id"], int)
    }


def populatable_hostgroups(desired: Desired) -> set[int]:
    """Every hostgroup that a server row, the Monitor or Aurora discovery can put servers in."""
    found = server_hostgroups(desired)
    for table in (*MONITOR_TABLES, AURORA):
        for row in desired.written_rows(table):
            found.update(hg for column, hg in roles(row) if column not in row.failed)
    return found


def aurora_hostgroups(desired: Desired) -> set[int]:
    return {hg for row in desired.rows(AURORA) for _, hg in roles(row)}


def servers_defaults(row: DesiredRow) -> dict[str, Any]:
    """The `servers_defaults` of a mysql_hostgroup_attributes row ({} when empty or not JSON)."""
    text = row.values.get("servers_defaults")
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}  # PXC002 reports invalid JSON
    return parsed if isinstance(parsed, dict) else {}


def wants_tls(value: object) -> bool:
    """`use_ssl` 1. Not `true`: ProxySQL reads an integer from servers_defaults and ignores
    anything else (PXC126); in a table column, compile has made `true` 1 already."""
    return type(value) is int and value == 1


def attributes_by_hostgroup(desired: Desired) -> dict[int, DesiredRow]:
    return {
        hg: row
        for row in desired.rows("mysql_hostgroup_attributes")
        if isinstance(hg := row.values["hostgroup_id"], int)
    }


def hostgroup_label(desired: Desired, hostgroup: object) -> str:
    """`200 (aurora-writer)` when the spec names the hostgroup, else `200`."""
    names = [name for name, hg in desired.hostgroups.items() if hg == hostgroup]
    return f"{hostgroup} ({names[0]})" if names else str(hostgroup)
