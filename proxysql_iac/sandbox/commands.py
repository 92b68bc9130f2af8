"""The admin command grammar ProxySQL 2.7.1 and 3.0.1 interpret before handing a query to SQLite.

Commands are matched as whole strings after normalisation (trim, collapse whitespace, strip
trailing semicolons and blanks), case-insensitively, as a real 2.7.1 answers them.
"""

import re
from dataclasses import dataclass

# module keyword -> tables it moves between layers (empty for variable modules)
TABLE_MODULES: dict[str, tuple[str, ...]] = {
    "MYSQL SERVERS": (
        "mysql_servers",
        "mysql_replication_hostgroups",
        "mysql_group_replication_hostgroups",
        "mysql_galera_hostgroups",
        "mysql_aws_aurora_hostgroups",
        "mysql_hostgroup_attributes",
        "mysql_servers_ssl_params",
    ),
    "MYSQL USERS": ("mysql_users",),
    "MYSQL QUERY RULES": ("mysql_query_rules", "mysql_query_rules_fast_routing"),
    "MYSQL FIREWALL": (
        "mysql_firewall_whitelist_users",
        "mysql_firewall_whitelist_rules",
        "mysql_firewall_whitelist_sqli_fingerprints",
    ),
    "PROXYSQL SERVERS": ("proxysql_servers",),
    "SCHEDULER": ("scheduler",),
    "RESTAPI": ("restapi_routes",),
}
VARIABLE_MODULES: dict[str, str] = {
    "MYSQL VARIABLES": "mysql-",
    "ADMIN VARIABLES": "admin-",
    "SQLITESERVER VARIABLES": "sqliteserver-",
}
# Directions: name -> (verb, words after the module)
DIRECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "to_runtime": ("LOAD", ("TO RUNTIME", "TO RUN", "FROM MEMORY", "FROM MEM")),
    "to_memory_from_disk": ("LOAD", ("TO MEMORY", "TO MEM", "FROM DISK")),
    "from_config": ("LOAD", ("FROM CONFIG",)),
    "from_runtime": ("SAVE", ("TO MEMORY", "TO MEM", "FROM RUNTIME", "FROM RUN")),
    "to_disk": ("SAVE", ("FROM MEMORY", "FROM MEM", "TO DISK")),
}
# Modules that accept only some directions (2.7.1 as recorded).
LIMITED: dict[str, dict[str, tuple[str, ...]]] = {
    "COREDUMP": {"to_runtime": ("TO RUNTIME",)},
    "CLICKHOUSE VARIABLES": {
        "to_runtime": ("TO RUNTIME",),
        "to_memory_from_disk": ("FROM DISK",),
        "to_disk": ("TO DISK",),
        "from_runtime": ("FROM RUNTIME",),
    },
}
NO_CONFIG = frozenset({"SQLITESERVER VARIABLES"})

# What ProxySQL 3.0.1 adds (recorded): every direction for the PostgreSQL modules, none for
# pgsql_ldap_mapping (a syntax error, its rows never reach runtime or disk), and two more
# spellings of LOAD COREDUMP.
PGSQL_TABLE_MODULES: dict[str, tuple[str, ...]] = {
    "PGSQL SERVERS": (
        "pgsql_servers",
        "pgsql_replication_hostgroups",
        "pgsql_hostgroup_attributes",
    ),
    "PGSQL USERS": ("pgsql_users",),
    "PGSQL QUERY RULES": ("pgsql_query_rules", "pgsql_query_rules_fast_routing"),
    "PGSQL FIREWALL": (
        "pgsql_firewall_whitelist_users",
        "pgsql_firewall_whitelist_rules",
        "pgsql_firewall_whitelist_sqli_fingerprints",
    ),
}
PGSQL_VARIABLE_MODULES: dict[str, str] = {"PGSQL VARIABLES": "pgsql-"}
LIMITED_30: dict[str, dict[str, tuple[str, ...]]] = {
    **LIMITED,
    "COREDUMP": {"to_runtime": ("TO RUNTIME", "TO RUN", "FROM MEMORY")},
}


@dataclass(frozen=True)
class LoadSave:
    module: str
    direction: str


def normalize(sql: str) -> str:
    text = " ".join(sql.split())
    while text.endswith(";") or text.endswith(" "):
        text = text[:-1]
    return text


