"""PXC144: pgsql_ldap_mapping rows that no command puts at runtime."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import TABLES


@rule("PXC144", "table-never-loaded", Severity.WARNING)
def never_loaded(ctx: RuleContext) -> Iterator[Issue]:
    """Rows of a table that has no LOAD or SAVE command: `pgsql_ldap_mapping` in ProxySQL 3.0.1.

    Every form of LOAD and SAVE for it is a syntax error on 3.0.1: rows written to the table
    stay in memory, never reach runtime (ProxySQL does not use them) nor disk (a restart
    loses them).

    Bad::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 10.0.0.1}]
        admin_variables: {pgsql_ifaces: 127.0.0.1:6132}
        pgsql_ldap_mapping:
          - {priority: 1, frontend_entity: cn=dba, backend_entity: dba}

    Good::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 10.0.0.1}]
        admin_variables: {pgsql_ifaces: 127.0.0.1:6132}
    """
    for table in TABLES:
        if table.module.loadable or ctx.desired.proxysql_version not in table.versions:
            continue
        for row in ctx.desired.rows(table.name):
            yield Issue(
                row.origin,
                f"ProxySQL has no LOAD or SAVE command for {table.name}: this row never "
                "reaches runtime or disk",
                "remove it; map LDAP groups once a ProxySQL release can load this table",
            )
