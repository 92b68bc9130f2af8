"""Shared facts about how pxc reaches each node's admin interface (PXC132, PXC133)."""

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from proxysql_iac.spec.compile import WrittenCluster, WrittenCredentials, WrittenNode


@dataclass(frozen=True)
class Access:
    node: WrittenNode
    admin: WrittenCredentials
    path: tuple[str | int, ...]  # where these credentials were written


def accesses(cluster: WrittenCluster | None) -> Iterator[Access]:
    """The credentials pxc uses for each node (a node's own, else the cluster's). Values
    the spec wrote with the wrong type are None: rules skip what they cannot judge."""
    if cluster is None:
        return
    for index, node in enumerate(cluster.nodes):
        if node.admin is not None:
            yield Access(node, node.admin, ("cluster", "nodes", index, "admin"))
        elif cluster.admin is not None:
            yield Access(node, cluster.admin, ("cluster", "admin"))


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host.strip("[]") in ("0.0.0.0", "::", "*", "")
