"""ProxySQL 3.0's PostgreSQL side over TCP, on the 3.0 sandbox and on a real 3.0.1 cluster.

ProxySQL Cluster in 3.0.1 syncs no PostgreSQL module: pxc writes each one to every node, in
the routing-safe phases of the MySQL side, proves it on each node, and plans nothing after.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from proxysql_iac.admin.live import read_rows, read_variables
from proxysql_iac.admin.sql import Statement, raw_query, set_variable
from proxysql_iac.export import run_export
from proxysql_iac.plan.render import render_text
from proxysql_iac.spec.tables import MODULES, PROXYSQL_SERVERS, TABLES, Table
from tests.cluster import load, wait_for_peers
from tests.integration.conftest import cluster_block, connect, run_pxc
from tests.integration.test_export import (
    _target_version,
    apply_example,
    node_secret_values,
    plan_exported,
    write,
)
from tests.test_examples import SPECS

Node = tuple[str, int, str, str]

PG_TABLES = [t for t in TABLES if t.name.startswith("pgsql_")]
# what a reset empties: every table but proxysql_servers (the cluster's own peers)
RESET_TABLES = [t for t in TABLES if t.module is not PROXYSQL_SERVERS]
RESET_MODULES = [m.keyword for m in MODULES if m.loadable and m is not PROXYSQL_SERVERS]
APP_PW = "pg-App-pw'1"
SPECS_3_0 = [name for name in SPECS if _target_version(name) == "3.0"]


@dataclass(frozen=True)
class Baseline:
    nodes: list[Node]
    variables: dict[str, str]  # pgsql- and mysql- variables of each node before the tests


def reset(baseline: Baseline) -> None:
    """Every node: the tables empty, the variables as they were, LOADed and SAVEd. The
    MySQL modules on the primary only (its peers pull them); the PostgreSQL ones, which no
    peer pulls, on every node."""
    for index, node in enumerate(baseline.nodes):
        primary = index == 0
        with connect(node) as conn:
            for table in RESET_TABLES:
                if primary or table.name.startswith("pgsql_"):
                    conn.execute(raw_query(f"DELETE FROM {table.name}", "test reset"))
            current = read_variables(conn, "global_variables")
            for name, value in baseline.variables.items():
                if (primary or name.startswith("pgsql-")) and current.get(name) != value:
                    conn.execute(set_variable(name, value))
            for module in RESET_MODULES:
                if primary or module.startswith("PGSQL"):
                    load(conn, module, save=True)
    primary_conn = connect(baseline.nodes[0])
    peers = [connect(n, f"peer{i}") for i, n in enumerate(baseline.nodes[1:], 2)]
    try:
        wait_for_peers(primary_conn, peers)
    finally:
        for c in [primary_conn, *peers]:
            c.close()


@pytest.fixture(scope="module")
def baseline(proxysql30_cluster: Any) -> Iterator[Baseline]:
    nodes: list[Node] = proxysql30_cluster.nodes
    with connect(nodes[0]) as conn:
        variables = {
            n: v
            for n, v in read_variables(conn, "global_variables").items()
            if n.startswith(("pgsql-", "mysql-")) and "interfaces" not in n
        }
    yield Baseline(nodes, variables)
    reset(Baseline(nodes, variables))


@pytest.fixture
def nodes(baseline: Baseline, monkeypatch: pytest.MonkeyPatch) -> list[Node]:
    reset(baseline)
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", baseline.nodes[0][3])
    monkeypatch.setenv("PXC_TEST_PG_APP_PW", APP_PW)
    return baseline.nodes


def spec_file(tmp_path: Path, nodes: list[Node], body: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text("version: 1\n" + cluster_block(nodes, version="3.0") + body, encoding="utf-8")
    return path


BODY = """
hostgroups: {pg_writer: 100, pg_reader: 110}
pgsql_servers:
  - {hostgroup_id: pg_writer, hostname: pg-1.example, comment: primary}
  - {hostgroup_id: pg_reader, hostname: pg-2.example, max_replication_lag: 30, status: online}
