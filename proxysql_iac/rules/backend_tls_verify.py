"""PXC122: backend TLS without a CA: encrypted, but the server is never verified."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import hostgroup_label, servers_defaults, wants_tls
from proxysql_iac.spec.compile import Desired

CA_VARIABLES = ("mysql-ssl_p2s_ca", "mysql-ssl_p2s_capath")


@rule("PXC122", "backend-tls-unverified", Severity.WARNING)
def backend_tls_unverified(ctx: RuleContext) -> Iterator[Issue]:
    """`use_ssl: 1` without `mysql-ssl_p2s_ca` (or a per-server CA in `mysql_servers_ssl_params`).

    Traffic is encrypted but the server is not verified, and ProxySQL never checks the
    hostname. If the backend does not offer TLS, ProxySQL silently falls back to plaintext.

    Bad::

        mysql_servers:
          - {hostname: db1, use_ssl: 1}

    Good::

        mysql_servers:
          - {hostname: db1, use_ssl: 1}
        mysql_variables:
          ssl_p2s_ca: /etc/proxysql/certs/ca.pem
    """
    desired = ctx.desired
    if _global_ca(desired):
        return
    verified = {
        (row.values["hostname"], row.values["port"])
        for row in desired.rows("mysql_servers_ssl_params")
        if row.values["ssl_ca"] or row.values["ssl_capath"]
    }
    hint = "set mysql_variables.ssl_p2s_ca to the CA bundle that signed the backends"
    for row in desired.rows("mysql_servers"):
        endpoint = (row.values["hostname"], row.values["port"])
        if wants_tls(row.values["use_ssl"]) and endpoint not in verified:
            yield Issue(
                (*row.origin, "use_ssl"),
                f"{endpoint[0]}:{endpoint[1]} (hostgroup "
                f"{hostgroup_label(desired, row.values['hostgroup_id'])}) uses TLS without "
                "a CA: the server is not verified and a backend without TLS gets plaintext",
                hint + " (or add a mysql_servers_ssl_params row with ssl_ca)",
            )
    for row in desired.rows("mysql_hostgroup_attributes"):
        if wants_tls(servers_defaults(row).get("use_ssl")):
            yield Issue(
                (*row.origin, "servers_defaults"),
                f"servers in hostgroup {hostgroup_label(desired, row.values['hostgroup_id'])} "
                "use TLS without a CA: they are not verified and a backend without TLS gets "
                "plaintext",
                hint,
            )


def _global_ca(desired: Desired) -> bool:
    for name in CA_VARIABLES:
        variable = desired.variables.get(name)
        if variable is not None and variable.value not in (None, ""):
            return True
    return False
