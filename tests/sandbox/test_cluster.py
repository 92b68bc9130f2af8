"""The sandbox as a ProxySQL Cluster: checksums, pulls, conflicts, disk writes."""

import time
from collections.abc import Iterator

import pytest

from proxysql_iac.sandbox import Sandbox

from .helpers import q, wait_for

pytestmark = pytest.mark.sandbox


@pytest.fixture
def trio() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as s:
        yield s


def _count(port: int, table: str) -> int:
    return int(q(port, f"SELECT COUNT(*) FROM {table}")[0][0])


def test_load_propagates_with_recorded_timing(trio: Sandbox) -> None:
    p1, p2, p3 = trio.ports
    q(
        p1,
        "INSERT INTO mysql_query_rules (rule_id, active, match_digest, apply) "
        "VALUES (1, 1, '^SELECT', 1)",
    )
    q(p1, "LOAD MYSQL QUERY RULES TO RUNTIME")
    t = wait_for(lambda: _count(p2, "runtime_mysql_query_rules") == 1, timeout=3)
    wait_for(lambda: _count(p3, "runtime_mysql_query_rules") == 1, timeout=3)
    # 200 ms x 3 checks: a real 2.7.1 took 459-612 ms
    assert 0.3 < t < 1.2
    ck = {
        n: q(
            n,
            "SELECT version, epoch, checksum FROM runtime_checksums_values "
            "WHERE name='mysql_query_rules'",
        )[0]
        for n in (p1, p2)
    }
    assert ck[p1][1:] == ck[p2][1:]  # the puller adopts the peer's epoch and checksum
    # pulled modules are saved to disk by default
    assert _count(p2, "disk.mysql_query_rules") == 1


def test_users_arrive_as_one_row_per_user_in_runtime_form(trio: Sandbox) -> None:
    """As a real 2.7.1 peer holds them (measured): a user LOAD split into a frontend and a
    backend row is one row with both flags again, one-role users stay as they are, NULLs
    are '' and inactive users never arrive."""
    p1, p2, _ = trio.ports
    q(
        p1,
        "INSERT INTO mysql_users (username,password,frontend,backend,default_hostgroup) VALUES "
        "('f','p',1,0,1),('b','p',0,1,1),('n',NULL,1,1,2)",
    )
    q(p1, "INSERT INTO mysql_users (username,password,active) VALUES ('i','p',0)")
    q(p1, "LOAD MYSQL USERS TO RUNTIME")
    wanted = [
        ["b", "p", "1", "1", "", "1", "0"],
        ["f", "p", "1", "1", "", "0", "1"],
        ["n", "", "1", "2", "", "1", "1"],
    ]
    columns = "username,password,active,default_hostgroup,default_schema,backend,frontend"
    read = f"SELECT {columns} FROM mysql_users ORDER BY 1"
    wait_for(lambda: q(p2, read) == wanted, timeout=3)
    assert _count(p1, "mysql_users") == 4


def test_save_to_disk_false_keeps_the_pull_in_memory(trio: Sandbox) -> None:
    # (admin variables are synced too, so the setting spreads to the other nodes)
    p1, p2, _ = trio.ports
    for p in (p2,):
        q(
            p,
            "UPDATE global_variables SET variable_value='false' "
            "WHERE variable_name='admin-cluster_mysql_servers_save_to_disk'",
        )
        q(p, "LOAD ADMIN VARIABLES TO RUNTIME")
    time.sleep(1.05)  # a new second, so node 1's LOAD epoch is newer than node 2's admin load
    q(p1, "INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES (1, 'db1')")
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    wait_for(lambda: _count(p2, "runtime_mysql_servers") == 1, timeout=3)
    assert _count(p2, "mysql_servers") == 1
    assert _count(p2, "disk.mysql_servers") == 0


def test_scheduler_is_never_synced(trio: Sandbox) -> None:
    p1, p2, _ = trio.ports
    q(p1, "INSERT INTO scheduler (interval_ms, filename) VALUES (1000, '/bin/true')")
    q(p1, "LOAD SCHEDULER TO RUNTIME")
    q(p1, "INSERT INTO mysql_servers (hostname) VALUES ('marker')")
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    wait_for(lambda: _count(p2, "runtime_mysql_servers") == 1, timeout=3)
    assert _count(p2, "runtime_scheduler") == 0
    names = [r[0] for r in q(p1, "SELECT name FROM runtime_checksums_values")]
    assert "scheduler" not in names


def test_same_second_conflicting_edits_never_converge(trio: Sandbox) -> None:
    p1, p2, _ = trio.ports
    trio.node(3).freeze_cluster()
    trio.same_second_conflict(
        "INSERT INTO mysql_servers (hostname) VALUES ('from-node1')",
        "INSERT INTO mysql_servers (hostname) VALUES ('from-node2')",
        "LOAD MYSQL SERVERS TO RUNTIME",
    )
    time.sleep(1.2)
    assert q(p1, "SELECT hostname FROM runtime_mysql_servers") == [["from-node1"]]
    assert q(p2, "SELECT hostname FROM runtime_mysql_servers") == [["from-node2"]]
    e1 = q(p1, "SELECT epoch FROM runtime_checksums_values WHERE name='mysql_servers'")
    e2 = q(p2, "SELECT epoch FROM runtime_checksums_values WHERE name='mysql_servers'")
    assert e1 == e2
    diff = q(
        p1,
        "SELECT diff_check FROM stats_proxysql_servers_checksums "
        f"WHERE port={p2} AND name='mysql_servers'",
    )
    assert int(diff[0][0]) >= 3


def test_never_pull_from_a_peer_at_version_1_and_frozen_nodes_stay_behind(trio: Sandbox) -> None:
    p1, p2, p3 = trio.ports
    # memory edits without LOAD are invisible to the cluster
    q(p1, "INSERT INTO mysql_servers (hostname) VALUES ('only-memory')")
    time.sleep(0.8)
    assert _count(p2, "mysql_servers") == 0
    trio.node(3).freeze_cluster()
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    wait_for(lambda: _count(p2, "runtime_mysql_servers") == 1, timeout=3)
    assert _count(p3, "runtime_mysql_servers") == 0
    trio.node(3).freeze_cluster(False)
    wait_for(lambda: _count(p3, "runtime_mysql_servers") == 1, timeout=3)


def test_stopped_peer_is_skipped_and_catches_up_after_restart(trio: Sandbox) -> None:
    p1, p2, _ = trio.ports
    trio.node(2).stop()
    q(p1, "INSERT INTO mysql_servers (hostname) VALUES ('while-down')")
    q(p1, "LOAD MYSQL SERVERS TO RUNTIME")
    trio.node(2).start()
    # node 2 restarts at version 1 from its (empty) disk and adopts node 1's newer config
    wait_for(lambda: _count(p2, "runtime_mysql_servers") == 1, timeout=3)
