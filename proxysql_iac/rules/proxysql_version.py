"""PXC142: sections the ProxySQL version the spec targets does not have."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.spec.tables import section_versions


@rule("PXC142", "not-in-proxysql-version", Severity.ERROR)
def not_in_version(ctx: RuleContext) -> Iterator[Issue]:
    """A section the ProxySQL version in `cluster.proxysql_version` does not have.

    The `pgsql_*` tables and `pgsql_variables` exist only on ProxySQL 3.0: on a 2.7 node every
    statement on them fails. A spec targets 2.7 unless `cluster.proxysql_version` says "3.0".

    Bad::

        pgsql_servers:
          - {hostgroup_id: 1, hostname: pg1}

    Good::

        cluster:
          proxysql_version: "3.0"
          primary: p1
          nodes: [{name: p1, host: 10.0.0.1}]
        admin_variables: {pgsql_ifaces: 127.0.0.1:6132}
        pgsql_servers:
          - {hostgroup_id: 1, hostname: pg1}
    """
    version = ctx.desired.proxysql_version
    for section in ctx.loaded.data:
        versions = section_versions(str(section))
        if version not in versions:
            yield Issue(
                (str(section),),
                f"`{section}` exists only in ProxySQL {' and '.join(versions)}; "
                f"this spec targets ProxySQL {version}",
                f"if the nodes run ProxySQL {versions[-1]}, set `cluster.proxysql_version: "
                f'"{versions[-1]}"`; otherwise remove the section',
                at_key=True,
            )
