"""proxysql.cnf (libconfig) support: first-boot import, LOAD ... FROM CONFIG, SELECT CONFIG FILE.

As ProxySQL 2.7.1 reads it: sections are applied only on first boot (no proxysql.db yet); list
entries are INSERT OR REPLACEd into memory; the file's own defaults apply where they differ from
the tables' (query rules active=1, aurora check_timeout_ms=1000, active always 1 for the
GR / Galera / Aurora hostgroup tables, frontend/backend never read for users). As in ProxySQL,
an entry without its mandatory keys, or one the table's constraints reject, is skipped (ProxySQL
logs it) and the rest of the file still applies; an unknown mysql_servers status becomes ONLINE.
"""

import io
import os
import sqlite3
from typing import TYPE_CHECKING, Any, cast

import libconf

from . import ddl

if TYPE_CHECKING:
    from .node import SandboxNode


class ConfigError(Exception):
    """The config file cannot be used; the message is one line, meant for the user."""


def read_config(path: str) -> dict[str, Any]:
    """Parse a proxysql.cnf; `ConfigError` when it cannot be read or is not libconfig."""
    try:
        with open(path, encoding="utf-8") as f:
            data = libconf.load(f, includedir=os.path.dirname(os.path.abspath(path)))
    except OSError as e:
        raise ConfigError(f"cannot read config file {path}: {e.strerror or e}") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"cannot read config file {path}: not UTF-8 text") from e
    except libconf.ConfigParseError as e:
        detail = " ".join(str(e).replace("'<unknown>'", "the file").split())
        raise ConfigError(f"config file {path} is not valid libconfig: {detail}") from e
    plain = _plain(data)
    if not isinstance(plain, dict):
        raise ConfigError(f"config file {path} is not valid libconfig")
    return cast(dict[str, Any], plain)


def parse_config_text(text: str) -> dict[str, Any]:
    return cast(dict[str, Any], _plain(libconf.load(io.StringIO(text))))


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def _var_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# section -> (table, {config key: column}, {column: file default}, mandatory keys)
_ROW_SECTIONS: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "mysql_servers": ("mysql_servers", {"address": "hostname", "hostgroup": "hostgroup_id"}, {}),
    "mysql_users": ("mysql_users", {}, {}),
    "mysql_query_rules": ("mysql_query_rules", {}, {"active": 1}),
    "mysql_replication_hostgroups": ("mysql_replication_hostgroups", {}, {}),
    "mysql_group_replication_hostgroups": ("mysql_group_replication_hostgroups", {}, {"active": 1}),
    "mysql_galera_hostgroups": ("mysql_galera_hostgroups", {}, {"active": 1}),
    "mysql_aws_aurora_hostgroups": (
        "mysql_aws_aurora_hostgroups",
        {},
        {"active": 1, "check_timeout_ms": 1000},
    ),
    "mysql_servers_ssl_params": ("mysql_servers_ssl_params", {}, {}),
    "scheduler": ("scheduler", {}, {}),
    "restapi": ("restapi_routes", {"interval_ms": "timeout_ms"}, {}),
    "proxysql_servers": ("proxysql_servers", {"address": "hostname"}, {}),
}
_MODULE_SECTIONS: dict[str, tuple[str, ...]] = {
    "MYSQL SERVERS": (
        "mysql_servers",
        "mysql_replication_hostgroups",
        "mysql_group_replication_hostgroups",
        "mysql_galera_hostgroups",
        "mysql_aws_aurora_hostgroups",
        "mysql_servers_ssl_params",
    ),
    "MYSQL USERS": ("mysql_users",),
    "MYSQL QUERY RULES": ("mysql_query_rules",),
    "SCHEDULER": ("scheduler",),
    "RESTAPI": ("restapi",),
    "PROXYSQL SERVERS": ("proxysql_servers",),
    "MYSQL FIREWALL": (),
}
_NOT_READ = {
    "mysql_users": {"frontend", "backend"},
    "mysql_group_replication_hostgroups": {"active"},
    "mysql_galera_hostgroups": {"active"},
    "mysql_aws_aurora_hostgroups": {"active"},
}
# keys an entry must have (either spelling), else ProxySQL skips it
_MANDATORY: dict[str, tuple[tuple[str, ...], ...]] = {
    "mysql_servers": (("address", "hostname"), ("hostgroup", "hostgroup_id")),
    "mysql_users": (("username",),),
    "mysql_query_rules": (("rule_id",),),
    "mysql_replication_hostgroups": (("writer_hostgroup",), ("reader_hostgroup",)),
    "mysql_group_replication_hostgroups": (
        ("writer_hostgroup",),
        ("backup_writer_hostgroup",),
        ("reader_hostgroup",),
        ("offline_hostgroup",),
    ),
    "mysql_galera_hostgroups": (
        ("writer_hostgroup",),
        ("backup_writer_hostgroup",),
        ("reader_hostgroup",),
        ("offline_hostgroup",),
    ),
    "mysql_aws_aurora_hostgroups": (("writer_hostgroup",), ("reader_hostgroup",)),
    "mysql_servers_ssl_params": (("hostname",),),
    "scheduler": (("id",), ("filename",)),
    "restapi": (("id",), ("method",), ("uri",), ("script",)),
    "proxysql_servers": (("address", "hostname"), ("port",)),
}
_SERVER_STATUSES = ("ONLINE", "SHUNNED", "OFFLINE_SOFT", "OFFLINE_HARD")