pgsql_replication_hostgroups:
  - {writer_hostgroup: pg_writer, reader_hostgroup: pg_reader, comment: billing}
pgsql_users:
  - {username: billing, password: {env: PXC_TEST_PG_APP_PW}, default_hostgroup: pg_writer}
pgsql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT .* FOR UPDATE',
     destination_hostgroup: pg_writer, apply: 1}
  - {rule_id: 20, active: 1, match_digest: '^SELECT', destination_hostgroup: pg_reader,
     apply: 1, re_modifiers: caseless}
  # ProxySQL 3.0.1 shows mirror_flagOUT and mirror_hostgroup swapped at runtime: not drift
  - {rule_id: 30, active: 1, match_digest: '^INSERT', mirror_flagOUT: 7,
     mirror_hostgroup: pg_reader, apply: 0}
pgsql_firewall_whitelist_users:
  - {username: billing, client_address: '', mode: 'OFF', comment: ''}
pgsql_variables:
  max_connections: 2500
"""


def layers(node: Node, table: Table) -> tuple[list[Any], list[Any], list[Any]]:
    """A table's memory, runtime and disk on one node."""
    with connect(node) as conn:
        return (
            read_rows(conn, table),
            read_rows(conn, table, table.runtime_table),
            read_rows(conn, table, f"disk.{table.name}"),
        )


def variable_layers(node: Node, name: str) -> tuple[str | None, ...]:
    with connect(node) as conn:
        return tuple(
            read_variables(conn, source).get(name)
            for source in ("global_variables", "runtime_global_variables", "disk.global_variables")
        )


def assert_every_node_holds_the_primarys_pgsql_config(nodes: list[Node]) -> None:
    """Whole states: on every node each pgsql table's memory, runtime and disk are the
    primary's (no peer pulled them: pxc wrote each node)."""
    for table in PG_TABLES:
        if not table.module.loadable:
            continue
        want = layers(nodes[0], table)
        memory, _, disk = want
        assert disk == memory, table.name
        for node in nodes[1:]:
            assert layers(node, table) == want, (node, table.name)
    want_variable = variable_layers(nodes[0], "pgsql-max_connections")
    for node in nodes[1:]:
        assert variable_layers(node, "pgsql-max_connections") == want_variable


def test_every_pgsql_module_is_written_to_every_node_and_plans_empty_after(
    nodes: list[Node], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, nodes, BODY)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    for module in ("PGSQL VARIABLES", "PGSQL SERVERS", "PGSQL USERS", "PGSQL QUERY RULES"):
        for i in range(1, len(nodes) + 1):
            assert f"{module} on node{i}: " in out, (module, out)
    assert APP_PW not in out
    servers = next(t for t in PG_TABLES if t.name == "pgsql_servers")
    memory, runtime, disk = layers(nodes[0], servers)
    assert [(r[0], r[1], r[3]) for r in memory] == [
        (100, "pg-1.example", "ONLINE"),
        (110, "pg-2.example", "ONLINE"),
    ]
    assert disk == memory
    assert [(r[0], r[1]) for r in runtime] == [(r[0], r[1]) for r in memory]
    users = next(t for t in PG_TABLES if t.name == "pgsql_users")
    _, runtime_users, _ = layers(nodes[0], users)
    flags = sorted((users.value(r, "frontend"), users.value(r, "backend")) for r in runtime_users)
    assert flags == [(0, 1), (1, 0)]  # LOAD splits a user into a frontend and a backend row
    assert variable_layers(nodes[0], "pgsql-max_connections") == ("2500", "2500", "2500")
    assert_every_node_holds_the_primarys_pgsql_config(nodes)
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0, out
    assert "No changes" in out


def _plan_after_a_hand_edit_of_the_last_peer(
    nodes: list[Node], tmp_path: Path, edits: list[Statement], modules: list[str]
) -> tuple[Path, str, str]:
    """Apply BODY, edit the last peer by hand and LOAD the modules there; the spec, the
    peer's name and the plan's output (the plan must have changes)."""
    spec = spec_file(tmp_path, nodes, BODY)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    with connect(nodes[-1]) as conn:
        for edit in edits:
            conn.execute(edit)
        for module in modules:
            load(conn, module)
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    return spec, f"node{len(nodes)}", out


