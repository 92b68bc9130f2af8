"""A peer is a primary in waiting: after `cluster.primary` moves to a peer that holds what
it pulled from the old primary's runtime, pxc plans nothing (sandbox and real ProxySQL)."""

from pathlib import Path

import pytest

from proxysql_iac.admin.sql import raw_query
from tests.cluster import load
from tests.integration.conftest import connect, rows, run_pxc, settle

# Values ProxySQL rewrites on the way to runtime, which is what a peer pulls.
EDGE_VALUES = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
  - {hostgroup_id: reader, hostname: db2.example.com, status: offline_soft}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer,
     default_schema: null}
  - {username: reports, password: {env: PXC_TEST_APP_PW}, default_hostgroup: reader,
     default_schema: '', frontend: 1, backend: 1}
mysql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT', re_modifiers: caseless,
     destination_hostgroup: reader, apply: 1}
  - {rule_id: 11, active: 1, match_pattern: 'x', re_modifiers: null, destination_hostgroup: writer}
  - {rule_id: 12, active: 1, digest: '0xabc', re_modifiers: '', destination_hostgroup: writer}
  - {rule_id: 13, active: 1, match_digest: 'y', re_modifiers: 'global,caseless'}
"""


USER_ROWS = "SELECT default_schema,frontend,backend FROM mysql_users WHERE username='app'"


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")


def _moved_to(spec: Path, node: str) -> Path:
    moved = spec.with_name(f"{spec.stem}-{node}.yaml")
    moved.write_text(spec.read_text().replace("primary: node1", f"primary: {node}"))
    return moved


def test_apply_then_plan_is_empty_for_values_proxysql_rewrites(write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(EDGE_VALUES)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    for _ in range(2):  # on every run, not only the first
        code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
        assert code == 0, out
        assert "No changes" in out and "not loaded" not in out and "OFFLINE_SOFT at" not in out


def test_primary_moved_to_a_peer_plans_nothing(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(EDGE_VALUES)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    settle(proxysql_cluster.nodes)
    peer = proxysql_cluster.nodes[1]
    assert rows(peer, USER_ROWS) == [("", "1", "1")]  # one row, as a real 2.7.1 peer holds it
    moved = _moved_to(spec, "node2")
    code, out = run_pxc("plan", str(moved), "--detailed-exitcode")
    assert code == 0, out
    assert "No changes" in out
    assert "destructive" not in out.lower()
    code, out = run_pxc("apply", str(moved), "--auto-approve")
    assert code == 0, out
    assert rows(peer, USER_ROWS) == [("", "1", "1")]


def test_a_changed_user_on_a_former_peer_is_rewritten_as_one_row(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster
) -> None:
    spec = write_spec(EDGE_VALUES)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    settle(proxysql_cluster.nodes)
    changed = _moved_to(
        write_spec(EDGE_VALUES.replace("default_hostgroup: writer,", "default_hostgroup: reader,")),
        "node2",
    )
    code, out = run_pxc("plan", str(changed), "--detailed-exitcode")
    assert code == 2, out
    assert "destructive" not in out.lower(), out
    code, out = run_pxc("apply", str(changed), "--auto-approve")
    assert code == 0, out
    peer = proxysql_cluster.nodes[1]
    assert rows(
        peer,
        "SELECT default_hostgroup,frontend,backend FROM mysql_users WHERE username='app'",
    ) == [("20", "1", "1")]
    assert run_pxc("plan", str(changed), "--detailed-exitcode")[0] == 0


def test_values_written_by_hand_in_another_form_plan_nothing_before_and_after_failover(  # type: ignore[no-untyped-def]
    write_spec, proxysql_cluster
) -> None:
    """Memory written by someone else (`caseless`, NULL schema, `offline_soft`) means what
    the spec means: no change on the primary, and none on a peer that holds runtime's form."""
    spec = write_spec(EDGE_VALUES)
    primary = proxysql_cluster.nodes[0]
    with connect(primary) as conn:
        for statement in (
            "INSERT INTO mysql_servers (hostgroup_id,hostname,status) VALUES "
            "(10,'db1.example.com','ONLINE'),(20,'db2.example.com','offline_soft')",
            "INSERT INTO mysql_users (username,password,default_hostgroup,default_schema) VALUES "
            "('app','s3cr3t-Pa55w0rd',10,NULL),('reports','s3cr3t-Pa55w0rd',20,NULL)",
            "INSERT INTO mysql_query_rules (rule_id,active,match_digest,re_modifiers,"
            "destination_hostgroup,apply) VALUES (10,1,'^SELECT','caseless',20,1)",
            "INSERT INTO mysql_query_rules (rule_id,active,match_pattern,re_modifiers,"
            "destination_hostgroup) VALUES (11,1,'x',NULL,10)",
            "INSERT INTO mysql_query_rules (rule_id,active,digest,re_modifiers,"
            "destination_hostgroup) VALUES (12,1,'0xABC','',10)",
            "INSERT INTO mysql_query_rules (rule_id,active,match_digest,re_modifiers) VALUES "
            "(13,1,'y','Global,CaseLess')",
        ):
            conn.execute(raw_query(statement, "hand edit"))
        for module in ("MYSQL SERVERS", "MYSQL USERS", "MYSQL QUERY RULES"):
            load(conn, module, save=True)
    settle(proxysql_cluster.nodes)
    for target in (spec, _moved_to(spec, "node2")):
        code, out = run_pxc("plan", str(target), "--detailed-exitcode")
        assert code == 0, out
        assert "No changes" in out and "not loaded" not in out