def _entries(value: Any) -> list[dict[str, Any]]:
    """The groups of a list section; anything else is not an entry (ProxySQL skips it)."""
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, dict)]


def _insert_section(node: "SandboxNode", section: str, entries: Any) -> int:
    assert node.db is not None
    table, renames, file_defaults = _ROW_SECTIONS[section]
    cols = set(node._columns("main", table))
    count = 0
    for entry in _entries(entries):
        if any(not any(k in entry for k in keys) for keys in _MANDATORY.get(section, ())):
            continue
        row: dict[str, Any] = dict(file_defaults)
        for key, value in entry.items():
            col = renames.get(key, key)
            if col in cols and key not in _NOT_READ.get(section, set()):
                row[col] = _var_text(value) if isinstance(value, bool) else value
        if section == "mysql_replication_hostgroups":
            ct = str(row.get("check_type", "read_only"))
            if ct not in ("read_only", "innodb_read_only", "super_read_only"):
                row["check_type"] = "read_only"
        if section == "mysql_servers" and "status" in row:
            status = str(row["status"]).upper()
            row["status"] = status if status in _SERVER_STATUSES else "ONLINE"
        names = sorted(row)
        try:
            node.db.execute(
                f"INSERT OR REPLACE INTO main.{table} ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names],
            )
        except (sqlite3.Error, OverflowError):
            continue  # ProxySQL logs the failed INSERT and goes on
        count += 1
    return count


def _variable_sections(node: "SandboxNode") -> tuple[tuple[str, str], ...]:
    """(section, prefix) of the variable groups a node reads and writes (3.0: pgsql too)."""
    groups = (("admin_variables", "admin-"), ("mysql_variables", "mysql-"))
    return (*groups, ("pgsql_variables", "pgsql-")) if node.server.pgsql else groups


def apply_config(node: "SandboxNode", config: dict[str, Any], values: dict[str, str]) -> None:
    """First boot: variables into `values`, row sections into memory."""
    for section, prefix in _variable_sections(node):
        for key, value in _group(config.get(section)).items():
            values[prefix + key] = _var_text(value)
    for section in _ROW_SECTIONS:
        if section in config:
            _insert_section(node, section, config[section])


def _group(value: Any) -> dict[str, Any]:
    """A variables section: a group of scalars (anything else is ignored)."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if not isinstance(v, dict | list)}


def load_from_config(node: "SandboxNode", module: str) -> int:
    assert node.config is not None and node.db is not None
    sections = {
        f"{prefix[:-1].upper()} VARIABLES": g
        for g in _variable_sections(node)
        for prefix in (g[1],)
    }
    if module in sections:
        section, prefix = sections[module]
        items = _group(node.config.get(section)).items()
        node.db.executemany(
            "INSERT OR REPLACE INTO main.global_variables VALUES (?,?)",
            [(prefix + k, _var_text(v)) for k, v in items],
        )
        return len(items)
    total = 0
    for section in _MODULE_SECTIONS.get(module, ()):
        if section in node.config:
            total += _insert_section(node, section, node.config[section])
    return total


def _quote(value: Any) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def export_config(node: "SandboxNode") -> str:
    """`SELECT CONFIG FILE`: the libconfig text ProxySQL writes (3.0.1 adds pgsql_variables and
    the pgsql_users / _query_rules / _servers / _replication_hostgroups lists)."""
    refs = ddl.reference_rows()
    out = [str(refs.get("config_header", ""))]
    groups = _variable_sections(node)
    for section, prefix in groups:
        rows = node._q(
            "SELECT variable_name, variable_value FROM main.global_variables "
            "WHERE variable_name LIKE ? ORDER BY variable_name",
            (prefix + "%",),
        )
        out.append(f"{section} =" + ("\n" if prefix == "admin-" else " \n") + "{\n")
        for name, value in rows:
            if value not in (None, ""):
                out.append(f"\t{name[len(prefix) :]}={_quote(value)}\n")
        out.append("}\n" + ("\n" if section != groups[-1][0] else ""))
    pgsql = ("pgsql_users", "pgsql_query_rules", "pgsql_servers", "pgsql_replication_hostgroups")
    for section in (
        "mysql_users",
        "mysql_query_rules",
        "mysql_servers",
        "mysql_replication_hostgroups",
        "mysql_group_replication_hostgroups",
        "mysql_galera_hostgroups",
        "mysql_aws_aurora_hostgroups",
        *(pgsql if node.server.pgsql else ()),
        "scheduler",
        "restapi",
        "proxysql_servers",
    ):
        table = "restapi_routes" if section == "restapi" else section
        cols = node._columns("main", table)
        rows = node._q(f"SELECT * FROM main.{table}")
        out.append(f"{section}:\n(\n")
        entries = []
        for r in rows:
            fields = []
            for c, v in zip(cols, r, strict=True):
                if v is None:
                    continue
                fields.append(f"\t\t{c}={v if isinstance(v, int) else _quote(v)}")
            entries.append("\t{\n" + "\n".join(fields) + "\n\t}")
        out.append(",\n".join(entries) + "\n)\n")
    return "".join(out)
