"""PXC130: a password written as a plaintext literal in the spec."""

import re
from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.compile import WrittenCredentials
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLES, Table

NATIVE_HASH = re.compile(r"^\*[0-9A-Fa-f]{40}$")
SHA2_HASH_PREFIX = "$A$005$"
REFERENCE_HINT = "write `{env: NAME}` or `{file: path}` and keep the secret out of the repository"


def is_hash(password: str) -> bool:
    """A ProxySQL password hash (mysql_native_password or caching_sha2) is not a secret."""
    return bool(NATIVE_HASH.match(password)) or password.startswith(SHA2_HASH_PREFIX)


@rule("PXC130", "plaintext-password", Severity.WARNING)
def plaintext_password(ctx: RuleContext) -> Iterator[Issue]:
    """A plaintext password literal in the spec.

    The file is reviewed in pull requests and committed: a literal password ends up in every
    clone and CI log. Use `{env: ...}`, `{file: ...}` or, for `mysql_users`, a hash (`*` + 40
    hex for mysql_native_password, `$A$005$...` for caching_sha2_password). Every password
    column is checked, `pgsql_users` (ProxySQL 3.0) included; a MySQL hash there is no hash
    to PostgreSQL, so it is reported too. Secret variables (`pgsql-monitor_password` too)
    are checked from the variable catalog of the targeted version.

    Bad::

        mysql_users:
          - {username: app, password: s3cret}
        mysql_variables:
          monitor_password: monitor

    Good::

        mysql_users:
          - {username: app, password: {env: APP_DB_PASSWORD}}
        mysql_variables:
          monitor_password: {file: /run/secrets/monitor}
    """
    for table in TABLES:
        for column in (c.name for c in table.columns if c.secret):
            for row in ctx.desired.rows(table.name):
                password = row.values[column]
                if not isinstance(password, str) or not password:
                    continue
                if _hashes_allowed(table) and is_hash(password):
                    continue
                yield Issue(
                    (*row.origin, column),
                    f"the {column} of {table.name} user {row.values['username']!r} is a "
                    "plaintext literal",
                    REFERENCE_HINT
                    + (", or a hash (* + 40 hex, $A$005$...)" if _hashes_allowed(table) else ""),
                )
    cluster = ctx.cluster
    if cluster is not None:
        yield from _admin_literal(cluster.admin, ("cluster", "admin"), "cluster.admin")
        for index, node in enumerate(cluster.nodes):
            yield from _admin_literal(
                node.admin, ("cluster", "nodes", index, "admin"), f"node {node.name!r}'s admin"
            )
    for full, variable in sorted(ctx.desired.variables.items()):
        info = ctx.catalog.get(full)
        value = variable.value
        literal = value not in (None, "") and not isinstance(value, SecretRef)
        if info is not None and info.secret and literal:
            yield Issue(
                variable.origin,
                f"{full} holds a secret and is written as a plaintext literal",
                REFERENCE_HINT,
            )


def _admin_literal(
    admin: WrittenCredentials | None, path: tuple[str | int, ...], what: str
) -> Iterator[Issue]:
    if admin is not None and isinstance(admin.password, str) and admin.password:
        yield Issue(
            (*path, "password"),
            f"{what} password (user {admin.user!r}) is a plaintext literal",
            REFERENCE_HINT,
        )


def _hashes_allowed(table: Table) -> bool:
    """MySQL password hashes are accepted by the MySQL side's users table only."""
    return table.module.keyword.startswith("MYSQL")
