"""Cluster faults made with real statements and real processes: a same-second split from two
LOADs, a peer frozen with SIGSTOP, a fresh node joining. The first runs on the sandbox and on
a real cluster alike; the others need ProxySQL processes this run started (`real_process`;
the sandbox has its own versions in test_reliability.py, through its fault API)."""

import signal
import time
from pathlib import Path

import pytest

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_checksums, read_precise_clock
from proxysql_iac.admin.sql import raw_query
from tests.cluster import new_second
from tests.integration.conftest import cluster_block, connect, rows, run_pxc, settle
from tests.realserver import RealNode
from tests.relay import Relay

SERVERS = """
hostgroups: {writer: 10}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1}
"""


def _split(first: AdminConnection, second: AdminConnection) -> None:
    """db1 LOADed on the first node and 'stray' on the second in one wall-clock second:
    equal epochs, different checksums. Tried again if the two LOADs straddled a second."""
    for _ in range(5):
        new_second(first)
        new_second(second)
        while read_precise_clock(first) % 1 > 0.5:  # room for both LOADs in this second
            time.sleep(0.02)
        first.execute(
            raw_query("INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'db1')", "e")
        )
        first.execute(raw_query("LOAD MYSQL SERVERS TO RUNTIME", "split"))
        second.execute(
            raw_query("INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (10,'stray')", "e")
        )
        second.execute(raw_query("LOAD MYSQL SERVERS TO RUNTIME", "split"))
        a = read_checksums(first)["mysql_servers_v2"]
        b = read_checksums(second)["mysql_servers_v2"]
        if a.epoch == b.epoch and a.checksum != b.checksum:
            return
        for conn in (first, second):
            conn.execute(raw_query("DELETE FROM mysql_servers", "retry"))
    raise AssertionError("could not make two LOADs land in one second")


def test_same_second_split_from_two_real_loads_is_refused_then_healed(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    nodes = proxysql_cluster.nodes
    with connect(nodes[0]) as first, connect(nodes[1], "node2") as second:
        _split(first, second)
    assert ("stray",) in rows(nodes[1], "SELECT hostname FROM runtime_mysql_servers")
    # a plan that changes the split module is refused
    other = write_spec(SERVERS.replace("db1}", "db1}\n  - {hostgroup_id: writer, hostname: db9}"))
    code, out = run_pxc("plan", str(other))
    assert code == 1, out
    assert "PXC102" in out and "node2" in out
    # one that leaves it as the primary has it heals it by LOADing again in a new second
    spec = write_spec(SERVERS)
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert "PXC100" in out and "LOAD again in a new second" in out
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    for node in nodes:
        assert rows(node, "SELECT hostname FROM runtime_mysql_servers") == [("db1",)]


@pytest.mark.real_process
def test_peer_frozen_with_sigstop_makes_apply_exit_3_naming_it(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Frozen at apply's first write (after its plan read every peer): the primary takes the
    change, the frozen peer never does, apply says so with exit 3."""
    cluster = proxysql_cluster.real
    frozen = cluster.nodes[2]
    relay = Relay(proxysql_cluster.nodes[0][:2])
    try:
        write_spec(SERVERS)  # the known starting state
        host, _, user, password = proxysql_cluster.nodes[0]
        spec = tmp_path / "via-relay.yaml"
        through = [(host, relay.port, user, password), *proxysql_cluster.nodes[1:]]
        # plaintext: the relay counts statements, which it cannot see inside TLS
        spec.write_text("version: 1\n" + cluster_block(through, tls="{mode: disabled}") + SERVERS)
        relay.count_only()
        assert run_pxc("plan", str(spec))[0] == 0
        first_write = len(relay.log) + 2  # apply's own plan reads, then SET NAMES, autocommit
        relay.arm(first_write, lambda: frozen.signal(signal.SIGSTOP))
        code, out = run_pxc("apply", str(spec), "--auto-approve", "--converge-timeout", "3")
        assert relay.fired
        assert code == 3, out
        assert "node3 did not match it" in out
        assert "node2" not in out.split("did not match")[0].split("but")[-1]
    finally:
        frozen.signal(signal.SIGCONT)
        relay.close()
    settle(proxysql_cluster.nodes)
    assert rows(proxysql_cluster.nodes[2], "SELECT hostname FROM runtime_mysql_servers") == [
        ("db1",)
    ]


@pytest.mark.real_process
def test_a_fresh_node_joining_takes_the_configuration_and_plans_nothing(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cluster = proxysql_cluster.real
    spec = write_spec(SERVERS)
    assert run_pxc("apply", str(spec), "--auto-approve")[0] == 0
    fresh = RealNode(
        len(cluster.nodes) + 1,
        *_free_pair(),
        tmp_path / "fresh",
    )
    # it lists the cluster as the others do (a satellite joining: the core does not list it)
    fresh.write_config([n.admin_port for n in cluster.nodes], 200)
    fresh.start(cluster.binary)
    try:
        everyone = [*proxysql_cluster.nodes, fresh.endpoint]
        settle(everyone)
        assert rows(fresh.endpoint, "SELECT hostname FROM runtime_mysql_servers") == [("db1",)]
        joined = tmp_path / "joined.yaml"
        joined.write_text("version: 1\n" + cluster_block(everyone) + SERVERS)
        code, out = run_pxc("plan", str(joined), "--detailed-exitcode")
        assert code == 0, out
        code, out = run_pxc("status", str(joined))
        assert code == 0, out
    finally:
        fresh.stop()


def _free_pair() -> tuple[int, int]:
    from tests.realserver import free_port_block

    base = free_port_block(2)
    return base, base + 1
