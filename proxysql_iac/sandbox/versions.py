"""The ProxySQL versions the sandbox speaks: 2.7 (2.7.1, the default) and 3.0 (3.0.1).

A version decides the admin schema (3.0 adds the `pgsql_*` configuration tables and stats
tables), the variables of a fresh node (212 on 2.7.1, 373 on 3.0.1), the LOAD/SAVE grammar
(3.0 adds the PGSQL modules), the rows of `runtime_checksums_values` and what
`SELECT @@version` answers. Everything else, the MySQL side included, behaves the same (as
measured on the two real builds).
"""

from dataclasses import dataclass

from .commands import GRAMMAR_27, GRAMMAR_30, Grammar

CHECKSUM_MODULES_27 = (
    "admin_variables",
    "mysql_query_rules",
    "mysql_servers",
    "mysql_servers_v2",
    "mysql_users",
    "mysql_variables",
    "proxysql_servers",
)
# 3.0.1 lists the PostgreSQL modules too; pgsql_variables stays at version 0 with no checksum
# (a LOAD does not count it), and no peer ever pulls any of them.
PGSQL_CHECKSUM_MODULES = ("pgsql_query_rules", "pgsql_servers", "pgsql_users")
UNCOUNTED_CHECKSUMS = ("pgsql_variables",)


@dataclass(frozen=True)
class ServerVersion:
    name: str
    version: str  # admin-version, SELECT @@version
    pgsql: bool  # the PostgreSQL side of ProxySQL 3
    grammar: Grammar
    variables_file: str
    checksum_modules: tuple[str, ...]
    uncounted_checksums: tuple[str, ...] = ()


VERSIONS: dict[str, ServerVersion] = {
    "2.7": ServerVersion(
        "2.7", "2.7.1-16-g2726c27", False, GRAMMAR_27, "global_variables.json", CHECKSUM_MODULES_27
    ),
    "3.0": ServerVersion(
        "3.0",
        "3.0.1-0-g784be94",
        True,
        GRAMMAR_30,
        "global_variables_3.0.json",
        CHECKSUM_MODULES_27 + PGSQL_CHECKSUM_MODULES,
        UNCOUNTED_CHECKSUMS,
    ),
}
DEFAULT_VERSION = "2.7"


def server_version(name: str) -> ServerVersion:
    """The version called `name` ("2.7" or "3.0"); ValueError naming the choices otherwise."""
    found = VERSIONS.get(name)
    if found is None:
        choices = ", ".join(VERSIONS)
        raise ValueError(f"unknown ProxySQL version {name!r}: the sandbox speaks {choices}")
    return found
