"""PXC133: the literal admin user `admin` can log in only from localhost."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._admin import accesses, is_loopback

# The test is on the user name, whatever the password (ProxySQL 2.7 admin, "localhost rule").
LOCAL_ONLY_USERS = ("admin", "stats", "monitor")


@rule("PXC133", "admin-user-local-only", Severity.ERROR)
def admin_user_local_only(ctx: RuleContext) -> Iterator[Issue]:
    """The admin credentials pxc uses are `admin` on a non-loopback node address.

    ProxySQL accepts the literal user `admin` (and `stats`, `monitor`) only from 127.0.0.1,
    ::1 or a Unix socket, whatever the password: any other client gets "User 'admin' can only
    connect locally".

    Bad::

        cluster:
          primary: p1
          admin: {user: admin, password: {env: PXC_ADMIN_PASSWORD}}
          nodes: [{name: p1, host: 10.0.0.1}]

    Good::

        cluster:
          primary: p1
          admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
          nodes: [{name: p1, host: 10.0.0.1, tls: {mode: verify_ca, ca: p1-ca.pem}}]
        # and admin_credentials lists radmin:...
    """
    remote: dict[tuple[str | int, ...], list[str]] = {}
    users: dict[tuple[str | int, ...], str] = {}
    for access in accesses(ctx.cluster):
        host = access.node.host
        if access.admin.user in LOCAL_ONLY_USERS and host is not None and not is_loopback(host):
            remote.setdefault(access.path, []).append(f"{access.node.name} ({access.node.host})")
            users[access.path] = str(access.admin.user)
    for path, nodes in remote.items():
        user = users[path]
        yield Issue(
            (*path, "user"),
            f"user {user!r} can connect only from localhost, but pxc reaches "
            f"{', '.join(nodes)} over the network",
            "add another user to admin-admin_credentials (e.g. radmin:...) and log in as that",
        )