def test_a_peer_edited_by_hand_is_planned_and_only_that_peer_is_written(
    nodes: list[Node], tmp_path: Path
) -> None:
    spec, peer, out = _plan_after_a_hand_edit_of_the_last_peer(
        nodes,
        tmp_path,
        [
            raw_query("DELETE FROM pgsql_users", "hand edit"),
            raw_query("UPDATE pgsql_servers SET weight=7", "hand edit"),
        ],
        ["PGSQL USERS", "PGSQL SERVERS"],
    )
    # what apply writes on the peer, counted in the plan under review
    assert f"on {peer} (pgsql_users: 1 to add): apply writes each node" in out
    assert f"on {peer} (pgsql_servers: 2 to change): apply writes each node" in out
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    written = [line.split(":")[0] for line in out.splitlines() if " statement(s), " in line]
    assert sorted(written) == [f"PGSQL SERVERS on {peer}", f"PGSQL USERS on {peer}"]
    assert_every_node_holds_the_primarys_pgsql_config(nodes)
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0


def test_a_peer_with_an_extra_row_and_a_variable_by_hand_is_planned_counted(
    nodes: list[Node], tmp_path: Path
) -> None:
    """The plan under review says what apply destroys and sets on the peer, not only that
    it differs."""
    spec, peer, out = _plan_after_a_hand_edit_of_the_last_peer(
        nodes,
        tmp_path,
        [
            raw_query(
                "INSERT INTO pgsql_users (username, password, default_hostgroup) "
                "VALUES ('stray', 'x', 100)",
                "hand edit",
            ),
            set_variable("pgsql-max_connections", "2400"),
        ],
        ["PGSQL USERS", "PGSQL VARIABLES"],
    )
    assert f"on {peer} (pgsql_users: 1 to destroy): apply writes each node" in out, out
    assert f"on {peer} (1 variable(s) to set): apply writes each node" in out, out
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--allow-destructive")
    assert code == 0, out
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0


def test_moving_users_to_new_servers_loads_additions_first_and_removals_last_on_every_node(
    nodes: list[Node], tmp_path: Path
) -> None:
    """The old reader hostgroup keeps its server until the users and rules have left it:
    on each node, servers are LOADed twice, around the users and the rules."""
    spec = spec_file(tmp_path, nodes, BODY)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    moved = BODY.replace("pg_reader: 110", "pg_reader: 110, pg_reporting: 120").replace(
        "  - {hostgroup_id: pg_reader, hostname: pg-2.example, max_replication_lag: 30, "
        "status: online}",
        "  - {hostgroup_id: pg_reporting, hostname: pg-3.example}",
    )
    moved = moved.replace("reader_hostgroup: pg_reader", "reader_hostgroup: pg_reporting")
    moved = moved.replace("destination_hostgroup: pg_reader", "destination_hostgroup: pg_reporting")
    moved = moved.replace("mirror_hostgroup: pg_reader", "mirror_hostgroup: pg_reporting")
    spec = spec_file(tmp_path, nodes, moved, "moved.yaml")
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--allow-destructive")
    assert code == 0, out
    assert "empties hostgroup 110 of pgsql_servers" in out
    steps = [line.split(":")[0] for line in out.splitlines() if " statement(s), " in line]
    for i in range(1, len(nodes) + 1):
        mine = [s.removesuffix(f" on node{i}") for s in steps if s.endswith(f" on node{i}")]
        assert mine == ["PGSQL SERVERS", "PGSQL QUERY RULES", "PGSQL SERVERS (removals)"], (i, out)
    servers = next(t for t in PG_TABLES if t.name == "pgsql_servers")
    for node in nodes:
        memory, _, disk = layers(node, servers)
        assert [(r[0], r[1]) for r in memory] == [(100, "pg-1.example"), (120, "pg-3.example")]
        assert disk == memory
    assert_every_node_holds_the_primarys_pgsql_config(nodes)
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0


