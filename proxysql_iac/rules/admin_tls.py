"""PXC134, PXC135: how pxc protects its admin connections (`cluster.admin.tls`, a node's `tls`)."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._admin import TlsAccess, is_ip_address, is_loopback, tls_accesses
from proxysql_iac.spec.compile import WrittenCluster, WrittenNode, WrittenTls
from proxysql_iac.spec.models import AdminTls

VERIFYING = ("verify_ca", "verify_identity")
PEM_MARK = "-----BEGIN"
VERIFY_HINT = (
    "set `tls: {mode: verify_ca, ca: ...}` with the CA that signed the node's certificate "
    "(ProxySQL's own is proxysql-ca.pem in the node's datadir); see docs/operations.md"
)


@rule("PXC134", "admin-tls-unverified", Severity.WARNING)
def admin_tls_unverified(ctx: RuleContext) -> Iterator[Issue]:
    """A node reached over the network with an admin TLS mode below `verify_ca`.

    Every plan, apply, status and export sends the admin password, the users' password hashes
    and the whole configuration to the node. With `disabled` (or `preferred` against a node
    that does not offer TLS) that crosses the network in plaintext; with `preferred` and
    `required` it is encrypted, but to whoever answers at the address: nothing checks that it
    is the node. Nodes on loopback, and nodes pxc has no credentials for, are exempt.

    Bad::

        cluster:
          primary: p1
          admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
          nodes: [{name: p1, host: 10.0.1.11}]

    Good::

        cluster:
          primary: p1
          admin:
            user: radmin
            password: {env: PXC_ADMIN_PASSWORD}
            tls: {mode: verify_ca}
          nodes:
            - {name: p1, host: 10.0.1.11, tls: {ca: certs/proxysql-1-ca.pem}}
    """
    cluster = ctx.cluster
    for access in tls_accesses(cluster):
        host, mode = access.node.host, access.mode
        if host is None or "mode" in access.unreadable:
            continue
        if mode in VERIFYING or is_loopback(host):
            continue
        if cluster is not None and cluster.admin is None and access.node.admin is None:
            continue  # no credentials: pxc never connects to it
        where = f"{access.node.name} ({host})"
        if mode == "disabled":
            what = f"pxc sends the admin password and the configuration to {where} in plaintext"
        elif mode == "preferred":
            what = (
                f"pxc reaches {where} over the network with admin TLS mode preferred: "
                "encrypted only if the node offers TLS, and never checked to be the node"
            )
        else:
            what = (
                f"pxc reaches {where} over the network with admin TLS mode required: "
                "encrypted, but never checked to be the node"
            )
        yield Issue(
            access.path("mode"),
            what + ", so whoever answers there can read the admin password and the configuration",
            VERIFY_HINT,
        )


@rule("PXC135", "admin-tls-contradiction", Severity.ERROR)
def admin_tls_contradiction(ctx: RuleContext) -> Iterator[Issue]:
    """Admin TLS settings that contradict each other.

    A `ca` or `server_name` with a mode that never checks it, `verify_ca` without a `ca`,
    `verify_identity` against an IP address without a `server_name` (a certificate names the
    host it serves, and ProxySQL's own certificate names none), a client `cert` without its
    `key` or the reverse, and PEM text written in the spec where a path belongs: each one
    leaves pxc trusting less than the spec says, or failing at the first connection.

    Bad::

        cluster:
          primary: p1
          admin:
            user: radmin
            password: {env: PXC_ADMIN_PASSWORD}
            tls: {mode: required, ca: /etc/pxc/proxysql-ca.pem}
          nodes: [{name: p1, host: 10.0.1.11}]

    Good::

        cluster:
          primary: p1
          admin:
            user: radmin
            password: {env: PXC_ADMIN_PASSWORD}
            tls:
              mode: verify_identity
              ca: /etc/pxc/ca.pem
              server_name: proxysql-1.db.internal
          nodes: [{name: p1, host: 10.0.1.11}]
    """
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for access in tls_accesses(ctx.cluster):
        for issue in _contradictions(access):
            if (issue.path, issue.message) not in seen:
                seen.add((issue.path, issue.message))
                yield issue


def tls_contradictions(name: str, host: str, port: int, tls: AdminTls) -> Iterator[Issue]:
    """PXC135 for one node's own settings (pxc export's --tls options)."""
    given = WrittenTls({k: getattr(tls, k) for k in tls.model_fields_set})
    node = WrittenNode(name, host, port, None, given)
    yield from _contradictions(next(tls_accesses(WrittenCluster(name, None, (node,)))))


def _contradictions(access: TlsAccess) -> Iterator[Issue]:
    mode, name, host = access.mode, access.node.name, access.node.host
    ca, cert, key = access.get("ca"), access.get("cert"), access.get("key")
    server_name = access.get("server_name")
    if "mode" in access.unreadable:
        return
    if ca is not None and mode not in VERIFYING:
        yield Issue(
            access.path("ca"),
            f"a CA is given, but admin TLS mode {mode} never checks the node's certificate",
            "set `mode: verify_ca` (or verify_identity), or remove `ca`",
        )
    if mode == "verify_ca" and ca is None and "ca" not in access.unreadable:
        yield Issue(
            access.path("mode"),
            f"verify_ca needs the CA that signed {name}'s certificate, and no `ca` is given",
            "add `ca:` (ProxySQL's own CA is proxysql-ca.pem in the node's datadir)",
        )
    if server_name is not None and mode != "verify_identity":
        yield Issue(
            access.path("server_name"),
            f"server_name is checked only by verify_identity, and the mode is {mode}",
            "set `mode: verify_identity`, or remove `server_name`",
        )
    if (
        mode == "verify_identity"
        and server_name is None
        and "server_name" not in access.unreadable
        and host is not None
        and is_ip_address(host)
    ):
        yield Issue(
            access.path("server_name"),
            f"verify_identity checks that {name}'s certificate names the host pxc connects "
            f"to, and {host} is an IP address",
            "connect by the DNS name the certificate carries, or set `server_name:` to it",
        )
    if (cert is None) != (key is None) and not {"cert", "key"} & access.unreadable:
        given, missing = ("cert", "key") if key is None else ("key", "cert")
        yield Issue(
            access.path(given),
            f"a client certificate needs both `cert` and `key`; {name} has no `{missing}`",
            f"add `{missing}:`, or remove `{given}`",
        )
    for field_name, value in (("ca", ca), ("cert", cert), ("key", key)):
        if isinstance(value, str) and PEM_MARK in value:
            yield Issue(
                access.path(field_name),
                f"`{field_name}` holds PEM text, and a plain string is the path of a PEM file",
                "write the path, or keep the PEM in `{env: NAME}` / `{file: path}`",
            )
