"""PXC143: ProxySQL 3.0 also serves the admin interface over PostgreSQL, on every address."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule

NAME = "admin-pgsql_ifaces"


@rule("PXC143", "pgsql-admin-interface", Severity.WARNING)
def pgsql_admin_interface(ctx: RuleContext) -> Iterator[Issue]:
    """A ProxySQL 3.0 spec that leaves `admin-pgsql_ifaces` at its default, 0.0.0.0:6132.

    ProxySQL 3.0 serves the admin interface a second time, over the PostgreSQL protocol, with
    the same admin credentials, on every address of the host by default: a firewall or a
    binding written for port 6032 does not cover it. Declare where it listens.

    Bad::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 10.0.0.1}]

    Good::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 10.0.0.1}]
        admin_variables:
          pgsql_ifaces: 127.0.0.1:6132
    """
    if NAME not in ctx.catalog or NAME in ctx.desired.variables:
        return
    info = ctx.catalog.get(NAME)
    default = info.default if info else ""
    yield Issue(
        ("cluster", "proxysql_version"),
        f"ProxySQL {ctx.desired.proxysql_version} serves the admin interface over PostgreSQL "
        f"on {default} (every address) with the admin credentials unless "
        "admin_variables.pgsql_ifaces says otherwise",
        "declare `admin_variables: {pgsql_ifaces: ...}`: 127.0.0.1:6132 keeps it local",
    )
