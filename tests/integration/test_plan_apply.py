"""plan and apply over TCP against the test cluster (sandbox, or a real ProxySQL)."""

import json
from pathlib import Path

import pytest

from proxysql_iac.admin.layers import read_layer_differences
from proxysql_iac.admin.live import read_checksums
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.spec.tables import TABLE_BY_NAME
from tests.cluster import load
from tests.integration.conftest import connect, rows, run_pxc, settle

SERVERS = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com, comment: primary}
  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
mysql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT', destination_hostgroup: reader, apply: 1}
"""


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")


def test_plan_shows_additions_and_detailed_exitcode_is_2(write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert "+ mysql_servers (10, 'db1.example.com', 3306)" in out
    assert "MYSQL SERVERS: 2 to add, 0 to change, 0 to destroy" in out
    assert "s3cr3t-Pa55w0rd" not in out


@pytest.mark.parametrize("command", ["plan", "apply", "status"])
def test_a_primary_that_is_not_a_node_is_a_finding_not_a_traceback(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster, command: str
) -> None:
    """The rows compile, so the nodes' read would start before the rules: the spec's
    mistake is still what the user reads (PXC101), and nothing is written."""
    spec = write_spec(SERVERS)
    text = spec.read_text()
    spec.write_text(text.replace("primary: node1", "primary: nodeX", 1))
    assert "primary: nodeX" in spec.read_text()
    extra = ["--auto-approve"] if command == "apply" else []
    code, out = run_pxc(command, str(spec), *extra)
    assert code == 1, out
    assert "PXC101" in out and "Traceback" not in out, out
    assert rows(proxysql_cluster.nodes[0], "SELECT * FROM mysql_servers") == []


def test_apply_then_plan_again_has_no_changes(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    assert "s3cr3t-Pa55w0rd" not in out
    primary = proxysql_cluster.nodes[0]
    runtime = rows(primary, "SELECT hostgroup_id,hostname FROM runtime_mysql_servers ORDER BY 1")
    assert runtime == [("10", "db1.example.com"), ("20", "db2.example.com")]
    disk = rows(primary, "SELECT hostgroup_id,hostname FROM disk.mysql_servers ORDER BY 1")
    assert disk == runtime
    for peer in proxysql_cluster.nodes[1:]:
        assert rows(peer, "SELECT hostname FROM runtime_mysql_servers ORDER BY 1") == [
            ("db1.example.com",),
            ("db2.example.com",),
        ]
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0, out
    assert "No changes" in out


def test_changed_column_is_one_update_and_one_load(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    changed = write_spec(SERVERS.replace("weight: 100", "weight: 50"))
    code, out = run_pxc("plan", str(changed), "--format", "json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["format_version"] == 1
    assert [c["action"] for c in plan["changes"]["rows"]] == ["change"]
    assert plan["changes"]["rows"][0]["new"] == {"weight": 50}
    assert plan["changes"]["rows"][0]["old"] == {"weight": 100}  # typed, like "new"
    before = rows(
        proxysql_cluster.nodes[0],
        "SELECT version FROM runtime_checksums_values WHERE name='mysql_users'",
    )
    code, out = run_pxc("apply", str(changed), "--auto-approve")
    assert code == 0, out
    assert "MYSQL SERVERS on node1: 1 statement(s)" in out
    after = rows(
        proxysql_cluster.nodes[0],
        "SELECT version FROM runtime_checksums_values WHERE name='mysql_users'",
    )
    assert before == after  # untouched modules are never LOADed


def test_password_stored_as_hash_is_no_change(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    with connect(proxysql_cluster.nodes[0]) as conn:
        conn.execute(
            raw_query(
                "UPDATE mysql_users SET password=MYSQL_NATIVE_PASSWORD('s3cr3t-Pa55w0rd')",
                "hash",
            )
        )
        load(conn, "MYSQL USERS", save=True)
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0, out


def test_saved_plan_is_refused_when_live_state_changed(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    plan_file = tmp_path / "plan.json"
    assert run_pxc("plan", str(spec), "--out", str(plan_file))[0] == 0
    assert "s3cr3t-Pa55w0rd" not in plan_file.read_text()
    with connect(proxysql_cluster.nodes[0]) as conn:
        conn.execute(
            raw_query("INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (99,'x')", "edit")
        )
    code, out = run_pxc("apply", str(plan_file), "--auto-approve")
    assert code == 1
    assert "the saved plan is stale: mysql_servers changed since the plan was made" in out


def test_apply_without_terminal_or_flag_is_refused(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    code, out = run_pxc("apply", str(spec))
    assert code == 1
    assert "--auto-approve" in out
    assert rows(proxysql_cluster.nodes[0], "SELECT hostname FROM mysql_servers") == []


def test_memory_edit_never_loaded_is_planned_as_a_load_and_apply_converges(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:  # an apply interrupted after its DML, before LOAD
        conn.execute(raw_query("UPDATE mysql_servers SET weight=7 WHERE hostgroup_id=20", "edit"))
    drifted = write_spec(SERVERS.replace("weight: 100", "weight: 7"))
    code, out = run_pxc("plan", str(drifted), "--detailed-exitcode")
    assert code == 2, out
    assert "MYSQL SERVERS: LOAD and SAVE (memory matches the spec but was not loaded" in out
    assert run_pxc("apply", str(drifted), "--auto-approve")[0] == 0
    assert rows(primary, "SELECT weight FROM runtime_mysql_servers WHERE hostgroup_id=20") == [
        ("7",)
    ]
    assert rows(primary, "SELECT weight FROM disk.mysql_servers WHERE hostgroup_id=20") == [("7",)]
    assert run_pxc("plan", str(drifted), "--detailed-exitcode")[0] == 0


def test_saved_plan_is_refused_when_the_spec_changed_a_value_since(
    write_spec, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    plan_file = tmp_path / "plan.json"
    assert run_pxc("plan", str(spec), "--out", str(plan_file))[0] == 0
    spec.write_text(spec.read_text().replace("weight: 100", "weight: 0"))  # after review
    code, out = run_pxc("apply", str(plan_file), "--auto-approve")
    assert code == 1
    assert "the changes computed now differ from the saved plan's" in out


def test_saved_plan_applies_when_nothing_moved(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    plan_file = tmp_path / "plan.json"
    assert run_pxc("plan", str(spec), "--out", str(plan_file))[0] == 0
    code, out = run_pxc("apply", str(plan_file), "--auto-approve")
    assert code == 0, out
    assert rows(
        proxysql_cluster.nodes[0], "SELECT weight FROM runtime_mysql_servers ORDER BY 1"
    ) == [
        ("1",),
        ("100",),
    ]


def test_runtime_that_differs_from_a_memory_equal_to_the_spec_is_planned_as_a_load(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:  # loaded by hand, then memory put back to the spec
        conn.execute(raw_query("UPDATE mysql_servers SET weight=5 WHERE hostgroup_id=20", "e"))
        load(conn, "MYSQL SERVERS")
        # the peers have the hand LOAD first: a pull in the same second as a checksum the
        # primary's runtime moves on its own would be a split (PXC100), not this test's drift
        settle(proxysql_cluster.nodes)
        conn.execute(raw_query("UPDATE mysql_servers SET weight=100 WHERE hostgroup_id=20", "e"))
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert "MYSQL SERVERS: LOAD and SAVE" in out
    code, out = run_pxc("status", str(spec))
    assert code == 2, out


def test_a_json_column_change_is_shown_key_by_key(write_spec) -> None:  # type: ignore[no-untyped-def]
    attributes = "mysql_hostgroup_attributes:\n  - {hostgroup_id: writer, servers_defaults: %s}\n"
    spec = write_spec(SERVERS + attributes % "{use_ssl: 0, weight: 5}")
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    changed = write_spec(SERVERS + attributes % "{use_ssl: 1, max_connections: 100}")
    code, out = run_pxc("plan", str(changed), "--detailed-exitcode")
    assert code == 2, out
    line = next(x.strip() for x in out.splitlines() if "~ mysql_hostgroup_attributes" in x)
    assert line == (
        "~ mysql_hostgroup_attributes (10) servers_defaults.max_connections: absent -> 100; "
        "servers_defaults.use_ssl: 0 -> 1; servers_defaults.weight: 5 -> absent"
    ), out


def test_a_user_load_drops_for_a_negative_hostgroup_is_reported_not_applied_silently(
    write_spec,  # type: ignore[no-untyped-def]
    proxysql_cluster,
) -> None:
    """ProxySQL's LOAD skips a user whose default_hostgroup is negative without an error
    (validate says so first; here the rule is turned off): apply proves what runtime took and
    names the row it did not."""
    lost = "  - {username: lost, password: {env: PXC_TEST_APP_PW}, default_hostgroup: -1}\n"
    spec = write_spec(
        "rules: {PXC140: off}\n"
        + SERVERS.replace("mysql_query_rules:", lost + "mysql_query_rules:")
    )
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code != 0, out
    assert "PXC114 mysql_users row ('lost', 1) is not loaded: default_hostgroup -1" in out, out
    primary = proxysql_cluster.nodes[0]
    assert rows(primary, "SELECT username FROM runtime_mysql_users ORDER BY 1") == [
        ("app",),
        ("app",),
    ]
    assert "s3cr3t-Pa55w0rd" not in out


def test_a_table_with_many_changed_rows_lists_the_first_100_unless_all_rows(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    """A large plan stays readable and quick to print: each table lists its first 100
    changed rows and counts the rest; --all-rows lists every one. Counts and ID are whole."""
    user = "{{username: u{:03}, password: {{env: PXC_TEST_APP_PW}}, default_hostgroup: writer}}"
    users = "".join(f"  - {user.format(i)}\n" for i in range(130))
    spec = write_spec("mysql_users:\n" + users + SERVERS.split("mysql_users:\n")[0])
    code, short = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, short
    listed = [line for line in short.splitlines() if line.startswith("  + mysql_users")]
    assert len(listed) == 100 and "'u099'" in listed[-1]
    assert "  ... and 30 more changed row(s) of mysql_users (--all-rows lists every one)" in short
    assert "+ mysql_servers (10, 'db1.example.com', 3306)" in short  # a small table: whole
    assert "MYSQL USERS: 130 to add, 0 to change, 0 to destroy" in short
    code, full = run_pxc("plan", str(spec), "--all-rows")
    assert code == 0, full
    assert len([line for line in full.splitlines() if line.startswith("  + mysql_users")]) == 130
    assert "more changed row(s)" not in full
    plan_id = next(line for line in short.splitlines() if line.startswith("Plan ID: "))
    assert plan_id in full
    code, applied = run_pxc("apply", str(spec), "--auto-approve", "--no-wait")
    assert code == 0, applied
    assert "  ... and 30 more changed row(s) of mysql_users" in applied
    assert rows(proxysql_cluster.nodes[0], "SELECT COUNT(*) FROM mysql_users") == [("130",)]
    assert "s3cr3t-Pa55w0rd" not in short + full + applied


@pytest.mark.parametrize(
    ("module", "edit", "put_back", "layer"),
    [
        (
            "MYSQL USERS",
            "UPDATE mysql_users SET max_connections=7 WHERE username='app'",
            "UPDATE mysql_users SET max_connections=10000 WHERE username='app'",
            "LOAD",
        ),
        (
            "MYSQL QUERY RULES",
            "UPDATE mysql_query_rules SET comment='by hand' WHERE rule_id=10",
            "UPDATE mysql_query_rules SET comment=NULL WHERE rule_id=10",
            "LOAD",
        ),
        (
            "MYSQL USERS",
            "UPDATE mysql_users SET default_schema='shop' WHERE username='app'",
            "UPDATE mysql_users SET default_schema='' WHERE username='app'",
            "SAVE",
        ),
        (
            "MYSQL QUERY RULES",
            "UPDATE mysql_query_rules SET comment='by hand' WHERE rule_id=10",
            "UPDATE mysql_query_rules SET comment=NULL WHERE rule_id=10",
            "SAVE",
        ),
    ],
)
def test_a_layer_edited_by_hand_after_an_apply_is_planned_whatever_apply_remembered(
    write_spec, proxysql_cluster, module: str, edit: str, put_back: str, layer: str
) -> None:  # type: ignore[no-untyped-def]
    """apply remembers on the node that runtime and disk were what LOAD and SAVE made of
    memory (plans after it skip comparing the layers); a LOAD or SAVE by hand of an edit,
    with memory put back to the spec afterwards, must still be seen by plan and status."""
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0 and "No changes" in out, out
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:
        conn.execute(raw_query(edit, "edit"))
        if layer == "LOAD":
            load(conn, module)
        else:
            conn.execute(raw_query(f"SAVE {module} TO DISK", "save by hand"))
        if layer == "LOAD":  # every peer has the hand LOAD: the primary alone is planned
            # before memory is put back: a split healed here LOADs the edit again
            settle(proxysql_cluster.nodes)
        conn.execute(raw_query(put_back, "put memory back"))
    reason = (
        "memory matches the spec but was not loaded to runtime"
        if layer == "LOAD"
        else "runtime matches the spec but was not saved to disk"
    )
    step = f"{module}: {'LOAD and SAVE' if layer == 'LOAD' else 'SAVE'} ({reason})"
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert f"Steps without row changes:\n  {step}\n" in out, out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 1 module step(s)" in out
    assert run_pxc("status", str(spec))[0] == 2
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0
    assert run_pxc("status", str(spec))[0] == 0  # memory, runtime and disk: the spec


def _runtime_compared(node: tuple[str, int, str, str]) -> list[str]:
    """The tables whose runtime a plan of SERVERS compares with memory on the node, row by
    row (those the layer seal does not vouch for)."""
    with connect(node) as conn:
        tables = [TABLE_BY_NAME[n] for n in ("mysql_servers", "mysql_users", "mysql_query_rules")]
        read_layer_differences(conn, tables, read_checksums(conn))
        return sorted(s.split(" ")[3] for s in conn.sent if s.endswith("memory and runtime"))


def test_an_apply_with_nothing_to_change_proves_the_layers_again_after_a_hand_load(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    """A LOAD by hand of unchanged memory makes plans compare users' and rules' runtime with
    memory row by row again (the seal apply wrote no longer vouches for them); an apply with
    nothing to change proves the layers and writes the seal back, and plans skip them."""
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    primary = proxysql_cluster.nodes[0]
    assert _runtime_compared(primary) == ["mysql_servers"]  # servers are always compared
    with connect(primary) as conn:
        load(conn, "MYSQL USERS")
    settle(proxysql_cluster.nodes)
    assert _runtime_compared(primary) == ["mysql_query_rules", "mysql_servers", "mysql_users"]
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0 and "No changes" in out, out
    assert _runtime_compared(primary) == ["mysql_servers"]
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0 and "No changes" in out, out
