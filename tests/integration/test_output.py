"""What pxc prints is exact, against the test cluster (sandbox, or a real ProxySQL): secrets
that collide with names, steps without row changes in every format, a diverged peer, and
relative secret files."""

import json
import socket
from pathlib import Path

import pytest

from proxysql_iac.admin.sql import raw_query
from tests.cluster import load, new_second
from tests.integration.conftest import (
    cluster_block,
    connect,
    converge,
    run_pxc,
    set_variables,
    variable,
)

BODY = """
hostgroups: {writer: 10}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com, comment: monitor}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
"""
MONITOR = "mysql-monitor_password"


def test_secrets_equal_to_names_leave_every_name_in_plans_apply_and_status_alone(
    write_spec, proxysql_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    original = variable(nodes[0], MONITOR)
    assert original != "mysql_users"
    monkeypatch.setenv("PXC_TEST_APP_PW", "mysql_servers")  # a table name as a password
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", "mysql_users")  # and another
    spec = write_spec(BODY + "mysql_variables: {monitor_password: {env: PXC_TEST_MONITOR_PW}}\n")
    try:
        code, text = run_pxc("plan", str(spec))
        assert code == 0, text
        assert "\nmysql_servers:\n  + mysql_servers (10, 'db1.example.com', 3306)" in text
        assert (
            "\nmysql_users:\n  + mysql_users ('app', 1) username='app', password=<secret>" in text
        )
        assert "  ~ mysql-monitor_password: <secret> -> <secret>\n" in text
        assert "MYSQL USERS: 1 to add, 0 to change, 0 to destroy" in text
        code, markdown = run_pxc("plan", str(spec), "--format", "markdown")
        assert "<code>mysql_servers</code>" in markdown and "<code>mysql_users</code>" in markdown
        assert "~ mysql-monitor_password: <secret> -> <secret>\n" in markdown
        code, out = run_pxc("plan", str(spec), "--format", "json")
        plan = json.loads(out)
        assert {r["table"] for r in plan["changes"]["rows"]} == {"mysql_servers", "mysql_users"}
        assert plan["changes"]["variables"] == [
            {
                "name": MONITOR,
                "module": "MYSQL VARIABLES",
                "old": "<secret>",
                "new": "<secret>",
                "origin": ["mysql_variables", "monitor_password"],
            }
        ]
        code, applied = run_pxc("apply", str(spec), "--auto-approve")
        assert code == 0, applied
        for line in ("MYSQL USERS on node1: 1 statement(s)", "MYSQL SERVERS on node1: 1"):
            assert line in applied
        code, status = run_pxc("status", str(spec))
        assert code == 0, status
        assert "mysql_servers_v2" in status and "mysql_users" in status
        code, out = run_pxc("status", str(spec), "--format", "json")
        names = {m["name"] for m in json.loads(out)["nodes"][0]["modules"]}
        assert {"mysql_servers", "mysql_users", "mysql_variables"} <= names
        for out in (text, markdown, applied, status):
            assert "<secret>_" not in out and "_<secret>" not in out and "-<secret>" not in out
            assert "mysql_servers'" not in out.replace("(mysql_servers", "")  # never a value
    finally:
        set_variables(nodes, {MONITOR: original})


def test_a_node_that_cannot_be_reached_is_named_with_its_user(
    proxysql_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    user, password = nodes[0][2], nodes[0][3]
    if user != password:
        pytest.skip("needs an admin password equal to the user name")
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", password)
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n" + cluster_block([nodes[0], ("127.0.0.1", 1, user, password)]))
    code, out = run_pxc("status", str(spec))
    assert code == 1, out
    assert (
        f"node2 (peer, 127.0.0.1:1): UNREACHABLE: cannot connect to node2 (127.0.0.1:1) as {user}:"
        in out
    )
    assert "<secret>" not in out


def test_a_refused_login_and_a_closed_port_get_hints_of_their_own(
    proxysql_cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\n" + cluster_block(nodes[:1]))
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "not-the-password")
    code, out = run_pxc("plan", str(spec))
    assert code == 1, out
    assert "check the admin user and password for node1 in `cluster:`" in out
    assert "not-the-password" not in out
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # a port nothing listens on (bound, never listening)
    try:
        port = closed.getsockname()[1]
        spec.write_text("version: 1\n" + cluster_block([("127.0.0.1", port, *nodes[0][2:])]))
        monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", nodes[0][3])
        code, out = run_pxc("plan", str(spec))
    finally:
        closed.close()
    assert code == 1, out
    assert "check node1's host and port in `cluster.nodes`" in out


def test_a_module_loaded_but_not_changed_is_in_every_plan_format(
    write_spec, proxysql_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")
    spec = write_spec(BODY)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    with connect(proxysql_cluster.nodes[0]) as conn:  # loaded by hand, memory put back
        conn.execute(raw_query("UPDATE mysql_servers SET weight=5", "edit"))
        load(conn, "MYSQL SERVERS")
        # every peer has it, in no same-second split (a peer pulling in the second of the
        # LOAD is healed by LOADing again): the plan's only step is the unloaded memory
        converge(proxysql_cluster.nodes, {"mysql_servers_v2", "mysql_servers"})
        conn.execute(raw_query("UPDATE mysql_servers SET weight=1", "edit"))
    step = "MYSQL SERVERS: LOAD and SAVE (memory matches the spec but was not loaded to runtime)"
    headline = "Plan: 0 to add, 0 to change, 0 to destroy, 1 module step(s) without row changes."
    outputs = {}
    for fmt in ("text", "markdown", "json"):
        code, out = run_pxc("plan", str(spec), "--format", fmt, "--detailed-exitcode")
        assert code == 2, out
        assert out.endswith("\n") and not out.endswith("\n\n"), fmt
        outputs[fmt] = out
    assert f"Steps without row changes:\n  {step}\n" in outputs["text"]
    assert outputs["text"].rstrip("\n").endswith(headline)
    assert f"- {step}\n" in outputs["markdown"]
    assert f"**{headline}**" in outputs["markdown"]
    plan = json.loads(outputs["json"])
    assert plan["headline"] == headline and plan["has_changes"] and not plan["blocked"]
    assert [(s["module"], s["load"], s["reason"]) for s in plan["steps"]] == [
        ("MYSQL SERVERS", True, "memory matches the spec but was not loaded to runtime")
    ]
    assert plan["health"] == {f"node{i}": [] for i in range(2, len(proxysql_cluster.nodes) + 1)}
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out


def test_a_peer_loaded_by_hand_on_a_managed_module_blocks_plan_like_status(
    write_spec, proxysql_cluster, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    if len(nodes) < 2:
        pytest.skip("needs a peer")
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")
    rules = "mysql_query_rules:\n  - {rule_id: 10, active: 1, match_digest: '^SELECT', apply: 1}\n"
    managed = write_spec(BODY + rules)
    unmanaged = write_spec(BODY)
    assert run_pxc("apply", str(managed), "--auto-approve")[0] == 0
    diffs = "admin-cluster_mysql_query_rules_diffs_before_sync"
    original = variable(nodes[0], diffs)
    set_variables(nodes, {diffs: "0"})  # nobody pulls query rules any more
    try:
        with connect(nodes[1]) as conn:  # edited and LOADed on a peer, by hand
            conn.execute(raw_query("UPDATE mysql_query_rules SET match_digest='^UPDATE'", "e"))
            load(conn, "MYSQL QUERY RULES")
        code, out = run_pxc("status", str(managed))
        assert code == 3, out
        code, text = run_pxc("plan", str(managed), "--detailed-exitcode")
        assert code == 1, text
        assert "No changes. The primary's memory matches the spec." in text
        assert "error PXC103: peer node2 has a newer MYSQL QUERY RULES than the primary" in text
        assert "Cluster: node2 differs from the primary on MYSQL QUERY RULES" in text
        assert text.rstrip("\n").endswith("Blocked by 1 error finding(s): apply refuses.")
        code, out = run_pxc("plan", str(managed), "--format", "json")
        plan = json.loads(out)
        assert code == 1 and plan["blocked"] and plan["health"]["node2"] == ["MYSQL QUERY RULES"]
        code, out = run_pxc("plan", str(managed), "--format", "markdown")
        assert code == 1 and "`PXC103` error: peer node2 has a newer MYSQL QUERY RULES" in out
        code, out = run_pxc("apply", str(managed), "--auto-approve")
        assert code == 1 and "apply refused: the cluster is not healthy" in out
        # A module the spec does not manage: shown, and pxc leaves it alone.
        code, text = run_pxc("plan", str(unmanaged), "--detailed-exitcode")
        assert code == 0, text
        assert "warning PXC103: peer node2 has a newer MYSQL QUERY RULES" in text
        assert "a module the spec does not manage" in text
    finally:
        set_variables(nodes, {diffs: original})
        with connect(nodes[0]) as conn, connect(nodes[1], "node2") as peer:
            new_second(peer)  # the primary's rules, newest again: peers pull them
            load(conn, "MYSQL QUERY RULES")
        converge(nodes, {"mysql_query_rules"})


def test_relative_secret_files_are_relative_to_the_spec_that_names_them(
    proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    base, overlay = tmp_path / "base", tmp_path / "env" / "prod"
    overlay.mkdir(parents=True)
    base.mkdir()
    (base / "admin.pw").write_text(nodes[0][3] + "\n")
    (overlay / "app.pw").write_text("s3cr3t-Pa55w0rd\n")
    block = cluster_block(nodes).replace("{env: PXC_TEST_ADMIN_PASSWORD}", "{file: admin.pw}")
    (base / "spec.yaml").write_text("version: 1\n" + block)
    (overlay / "spec.yaml").write_text(
        "version: 1\nmysql_users:\n  - {username: app, password: {file: app.pw}}\n"
    )
    code, out = run_pxc("plan", str(base / "spec.yaml"), str(overlay / "spec.yaml"))
    assert code == 0, out  # both files read: admin.pw beside base/, app.pw beside env/prod/
    assert "pxc plan for node1" in out