def test_ldap_mapping_rows_are_named_and_never_written(nodes: list[Node], tmp_path: Path) -> None:
    """ProxySQL 3.0.1 has no LOAD or SAVE command for pgsql_ldap_mapping: plan says so and
    apply writes none of its rows, on any node."""
    body = (
        BODY
        + "pgsql_ldap_mapping:\n  - {priority: 1, frontend_entity: cn=dba, backend_entity: dba}\n"
    )
    spec = spec_file(tmp_path, nodes, body)
    code, out = run_pxc("plan", str(spec))
    assert code == 0, out
    assert "PXC144" in out and "pgsql_ldap_mapping" in out, out
    assert "+ pgsql_ldap_mapping" not in out
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    ldap = next(t for t in PG_TABLES if t.name == "pgsql_ldap_mapping")
    for node in nodes:
        with connect(node) as conn:
            assert read_rows(conn, ldap) == []


def test_a_3_0_spec_is_refused_by_2_7_nodes_with_nothing_written(
    proxysql_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = proxysql_cluster.nodes
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", nodes[0][3])
    monkeypatch.setenv("PXC_TEST_PG_APP_PW", APP_PW)
    with connect(nodes[0]) as conn:
        before = conn.query(
            raw_query("SELECT name,version,checksum FROM runtime_checksums_values", "t")
        )
    spec = spec_file(tmp_path, nodes, BODY)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 1, out
    assert "PXC145" in out and "node1 runs ProxySQL 2." in out and "pgsql_servers" in out, out
    with connect(nodes[0]) as conn:
        after = conn.query(
            raw_query("SELECT name,version,checksum FROM runtime_checksums_values", "t")
        )
    assert after == before


@pytest.mark.parametrize("name", SPECS_3_0)
def test_3_0_example_applied_then_exported_plans_no_changes(
    name: str, nodes: list[Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = apply_example(name, tmp_path, nodes, monkeypatch)
    assert_every_node_holds_the_primarys_pgsql_config(nodes)
    result = run_export(spec_files=files)
    assert result.ok and result.overrides == {}, result.findings
    assert "proxysql_version: '3.0'" in result.text
    path = write(tmp_path, result)
    plan = plan_exported(path, node_secret_values(nodes[0], result))
    assert not plan.has_changes, result.text + "\n" + render_text(plan)


def test_deleting_a_postgresql_user_needs_allow_destructive_on_every_node(
    nodes: list[Node], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, nodes, BODY)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    users = next(t for t in PG_TABLES if t.name == "pgsql_users")
    before = [layers(node, users) for node in nodes]
    without = spec_file(
        tmp_path,
        nodes,
        BODY.replace(
            "  - {username: billing, password: {env: PXC_TEST_PG_APP_PW}, default_hostgroup: "
            "pg_writer}\n",
            "  - {username: other, password: {env: PXC_TEST_PG_APP_PW}, default_hostgroup: "
            "pg_writer}\n",
        ),
        "without.yaml",
    )
    code, out = run_pxc("apply", str(without), "--auto-approve")
    assert code == 1, out
    assert "deletes user 'billing' of pgsql_users" in out, out
    assert [layers(node, users) for node in nodes] == before
    code, out = run_pxc("apply", str(without), "--auto-approve", "--allow-destructive")
    assert code == 0, out
    for node in nodes:
        memory, _, disk = layers(node, users)
        assert (
            [users.value(r, "username") for r in memory]
            == ["other"]
            == [users.value(r, "username") for r in disk]
        )


def test_status_calls_a_hand_edited_peer_of_an_unsynced_module_drift(
    nodes: list[Node], tmp_path: Path
) -> None:
    spec = spec_file(tmp_path, nodes, BODY)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    with connect(nodes[-1]) as conn:
        conn.execute(raw_query("DELETE FROM pgsql_users", "hand edit"))
        load(conn, "PGSQL USERS", save=True)
    code, out = run_pxc("status", str(spec))
    assert code != 0, out
    assert "differs (not synced by Cluster)" in out, out
    assert "differs from the primary on pgsql_users, which ProxySQL Cluster does not sync" in out
