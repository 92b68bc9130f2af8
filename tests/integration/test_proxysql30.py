"""A ProxySQL 3.0 cluster as pxc's own admin client sees it over TCP: the version it answers,
a PostgreSQL module LOADed into runtime, and ProxySQL Cluster leaving the PostgreSQL side
alone. Runs on the sandbox speaking 3.0 and on a real 3.0.1 cluster (`proxysql30_cluster`).
"""

from collections.abc import Iterator

import pytest

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_checksums
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.errors import AdminQueryError
from tests.cluster import load, wait_for_peers
from tests.conftest import ClusterTarget
from tests.integration.conftest import connect

Node = tuple[str, int, str, str]


def _rows(conn: AdminConnection, sql: str) -> list[tuple[str | None, ...]]:
    return conn.query_text(raw_query(sql, "test read"))


def _run(conn: AdminConnection, sql: str) -> None:
    conn.execute(raw_query(sql, "test write"))


@pytest.fixture
def nodes(proxysql30_cluster: ClusterTarget) -> Iterator[list[AdminConnection]]:
    """Connections to every node, the PostgreSQL tables this file writes emptied and LOADed on
    each node (ProxySQL Cluster does not carry them: every node is cleaned by itself)."""
    conns = [connect(n, f"node{i}") for i, n in enumerate(proxysql30_cluster.nodes, 1)]
    try:
        for conn in conns:
            for table, module in (
                ("pgsql_servers", "PGSQL SERVERS"),
                ("pgsql_users", "PGSQL USERS"),
                ("pgsql_ldap_mapping", None),
            ):
                _run(conn, f"DELETE FROM {table}")
                if module:
                    _run(conn, f"LOAD {module} TO RUNTIME")
        yield conns
    finally:
        for conn in conns:
            conn.close()


def test_every_node_answers_as_proxysql_3_0(nodes: list[AdminConnection]) -> None:
    for conn in nodes:
        (version,) = _rows(conn, "SELECT @@version")[0]
        assert version is not None and version.startswith("3.0."), version
        assert _rows(
            conn, "SELECT variable_value FROM global_variables WHERE variable_name='admin-version'"
        ) == [(version,)]
        pgsql_vars = _rows(
            conn, "SELECT COUNT(*) FROM global_variables WHERE variable_name LIKE 'pgsql-%'"
        )
        assert int(pgsql_vars[0][0] or 0) > 100
        tables = {r[0] for r in _rows(conn, "SHOW TABLES LIKE 'runtime_pgsql%'")}
        assert {"runtime_pgsql_servers", "runtime_pgsql_users", "runtime_pgsql_query_rules"} <= (
            tables
        )


def test_load_pgsql_servers_puts_them_in_runtime_and_counts_a_version(
    nodes: list[AdminConnection],
) -> None:
    node = nodes[0]
    before = read_checksums(node)
    _run(
        node,
        "INSERT INTO pgsql_servers (hostgroup_id, hostname, status) "
        "VALUES (71, 'pg-a.example', 'online')",
    )
    assert _rows(node, "SELECT hostname FROM runtime_pgsql_servers") == []
    _run(node, "LOAD PGSQL SERVERS TO RUNTIME")
    assert _rows(
        node, "SELECT hostgroup_id, hostname, port, status FROM runtime_pgsql_servers"
    ) == [("71", "pg-a.example", "5432", "ONLINE")]
    after = read_checksums(node)
    assert after["pgsql_servers"].version == before["pgsql_servers"].version + 1
    assert after["pgsql_servers"].checksum != before["pgsql_servers"].checksum
    # LOAD PGSQL VARIABLES counts nothing: its checksum row stays at version 0
    _run(node, "LOAD PGSQL VARIABLES TO RUNTIME")
    variables = read_checksums(node)["pgsql_variables"]
    assert (variables.version, variables.epoch, variables.checksum) == (0, 0, "")


def test_pgsql_ldap_mapping_has_no_load_command(nodes: list[AdminConnection]) -> None:
    node = nodes[0]
    _run(
        node,
        "INSERT INTO pgsql_ldap_mapping (priority, frontend_entity, backend_entity) "
        "VALUES (1, 'cn=app', 'pgapp')",
    )
    with pytest.raises(AdminQueryError, match="syntax error"):
        _run(node, "LOAD PGSQL LDAP MAPPING TO RUNTIME")
    assert _rows(node, "SELECT backend_entity FROM pgsql_ldap_mapping") == [("pgapp",)]
    assert _rows(node, "SELECT * FROM runtime_pgsql_ldap_mapping") == []


def test_peers_pull_the_mysql_side_but_never_the_pgsql_side(
    nodes: list[AdminConnection],
) -> None:
    primary, peers = nodes[0], nodes[1:]
    _run(
        primary,
        "INSERT INTO pgsql_users (username, password, default_hostgroup) "
        "VALUES ('pg_only_on_node1', 'secret', 71)",
    )
    _run(primary, "LOAD PGSQL USERS TO RUNTIME")
    assert ("pg_only_on_node1",) in _rows(primary, "SELECT username FROM runtime_pgsql_users")
    # A MySQL change LOADed after the pgsql one: once every peer has pulled it, each has had
    # every chance to pull the pgsql users too (peers compare all checksums at each check).
    _run(primary, "DELETE FROM mysql_query_rules WHERE rule_id=3001")
    _run(
        primary,
        "INSERT INTO mysql_query_rules (rule_id, active, match_digest, apply) "
        "VALUES (3001, 1, '^SELECT pgsql_sync_probe', 1)",
    )
    try:
        load(primary, "MYSQL QUERY RULES")
        wait_for_peers(primary, peers, only={"mysql_query_rules"})
        for peer in peers:
            assert ("3001",) in _rows(peer, "SELECT rule_id FROM runtime_mysql_query_rules")
            for table in ("runtime_pgsql_users", "pgsql_users", "disk.pgsql_users"):
                assert _rows(peer, f"SELECT username FROM {table}") == [], (peer, table)
            tracked = _rows(
                peer, "SELECT DISTINCT name FROM stats_proxysql_servers_checksums ORDER BY name"
            )
            assert tracked, "the peer tracks no module at all"
            assert [n for (n,) in tracked if n and n.startswith("pgsql")] == []
    finally:
        _run(primary, "DELETE FROM mysql_query_rules WHERE rule_id=3001")
        load(primary, "MYSQL QUERY RULES")
        wait_for_peers(primary, peers, only={"mysql_query_rules"})
