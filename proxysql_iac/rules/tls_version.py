"""PXC123: `mysql_servers_ssl_params.tls_version` is stored but not applied by ProxySQL 2.7."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule


@rule("PXC123", "tls-version-ignored", Severity.INFO)
def tls_version_ignored(ctx: RuleContext) -> Iterator[Issue]:
    """`mysql_servers_ssl_params.tls_version` is stored but not applied by ProxySQL 2.7.

    The column exists and shows the value, but backend connections negotiate the TLS version
    as if it were empty.

    Bad::

        mysql_servers_ssl_params:
          - {hostname: db1, ssl_ca: /etc/ca.pem, tls_version: TLSv1.3}

    Good::

        mysql_servers_ssl_params:
          - {hostname: db1, ssl_ca: /etc/ca.pem}
    """
    for row in ctx.desired.rows("mysql_servers_ssl_params"):
        version = row.values["tls_version"]
        if version:
            yield Issue(
                (*row.origin, "tls_version"),
                f"tls_version {version!r} for {row.values['hostname']}:{row.values['port']} is "
                "stored but not applied by ProxySQL 2.7",
                "remove it, or restrict TLS versions on the backend itself",
            )
