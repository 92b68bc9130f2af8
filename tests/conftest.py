"""Shared fixtures.

`proxysql_cluster` starts the pxc sandbox (3 nodes on loopback) once per session; with
PXC_TEST_SERVER=real it starts a real 3-node ProxySQL cluster from PXC_PROXYSQL_BIN instead
(and the tests marked `real_process` can stop, kill and restart its processes); with
PXC_TEST_PROXYSQL (`user:pass@host:port,...`, first node primary) it points the tests at a
cluster someone else runs.

`proxysql30_cluster` is the same for ProxySQL 3.0: a 3-node sandbox speaking 3.0; with
PXC_TEST_SERVER=real a real 3-node cluster from PXC_PROXYSQL_BIN_30 (its tests are skipped,
saying why, when that variable names no binary); with PXC_TEST_PROXYSQL_30 a 3.0 cluster
someone else runs.
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
    real: Any = None  # tests.realserver.RealCluster when this run started the real servers
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


def _real_run() -> bool:
    return os.environ.get("PXC_TEST_SERVER") == "real"


@pytest.fixture(scope="session")
def proxysql_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterTarget]:
    spec = os.environ.get("PXC_TEST_PROXYSQL")
    if spec:
        yield ClusterTarget(nodes=_parse_targets(spec))
        return
    if _real_run():
        from tests.realserver import RealCluster

        binary = os.environ.get("PXC_PROXYSQL_BIN", "")
        if not os.access(binary, os.X_OK):
            pytest.exit(f"PXC_TEST_SERVER=real needs PXC_PROXYSQL_BIN (got {binary!r})", 1)
        with RealCluster(binary, tmp_path_factory.mktemp("real-proxysql")) as cluster:
            yield ClusterTarget(nodes=cluster.endpoints(), real=cluster)
        return
    from proxysql_iac.sandbox import Sandbox

    with Sandbox(nodes=3) as sb:
        yield ClusterTarget(nodes=sb.endpoints("radmin", "radmin"), sandbox=sb)


@pytest.fixture(scope="session")
def proxysql30_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterTarget]:
    spec = os.environ.get("PXC_TEST_PROXYSQL_30")
    if spec:
        yield ClusterTarget(nodes=_parse_targets(spec))
        return
    if _real_run():
        from tests.realserver import RealCluster

        binary = os.environ.get("PXC_PROXYSQL_BIN_30", "")
        if not os.access(binary, os.X_OK):
            pytest.skip(
                "NOT RUN against a real ProxySQL 3.0: PXC_TEST_SERVER=real needs "
                f"PXC_PROXYSQL_BIN_30 to name a ProxySQL 3.0 binary (got {binary!r})"
            )
        directory = tmp_path_factory.mktemp("real-proxysql-30")
        with RealCluster(binary, directory, pgsql=True) as cluster:
            yield ClusterTarget(nodes=cluster.endpoints(), real=cluster)
        return
    from proxysql_iac.sandbox import Sandbox

    with Sandbox(nodes=3, version="3.0") as sb:
        yield ClusterTarget(nodes=sb.endpoints("radmin", "radmin"), sandbox=sb)


@pytest.fixture(autouse=True)
def _no_terminal_to_ask_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """pxc asks (apply's confirmation, export's password) on the controlling terminal; in the
    tests it never finds the developer's: a test that wants one gives it a pty."""
    monkeypatch.setattr("proxysql_iac.cli.TERMINAL", os.devnull + "/no-terminal")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    external = bool(os.environ.get("PXC_TEST_PROXYSQL"))
    real = external or _real_run()
    on_sandbox = pytest.mark.skip(reason="needs the sandbox's Python API (a real ProxySQL run)")
    own_processes = pytest.mark.skip(
        reason="needs ProxySQL processes this run started (PXC_TEST_SERVER=real)"
    )
    for item in items:
        if real and "sandbox" in item.keywords:
            item.add_marker(on_sandbox)
        if "real_process" in item.keywords and (external or not real):
            item.add_marker(own_processes)
