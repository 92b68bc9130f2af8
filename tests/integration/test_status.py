"""pxc status over TCP against the test cluster (sandbox, or a real ProxySQL)."""

import json
import socket
import time
from pathlib import Path

import pytest

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_checksums
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.errors import PxcError
from proxysql_iac.plan.layers import table_unloaded, table_unsaved
from proxysql_iac.planning import load_desired, read_primary, target_of
from proxysql_iac.spec.tables import TABLE_BY_NAME
from proxysql_iac.status import read_status
from tests.cluster import load
from tests.integration.conftest import connect, rows, run_pxc, set_variables, settle, variable

SERVERS = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com, comment: primary}
  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
  - {username: report, default_hostgroup: reader, active: 0}
mysql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT', destination_hostgroup: reader, apply: 1}
  - {rule_id: 11, match_digest: '^SHOW', destination_hostgroup: reader, apply: 1}
"""


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")


def _applied(write_spec, body: str = SERVERS) -> Path:  # type: ignore[no-untyped-def]
    spec = write_spec(body)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    return spec  # type: ignore[no-any-return]


def test_healthy_and_in_sync_exits_0(write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = _applied(write_spec)
    code, out = run_pxc("status", str(spec))
    assert code == 0, out
    assert "Spec vs the primary's memory: in sync" in out
    assert "Result: healthy and in sync with the spec (exit 0)" in out
    assert "node1*  mysql_servers" in out and "primary" in out
    assert "s3cr3t-Pa55w0rd" not in out


def test_spec_drift_exits_2(write_spec) -> None:  # type: ignore[no-untyped-def]
    _applied(write_spec)
    changed = write_spec(SERVERS.replace("weight: 100", "weight: 50"))
    code, out = run_pxc("status", str(changed))
    assert code == 2, out
    assert "Spec vs the primary's memory: DRIFT" in out
    assert "~ mysql_servers (20, 'db2.example.com', 3306) weight: 100 -> 50" in out
    assert "Result: DRIFT from the spec (exit 2)" in out


def test_unloaded_and_unsaved_edits_are_reported(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = _applied(write_spec)
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:
        conn.execute(
            raw_query(
                "UPDATE mysql_servers SET comment='by hand' WHERE hostname='db2.example.com'",
                "edit",
            )
        )
    code, out = run_pxc("status", str(spec), "--format", "json")
    assert code == 2, out  # memory no longer matches the spec
    node1 = json.loads(out)["nodes"][0]
    assert node1["unloaded"] == [
        {
            "table": "mysql_servers",
            "changed": 1,
            "memory_only": 0,
            "layer_only": 0,
            "examples": ["~(20, 'db2.example.com', 3306)"],
            "capped": False,
        }
    ]
    assert [d["table"] for d in node1["unsaved"]] == ["mysql_servers"]
    with connect(primary) as conn:  # loaded, still not saved
        load(conn, "MYSQL SERVERS")
    code, out = run_pxc("status", str(spec))
    assert code == 2, out
    assert "unloaded edits (memory vs runtime): none" in out
    assert "mysql_servers: row(s) 1 changed (e.g. ~(20, 'db2.example.com', 3306))" in out


def test_node_side_comparisons_agree_with_plan_layers(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    """status reports per node what plan turns into LOAD and SAVE steps: both must call the
    same things unloaded and unsaved."""
    spec = _applied(write_spec)
    primary = proxysql_cluster.nodes[0]
    edits = [
        [],  # clean
        ["UPDATE mysql_query_rules SET comment='x' WHERE rule_id=11"],  # inactive: not loaded
        ["UPDATE mysql_users SET max_connections=7 WHERE username='report'"],  # inactive user
        ["UPDATE mysql_servers SET status='OFFLINE_SOFT'"],  # the Monitor's column
        ["UPDATE mysql_users SET default_schema='shop' WHERE username='app'"],
        ["UPDATE mysql_query_rules SET destination_hostgroup=10 WHERE rule_id=10"],
        ["DELETE FROM mysql_servers WHERE hostname='db1.example.com'"],
    ]
    tables = [TABLE_BY_NAME[n] for n in ("mysql_servers", "mysql_users", "mysql_query_rules")]
    target = target_of(load_desired([spec]), [spec])
    seen: set[tuple[str, bool, bool]] = set()
    for statements in edits:
        with connect(primary) as conn:
            for table in tables:  # back to what was applied
                conn.execute(raw_query(f"LOAD {table.module.keyword} TO MEMORY", "reset"))
            for statement in statements:
                conn.execute(raw_query(statement, "edit"))
            live = read_primary(conn, target.reach, target.written)
        report = read_status([spec])
        node1 = report.nodes[0]
        for table in tables:
            seen.add((table.name, table_unloaded(table, live), table_unsaved(table, live)))
            assert table_unloaded(table, live) == any(
                d.table == table.name for d in node1.unloaded
            ), (statements, table.name, "runtime")
            assert table_unsaved(table, live) == any(
                d.table == table.name for d in node1.unsaved
            ), (statements, table.name, "disk")
    # not vacuous: both answers occur for both layers
    assert {u for _, u, _ in seen} == {True, False} == {d for _, _, d in seen}


def test_a_variable_edited_in_memory_only_is_unloaded_and_unsaved_on_that_node_alone(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster
) -> None:
    """Variables' layers are judged once the spec is known (the reads start before it is
    parsed): the primary's memory edit shows in both layers, the peers' stay clean."""
    spec = _applied(write_spec, SERVERS + "mysql_variables:\n  max_connections: 2048\n")
    with connect(proxysql_cluster.nodes[0]) as conn:
        conn.execute(
            raw_query(
                "UPDATE global_variables SET variable_value='2500' "
                "WHERE variable_name='mysql-max_connections'",
                "edit memory only",
            )
        )
    code, out = run_pxc("status", str(spec), "--format", "json")
    assert code == 2, out
    data = json.loads(out)
    primary, *peers = data["nodes"]
    assert [(d["table"], d["changed"]) for d in primary["unloaded"]] == [("global_variables", 1)]
    assert [(d["table"], d["changed"]) for d in primary["unsaved"]] == [("global_variables", 1)]
    assert all(p["unloaded"] == [] == p["unsaved"] for p in peers), peers
    assert "node1: global_variables not loaded to runtime" in data["reasons"]
    assert "node1: global_variables not saved to disk" in data["reasons"]


@pytest.mark.sandbox
def test_a_frozen_peer_with_a_change_exits_3_naming_the_peer(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    sb = proxysql_cluster.sandbox
    _applied(write_spec)
    changed = write_spec(SERVERS.replace("weight: 100", "weight: 60"))
    sb.node(3).freeze_cluster()
    try:
        code, out = run_pxc("apply", str(changed), "--auto-approve", "--no-wait")
        assert code == 0, out
        # Within apply's convergence deadline a peer behind the primary is syncing.
        code, out = run_pxc("status", str(changed), "--format", "json")
        states = {
            (n["name"], m["name"]): m["state"]
            for n in json.loads(out)["nodes"]
            for m in n["modules"]
        }
        assert states[("node3", "mysql_servers_v2")] == "syncing", out
        assert code == 0, out
        _wait_until_in_sync(proxysql_cluster, peer=1, name="mysql_servers_v2")
        code, out = run_pxc("status", str(changed), "--grace", "0")
        assert code == 3, out
        assert "Result: cluster DIVERGED (exit 3)" in out
        assert "node3 differs from the primary on mysql_servers_v2" in out
        assert "node2 differs" not in out
    finally:
        sb.node(3).freeze_cluster(False)
    _wait_until_in_sync(proxysql_cluster, peer=2, name="mysql_servers_v2")
    assert run_pxc("status", str(changed))[0] == 0


def _wait_until_in_sync(cluster, *, peer: int, name: str, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connect(cluster.nodes[0]) as a, connect(cluster.nodes[peer]) as b:
            if read_checksums(a)[name].checksum == read_checksums(b)[name].checksum:
                return
        time.sleep(0.1)
    raise AssertionError(f"peer {peer + 1} did not pull {name}")


def test_json_shape(write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = _applied(write_spec)
    code, out = run_pxc("status", str(spec), "--format", "json")
    assert code == 0, out
    data = json.loads(out)
    assert set(data) == {
        "format_version",
        "spec_files",
        "primary",
        "verdict",
        "exit_code",
        "reasons",
        "seconds",
        "spec_drift",
        "nodes",
        "findings",
    }
    assert (data["format_version"], data["verdict"], data["exit_code"]) == (1, "in_sync", 0)
    assert data["spec_drift"] == {"in_sync": True, "summary": {}, "changes": []}
    assert data["nodes"][0]["name"] == data["primary"] == "node1"
    assert {n["role"] for n in data["nodes"][1:]} == {"peer"}
    for node in data["nodes"]:
        assert set(node) == {
            "name",
            "address",
            "role",
            "reachable",
            "error",
            "version",
            "clock",
            "admin_tls",
            "modules",
            "unloaded",
            "unsaved",
            "moved_by_monitor",
            "runtime_only_servers",
            "servers_not_online",
            "rows_not_synced",
        }
        assert node["reachable"] and node["clock"] > 0
        names = {m["name"] for m in node["modules"]}
        assert {"mysql_servers", "mysql_users", "mysql_query_rules"} <= names
        for module in node["modules"]:
            assert set(module) == {
                "name",
                "module",
                "version",
                "epoch",
                "checksum",
                "changed_s",
                "matches_primary",
                "state",
            }
            assert module["changed_s"] >= 0
            assert module["matches_primary"] is (None if node["role"] == "primary" else True)
            assert module["state"] == ("primary" if node["role"] == "primary" else "in sync")


def test_unreachable_peer_is_an_error(write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = _applied(write_spec)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    text = spec.read_text().replace(
        "  nodes:\n", f"  nodes:\n    - {{name: gone, host: '127.0.0.1', port: {port}}}\n", 1
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    code, out = run_pxc("status", str(broken), "--format", "json")
    assert code == 1, out
    data = json.loads(out)
    assert data["verdict"] == "error"
    assert data["reasons"][0].startswith("gone: cannot connect to gone")
    gone = next(n for n in data["nodes"] if n["name"] == "gone")
    assert not gone["reachable"]


def test_unreachable_primary_is_an_error_document(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "x")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\ncluster:\n  primary: p\n"
        "  admin: {user: radmin, password: {env: PXC_TEST_ADMIN_PASSWORD}}\n"
        f"  nodes: [{{name: p, host: '127.0.0.1', port: {port}}}]\nmysql_servers: []\n"
    )
    code, out = run_pxc("status", str(spec), "--format", "json")
    assert code == 1
    assert json.loads(out)["verdict"] == "error"
    with pytest.raises(PxcError):
        read_status([spec])


def test_reading_is_cheap_on_the_wire(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    """Status never reads runtime or disk rows of the managed tables over the wire: only
    differing keys come back from the nodes."""
    spec = _applied(write_spec)
    sent: list[str] = []
    real_query = AdminConnection.query

    def spy(self: AdminConnection, statement):  # type: ignore[no-untyped-def]
        sent.append(statement.sql)
        return real_query(self, statement)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(AdminConnection, "query", spy)
        report = read_status([spec])
    assert report.exit_code == 0
    row_reads = [q for q in sent if " ORDER BY " in q and "mysql_users" in q]
    assert row_reads == [q for q in row_reads if "FROM mysql_users ORDER BY" in q]  # memory
    assert len(row_reads) == 1  # the primary's memory, for the diff with the spec


def test_rows_runtime_leaves_out_are_shown_as_on_the_primary_only(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster
) -> None:
    spec = _applied(
        write_spec,
        SERVERS
        + "  - {rule_id: 99, active: 0, match_digest: '^DELETE', destination_hostgroup: writer}\n",
    )
    settle(proxysql_cluster.nodes)
    for peer in proxysql_cluster.nodes[1:]:  # peers pull runtime: the inactive rule is not there
        with connect(peer) as conn:
            rules = conn.query(raw_query("SELECT rule_id FROM mysql_query_rules", "read"))
        assert ("99",) not in rules
    code, out = run_pxc("status", str(spec))
    assert code == 0, out
    assert "rows on this node only" in out
    code, out = run_pxc("status", str(spec), "--format", "json")
    node1 = json.loads(out)["nodes"][0]
    # the inactive user and the two inactive rules of SERVERS too (rule 11: no `active`)
    assert node1["rows_not_synced"] == [
        "mysql_users ('report', 1)",
        "mysql_query_rules (11,)",
        "mysql_query_rules (99,)",
    ]


ACTIVE_ONLY = """
hostgroups: {writer: 10}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
"""


def _unloaded(spec: Path) -> dict[str, list[str]]:
    code, out = run_pxc("status", str(spec), "--format", "json")
    assert code in (0, 2, 3), out
    return {n["name"]: [d["table"] for d in n["unloaded"]] for n in json.loads(out)["nodes"]}


def test_a_peer_holding_what_the_primary_proved_is_not_compared_again_but_a_stale_one_is(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster
) -> None:
    """A peer whose memory and runtime checksums are the primary's (on the same build) is
    known to have no unloaded edit without the node-side comparison. A peer whose runtime
    was LOADed from other memory, and whose memory was then put back to the primary's, has
    the primary's memory checksum but not its runtime checksum: it is compared, and its
    unloaded edit is shown."""
    nodes = proxysql_cluster.nodes
    if len(nodes) < 2:
        pytest.skip("needs a peer")
    spec = _applied(write_spec, ACTIVE_ONLY)
    settle(nodes)
    memory = "CHECKSUM MEMORY MYSQL USERS"
    assert rows(nodes[1], memory) == rows(nodes[0], memory)  # what the shortcut rests on
    assert _unloaded(spec) == {f"node{i}": [] for i in range(1, len(nodes) + 1)}
    compared: list[str] = []
    real_query = AdminConnection.query

    def spy(self: AdminConnection, statement):  # type: ignore[no-untyped-def]
        if statement.summary == "read differences of mysql_users memory and runtime":
            compared.append(self.endpoint.name)
        return real_query(self, statement)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(AdminConnection, "query", spy)
        report = read_status([spec])
    assert [(n.reachable, n.unloaded) for n in report.nodes] == [(True, [])] * len(nodes)
    assert not compared, compared  # the primary proved it (its seal, or its comparison)
    diffs = "admin-cluster_mysql_users_diffs_before_sync"
    original = variable(nodes[0], diffs)
    set_variables(nodes, {diffs: "0"})  # what the peer LOADs below stays there
    try:
        edit = "UPDATE mysql_users SET max_connections={}"
        with connect(nodes[1]) as conn:
            conn.execute(raw_query(edit.format(5), "edit"))
            load(conn, "MYSQL USERS")
            conn.execute(raw_query(edit.format(10000), "put back"))
        assert rows(nodes[1], memory) == rows(nodes[0], memory)
        found = _unloaded(spec)
        assert found.pop("node2") == ["mysql_users"]
        assert found == {n: [] for n in found}
    finally:
        with connect(nodes[1]) as conn:
            load(conn, "MYSQL USERS")
        set_variables(nodes, {diffs: original})


def test_servers_runtime_holds_and_memory_lacks_say_why(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    """A runtime server memory lacks is named with its likely cause: in a hostgroup of a
    replication pair the Monitor places servers; elsewhere, a deletion not loaded."""
    topology = (
        "mysql_replication_hostgroups:\n"
        "  - {writer_hostgroup: writer, reader_hostgroup: reader, comment: pair}\n"
    )
    servers = "  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100}\n"
    body = SERVERS.replace(servers, servers + "  - {hostgroup_id: 30, hostname: db3}\n")
    spec = write_spec(body + topology)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    with connect(proxysql_cluster.nodes[0]) as conn:
        conn.execute(raw_query("DELETE FROM mysql_servers", "delete without LOAD"))
    try:
        code, out = run_pxc("status", str(spec), "--format", "json")
        assert code == 2, out
        primary = json.loads(out)["nodes"][0]
        why = {
            (s["hostgroup_id"], s["hostname"]): s["why"] for s in primary["runtime_only_servers"]
        }
        monitor = "placed by the Monitor (replication/Group Replication/Galera/Aurora hostgroup)"
        assert why == {
            (10, "db1.example.com"): monitor,
            (20, "db2.example.com"): monitor,
            (30, "db3"): "not in memory: deleted there without a LOAD?",
        }
    finally:
        cleared = write_spec(SERVERS + "mysql_replication_hostgroups: []\n")
        code, out = run_pxc("apply", str(cleared), "--auto-approve", "--allow-destructive")
        assert code == 0, out
