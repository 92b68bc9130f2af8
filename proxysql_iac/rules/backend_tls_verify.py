"""PXC122: backend TLS without a CA: encrypted, but the server is never verified."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._topology import (
    MYSQL,
    SIDES,
    Side,
    attributes_by_hostgroup,
    hostgroup_label,
    servers_defaults,
    wants_tls,
)
from proxysql_iac.spec.compile import Desired

CA_VARIABLES = ("ssl_p2s_ca", "ssl_p2s_capath")  # of the side's variables


@rule("PXC122", "backend-tls-unverified", Severity.WARNING)
def backend_tls_unverified(ctx: RuleContext) -> Iterator[Issue]:
    """`use_ssl: 1` without `mysql-ssl_p2s_ca` (or a per-server CA in `mysql_servers_ssl_params`).

    Traffic is encrypted but the server is not verified, and ProxySQL never checks the
    hostname. If the backend does not offer TLS, ProxySQL silently falls back to plaintext.
    On ProxySQL 3.0 the PostgreSQL side has its own CA variables: `pgsql_servers` (and
    `servers_defaults` of `pgsql_hostgroup_attributes`) with `use_ssl: 1` need
    `pgsql_variables.ssl_p2s_ca`; a MySQL CA does not cover them.

    Bad::

        mysql_servers:
          - {hostname: db1, use_ssl: 1}

    Good::

        mysql_servers:
          - {hostname: db1, use_ssl: 1}
        mysql_variables:
          ssl_p2s_ca: /etc/proxysql/certs/ca.pem
    """
    for side in SIDES:
        if not _global_ca(ctx.desired, side):
            yield from _unverified(ctx.desired, side)


def _unverified(desired: Desired, side: Side) -> Iterator[Issue]:
    section = f"{side.keyword.lower()}_variables"
    hint = f"set {section}.ssl_p2s_ca to the CA bundle that signed the backends"
    params = side.table("servers_ssl_params")
    verified = {
        (row.values["hostname"], row.values["port"])
        for row in (desired.rows(params.name) if params is not None else ())
        if row.values["ssl_ca"] or row.values["ssl_capath"]
    }
    fallback = " and a backend without TLS gets plaintext" if side == MYSQL else ""
    for row in desired.rows(side.servers.name):
        endpoint = (row.values["hostname"], row.values["port"])
        if wants_tls(row.values["use_ssl"]) and endpoint not in verified:
            yield Issue(
                (*row.origin, "use_ssl"),
                f"{endpoint[0]}:{endpoint[1]} (hostgroup "
                f"{hostgroup_label(desired, row.values['hostgroup_id'])}) uses TLS without "
                f"a CA: the server is not verified{fallback}",
                hint + (f" (or add a {params.name} row with ssl_ca)" if params else ""),
            )
    for hostgroup, row in attributes_by_hostgroup(desired, side).items():
        if wants_tls(servers_defaults(row).get("use_ssl")):
            yield Issue(
                (*row.origin, "servers_defaults"),
                f"servers in hostgroup {hostgroup_label(desired, hostgroup)} use TLS without "
                f"a CA: they are not verified{fallback}",
                hint,
            )


def _global_ca(desired: Desired, side: Side) -> bool:
    for name in CA_VARIABLES:
        variable = desired.variables.get(side.variable_prefix + name)
        if variable is not None and variable.value not in (None, ""):
            return True
    return False
