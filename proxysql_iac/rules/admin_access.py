"""PXC132: admin variables must keep the credentials and the address pxc uses to reach a node."""

from collections.abc import Iterator

from proxysql_iac.findings import Severity
from proxysql_iac.rules import Issue, RuleContext, rule
from proxysql_iac.rules._admin import Access, accesses, is_loopback, is_wildcard
from proxysql_iac.spec.compile import DesiredVariable, WrittenNode


@rule("PXC132", "admin-lockout", Severity.ERROR)
def admin_lockout(ctx: RuleContext) -> Iterator[Issue]:
    """A change to `admin-admin_credentials` or `admin-mysql_ifaces` that locks pxc out.

    Both take effect at LOAD ADMIN VARIABLES TO RUNTIME: credentials without the user pxc logs
    in as, or listeners without the node's admin port (or only on loopback for a remote node),
    leave pxc unable to reach the node it has just changed, and to fix it.

    Bad::

        cluster:
          primary: p1
          admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
          nodes: [{name: p1, host: 10.0.0.1, port: 6032}]
        admin_variables:
          mysql_ifaces: 127.0.0.1:6032

    Good::

        cluster:
          primary: p1
          admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
          nodes: [{name: p1, host: 10.0.0.1, port: 6032, tls: {mode: verify_ca, ca: p1-ca.pem}}]
        admin_variables:
          mysql_ifaces: 0.0.0.0:6032
    """
    used = list(accesses(ctx.cluster))
    credentials = ctx.desired.variables.get("admin-admin_credentials")
    if credentials is not None and isinstance(credentials.value, str):
        yield from _credentials(credentials, used)
    ifaces = ctx.desired.variables.get("admin-mysql_ifaces")
    if ifaces is not None and isinstance(ifaces.value, str) and ctx.cluster is not None:
        yield from _interfaces(ifaces, ctx.cluster.nodes)


def _credentials(variable: DesiredVariable, used: list[Access]) -> Iterator[Issue]:
    assert isinstance(variable.value, str)
    listed: dict[str, str] = {}
    for pair in variable.value.split(";"):
        user, _, password = pair.partition(":")
        listed.setdefault(user.strip(), password)
    by_user: dict[str, list[Access]] = {}
    for access in used:
        if access.admin.user is not None:
            by_user.setdefault(access.admin.user, []).append(access)
    for user, group in by_user.items():
        nodes = ", ".join(str(a.node.name) for a in group)
        if user not in listed:
            yield Issue(
                variable.origin,
                f"admin_credentials does not list {user!r}, the user pxc logs in as on {nodes}: "
                "after LOAD pxc is locked out",
                f"keep `{user}:...` in admin_credentials, or change the cluster's admin user first",
            )
            continue
        wrong = [
            str(a.node.name)
            for a in group
            if isinstance(a.admin.password, str) and a.admin.password != listed[user]
        ]
        if wrong:
            yield Issue(
                variable.origin,
                f"admin_credentials gives {user!r} another password than the one pxc uses on "
                f"{', '.join(wrong)}: after LOAD pxc is locked out",
                "change the password in both places in one step, or not at all",
            )


def _interfaces(variable: DesiredVariable, nodes: tuple[WrittenNode, ...]) -> Iterator[Issue]:
    assert isinstance(variable.value, str)
    listeners: list[tuple[str, int]] = []
    for entry in variable.value.split(";"):
        host, _, port = entry.strip().rpartition(":")
        if port.isdigit():  # anything else is a Unix socket
            listeners.append((host, int(port)))
    for node in nodes:
        if node.host is None or node.port is None:
            continue  # written with the wrong type: the loader reported it
        on_port = [host for host, port in listeners if port == node.port]
        if is_loopback(node.host):
            reachable = [h for h in on_port if is_loopback(h) or is_wildcard(h)]
        else:
            reachable = [h for h in on_port if not is_loopback(h)]
        if reachable:
            continue
        why = "does not listen where pxc connects on port" if on_port else "has no listener on port"
        yield Issue(
            variable.origin,
            f"mysql_ifaces {variable.value!r} {why} {node.port}, but pxc reaches node "
            f"{node.name!r} at {node.host}:{node.port}: after LOAD pxc is locked out",
            f"keep a listener such as 0.0.0.0:{node.port}",
        )