@dataclass(frozen=True)
class Grammar:
    """The modules of one server version and the LOAD/SAVE statements naming them."""

    table_modules: dict[str, tuple[str, ...]]
    variable_modules: dict[str, str]
    load_save: dict[str, LoadSave]

    def parse_load_save(self, normalized: str) -> LoadSave | None:
        return self.load_save.get(normalized.upper())


def _build(
    table_modules: dict[str, tuple[str, ...]],
    variable_modules: dict[str, str],
    limited: dict[str, dict[str, tuple[str, ...]]],
) -> Grammar:
    table: dict[str, LoadSave] = {}
    for module in (*table_modules, *variable_modules):
        for direction, (verb, forms) in DIRECTIONS.items():
            if direction == "from_config" and module in NO_CONFIG:
                continue
            for form in forms:
                table[f"{verb} {module} {form}"] = LoadSave(module, direction)
    for module, dirs in limited.items():
        for direction, forms in dirs.items():
            verb = DIRECTIONS[direction][0]
            for form in forms:
                table[f"{verb} {module} {form}"] = LoadSave(module, direction)
    return Grammar(table_modules, variable_modules, table)


GRAMMAR_27 = _build(TABLE_MODULES, VARIABLE_MODULES, LIMITED)
GRAMMAR_30 = _build(
    {**TABLE_MODULES, **PGSQL_TABLE_MODULES},
    {**VARIABLE_MODULES, **PGSQL_VARIABLE_MODULES},
    LIMITED_30,
)
_LOAD_USER = re.compile(r"LOAD MYSQL USER ([A-Za-z0-9_+-]+) TO RUNTIME", re.I)


def parse_load_user(normalized: str) -> str | None:
    m = _LOAD_USER.fullmatch(normalized)
    return m.group(1) if m else None


CHECKSUM_TABLES: dict[str, tuple[str, str]] = {
    # keyword -> (table, label shown in the result)
    "MYSQL SERVERS": ("mysql_servers", "MYSQL SERVERS"),
    "MYSQL USERS": ("mysql_users", "MYSQL USERS"),
    "MYSQL QUERY RULES": ("mysql_query_rules", "MYSQL QUERY RULES"),
    "MYSQL VARIABLES": ("global_variables", "MYSQL VARIABLES"),
    "MYSQL REPLICATION HOSTGROUPS": (
        "mysql_replication_hostgroups",
        "MYSQL REPLICATION HOSTGROUPS",
    ),
    "MYSQL GROUP REPLICATION HOSTGROUPS": (
        "mysql_group_replication_hostgroups",
        "MYSQL GROUP REPLICATION HOSTGROUPS",
    ),
    "MYSQL GALERA HOSTGROUPS": ("mysql_galera_hostgroups", "MYSQL GALERA HOSTGROUPS"),
    "MYSQL AURORA HOSTGROUPS": ("mysql_aws_aurora_hostgroups", "MYSQL AURORA HOSTGROUPS"),
    "MYSQL HOSTGROUP ATTRIBUTES": ("mysql_hostgroup_attributes", "MYSQL HOSTGROUP ATTRIBUTES"),
    # 2.7.1 labels the ssl-params row "MYSQL HOSTGROUP ATTRIBUTES" (measured)
    "MYSQL SERVERS SSL PARAMS": ("mysql_servers_ssl_params", "MYSQL HOSTGROUP ATTRIBUTES"),
}
DISK_CHECKSUM = frozenset(
    {
        "MYSQL SERVERS",
        "MYSQL USERS",
        "MYSQL QUERY RULES",
        "MYSQL VARIABLES",
        "MYSQL REPLICATION HOSTGROUPS",
    }
)


def parse_checksum(normalized: str) -> tuple[str, str, str] | None:
    """CHECKSUM [DISK|MEMORY|MEM] <module> -> (schema, table, label)."""
    words = normalized.upper().split(" ")
    if len(words) < 2 or words[0] != "CHECKSUM":
        return None
    schema = "main"
    rest = words[1:]
    if rest[0] in ("MEMORY", "MEM"):
        rest = rest[1:]
    elif rest[0] == "DISK":
        schema = "disk"
        rest = rest[1:]
    key = " ".join(rest)
    if key not in CHECKSUM_TABLES or (schema == "disk" and key not in DISK_CHECKSUM):
        return None
    table, label = CHECKSUM_TABLES[key]
    return schema, table, label
