"""Helpers for plan/apply tests: a spec bound to the test cluster, and a clean slate."""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proxysql_iac import planning, validate
from proxysql_iac.admin.connection import AdminConnection, Endpoint
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.cli import run
from tests.cluster import load, wait_for_peers

MANAGED = ("mysql_servers", "mysql_users", "mysql_query_rules")


def run_pxc(*args: str) -> tuple[int, str]:
    """Run pxc as the console script does (`cli.run`: its errors become messages and exit
    codes), with stdout and stderr captured together; any other exception fails the test."""
    with CliRunner().isolation() as (_, _, output):
        code = run(list(args))
        sys.stdout.flush()
        sys.stderr.flush()
        return code, output.getvalue().decode("utf-8", "replace")


def cluster_block(nodes: list[tuple[str, int, str, str]], tls: str = "", version: str = "") -> str:
    """`tls`: a flow mapping for every node, e.g. "{mode: disabled}" (default: preferred);
    `version`: the `proxysql_version` the spec targets (default: 2.7)."""
    lines = [
        "cluster:",
        *([f"  proxysql_version: '{version}'"] if version else []),
        "  primary: node1",
        f"  admin: {{user: {nodes[0][2]}, password: {{env: PXC_TEST_ADMIN_PASSWORD}}}}",
        "  nodes:",
    ]
    extra = f", tls: {tls}" if tls else ""
    for i, (host, port, _, _) in enumerate(nodes, start=1):
        lines.append(f"    - {{name: node{i}, host: '{host}', port: {port}{extra}}}")
    return "\n".join(lines) + "\n"


def connect(node: tuple[str, int, str, str], name: str = "node") -> AdminConnection:
    host, port, user, password = node
    return AdminConnection(Endpoint(name, host, port, user, password))


def rows(node: tuple[str, int, str, str], sql: str) -> list[tuple[str | None, ...]]:
    with connect(node) as conn:
        return conn.query(raw_query(sql, "test read"))


@pytest.fixture(autouse=True)
def _as_for_a_large_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """The specs here are small; pxc takes the paths it takes for a large one (the nodes
    read from the outline before the spec is parsed, part of the rules in a forked child),
    so that those are what runs over TCP against both servers."""
    monkeypatch.setattr(planning, "READ_AHEAD_BYTES", 0)
    monkeypatch.setattr(validate, "RULES_BESIDE_ROWS", 0)


@pytest.fixture
def write_spec(
    proxysql_cluster: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Path]]:
    nodes = proxysql_cluster.nodes  # type: ignore[attr-defined]
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", nodes[0][3])
    counter = iter(range(1000))

    def write(body: str) -> Path:
        path = tmp_path / f"spec{next(counter)}.yaml"
        path.write_text("version: 1\n" + cluster_block(nodes) + body)
        return path

    # A known state: the managed tables empty on the primary, loaded, peers converged.
    with connect(nodes[0]) as conn:
        for table, module in (
            ("mysql_query_rules", "MYSQL QUERY RULES"),
            ("mysql_users", "MYSQL USERS"),
            ("mysql_servers", "MYSQL SERVERS"),
        ):
            conn.execute(raw_query(f"DELETE FROM {table}", "reset"))
            load(conn, module)
    settle(nodes)
    yield write


def settle(nodes: list[tuple[str, int, str, str]]) -> None:
    """Wait until every peer shows the primary's configuration."""
    primary = connect(nodes[0])
    peers = [connect(n, f"peer{i}") for i, n in enumerate(nodes[1:], 2)]
    try:
        wait_for_peers(primary, peers)
    finally:
        for c in [primary, *peers]:
            c.close()


def converge(nodes: list[tuple[str, int, str, str]], names: set[str]) -> None:
    """Wait until every peer has the primary's checksums for `names` (tests/cluster.py)."""
    primary = connect(nodes[0])
    peers = [connect(n, f"peer{i}") for i, n in enumerate(nodes[1:], 2)]
    try:
        wait_for_peers(primary, peers, only=names)
    finally:
        for conn in [primary, *peers]:
            conn.close()


def set_variables(nodes: list[tuple[str, int, str, str]], values: dict[str, str]) -> None:
    """Set variables on the primary, LOAD and SAVE them, and wait for the peers."""
    modules = {("MYSQL" if n.startswith("mysql-") else "ADMIN") for n in values}
    with connect(nodes[0]) as conn:
        for name, value in values.items():
            conn.execute(
                raw_query(
                    f"UPDATE global_variables SET variable_value='{value}' "
                    f"WHERE variable_name='{name}'",
                    "set",
                )
            )
        for module in sorted(modules):
            load(conn, f"{module} VARIABLES", save=True)
    for module in modules:
        converge(nodes, {f"{module.lower()}_variables"})


def variable(node: tuple[str, int, str, str], name: str) -> str:
    found = rows(node, f"SELECT variable_value FROM global_variables WHERE variable_name='{name}'")
    return str(found[0][0])
