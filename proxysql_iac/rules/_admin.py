"""Shared facts about how pxc reaches each node's admin interface (PXC132 to PXC135)."""

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from proxysql_iac.spec.compile import (
    TlsValue,
    WrittenCluster,
    WrittenCredentials,
    WrittenNode,
)
from proxysql_iac.spec.models import DEFAULT_TLS_MODE


class Access(NamedTuple):
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


@dataclass(frozen=True)
class TlsAccess:
    """A node's admin TLS settings (its own keys over the cluster's), and where each was written."""

    node: WrittenNode
    index: int
    settings: dict[str, TlsValue]
    written: dict[str, tuple[str | int, ...]]  # key -> path of the value in effect
    unreadable: frozenset[str]  # keys whose value in effect has the wrong type: not judged

    @property
    def mode(self) -> str:
        mode = self.settings.get("mode")
        return mode if isinstance(mode, str) else DEFAULT_TLS_MODE

    def get(self, key: str) -> TlsValue:
        return self.settings.get(key)

    def path(self, key: str) -> tuple[str | int, ...]:
        """Where `key` was written; the node's `host` for a key left at its default."""
        return self.written.get(key, ("cluster", "nodes", self.index, "host"))


def tls_accesses(cluster: WrittenCluster | None) -> Iterator[TlsAccess]:
    if cluster is None:
        return
    shared = cluster.admin.tls if cluster.admin is not None else None
    for index, node in enumerate(cluster.nodes):
        settings: dict[str, TlsValue] = {}
        written: dict[str, tuple[str | int, ...]] = {}
        unreadable: set[str] = set()
        for block, where in (
            (shared, ("cluster", "admin")),
            (node.tls, ("cluster", "nodes", index)),
        ):
            if block is not None:
                settings.update(block.given)
                written.update({k: (*where, "tls", k) for k in block.given})
                unreadable = (unreadable - set(block.given)) | block.unreadable
        yield TlsAccess(node, index, settings, written, frozenset(unreadable))


def is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


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
