"""Shared fixtures.

`proxysql_cluster` starts the pxc sandbox (3 nodes on loopback) once per session, or, when
PXC_TEST_PROXYSQL is set (`user:pass@host:port,user:pass@host:port`, first node primary),
points the tests at a real ProxySQL cluster instead.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


@dataclass
class ClusterTarget:
    nodes: list[tuple[str, int, str, str]]
    sandbox: Any = None  # proxysql_iac.sandbox.Sandbox, or None against a real cluster
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def primary(self) -> tuple[str, int, str, str]:
        return self.nodes[0]


def _parse_targets(spec: str) -> list[tuple[str, int, str, str]]:
    out = []
    for item in spec.split(","):
        creds, _, hostport = item.strip().rpartition("@")
        user, _, password = creds.partition(":")
        host, _, port = hostport.rpartition(":")
        out.append((host, int(port), user, password))
    return out


@pytest.fixture(scope="session")
def proxysql_cluster() -> Iterator[ClusterTarget]:
    spec = os.environ.get("PXC_TEST_PROXYSQL")
    if spec:
        yield ClusterTarget(nodes=_parse_targets(spec))
        return
    from proxysql_iac.sandbox import Sandbox

    with Sandbox(nodes=3) as sb:
        yield ClusterTarget(nodes=sb.endpoints("radmin", "radmin"), sandbox=sb)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PXC_TEST_PROXYSQL"):
        return
    skip = pytest.mark.skip(reason="needs the sandbox's Python API (PXC_TEST_PROXYSQL is set)")
    for item in items:
        if "sandbox" in item.keywords:
            item.add_marker(skip)
