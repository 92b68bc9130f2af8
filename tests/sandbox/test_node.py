"""Behaviour of one sandbox node as a client sees it over TCP."""

from collections.abc import Iterator

import mysql.connector
import pymysql
import pytest

from proxysql_iac.sandbox import Sandbox

from .helpers import connect, q

pytestmark = pytest.mark.sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(nodes=1, cluster=False) as s:
        yield s


def test_three_nodes_start_and_answer() -> None:
    with Sandbox(nodes=3) as s:
        for port in s.ports:
            assert q(port, "SELECT @@version") == [["2.7.1-16-g2726c27"]]
        rows = q(s.ports[0], "SELECT hostname, port FROM runtime_proxysql_servers ORDER BY port")
        assert sorted(int(p) for _, p in rows) == sorted(s.ports)


def test_constraint_errors_use_proxysql_format(sb: Sandbox) -> None:
    with pytest.raises(mysql.connector.Error) as ei:
        q(
            sb.ports[0],
            "INSERT INTO mysql_servers (hostgroup_id, hostname, port) VALUES (1,'h',70000)",
        )
    assert ei.value.errno == 1045
    assert ei.value.sqlstate == "28000"
    assert (
        ei.value.msg == "ProxySQL Admin Error: CHECK constraint failed: port >= 0 AND port <= 65535"
    )


def test_every_column_is_text_and_users_split_at_runtime(sb: Sandbox) -> None:
    port = sb.ports[0]
    q(port, "INSERT INTO mysql_users (username, password, default_hostgroup) VALUES ('u1','p',5)")
    q(port, "INSERT INTO mysql_users (username, password, active) VALUES ('u2','p',0)")
    q(port, "LOAD MYSQL USERS TO RUNTIME")
    rows = q(
        port,
        "SELECT username, default_hostgroup, frontend, backend FROM runtime_mysql_users "
        "ORDER BY frontend",
    )
    assert rows == [["u1", "5", "0", "1"], ["u1", "5", "1", "0"]]


def test_only_the_first_statement_of_a_query_runs(sb: Sandbox) -> None:
    port = sb.ports[0]
    cx = connect(port)
    cur = cx.cursor()
    cur.execute("INSERT INTO mysql_servers (hostname) VALUES ('a'); LOAD MYSQL SERVERS TO RUNTIME")
    cx.close()
    assert q(port, "SELECT COUNT(*) FROM mysql_servers") == [["1"]]
    assert q(port, "SELECT COUNT(*) FROM runtime_mysql_servers") == [["0"]]


def test_prepared_statements_are_refused(sb: Sandbox) -> None:
    cx = connect(sb.ports[0])
    cur = cx.cursor(prepared=True)
    with pytest.raises(mysql.connector.Error) as ei:
        cur.execute("SELECT ?", (1,))
    assert ei.value.errno == 1045 and "Command not supported" in ei.value.msg
    cx.close()


def test_changing_admin_credentials_changes_who_can_log_in(sb: Sandbox) -> None:
    port = sb.ports[0]
    q(
        port,
        "UPDATE global_variables SET variable_value='admin:admin;ops:s3cret' "
        "WHERE variable_name='admin-admin_credentials'",
    )
    q(port, "SELECT 1", user="radmin")  # memory only: radmin still valid
    q(port, "LOAD ADMIN VARIABLES TO RUNTIME")
    assert q(port, "SELECT 1", user="ops", password="s3cret") == [["1"]]
    with pytest.raises(mysql.connector.Error) as ei:
        connect(port, "radmin", "radmin")
    assert ei.value.errno == 1045


def test_invalid_and_unknown_variables_at_load(sb: Sandbox) -> None:
    port = sb.ports[0]
    q(port, "UPDATE global_variables SET variable_value='yes' WHERE variable_name='mysql-have_ssl'")
    q(port, "UPDATE global_variables SET variable_value='8' WHERE variable_name='mysql-threads'")
    q(port, "INSERT INTO global_variables VALUES ('mysql-made_up', '1')")
    assert q(port, "LOAD MYSQL VARIABLES TO RUNTIME") == 0
    vals = dict(
        q(
            port,
            "SELECT * FROM global_variables WHERE variable_name IN "
            "('mysql-have_ssl','mysql-threads','mysql-made_up')",
        )
    )
    assert vals == {"mysql-have_ssl": "true", "mysql-threads": "2"}


def test_set_is_a_text_rewrite(sb: Sandbox) -> None:
    port = sb.ports[0]
    q(port, "SET mysql-max_connections=1+1")
    assert q(
        port,
        "SELECT variable_value FROM global_variables WHERE variable_name='mysql-max_connections'",
    ) == [["2"]]
    assert q(port, "SET mysql-max_connections=1111 -- all of them") == 212


def test_semicolon_only_query_stops_the_node(sb: Sandbox) -> None:
    port = sb.ports[0]
    cx = connect(port)
    with pytest.raises(mysql.connector.Error):
        cx.cmd_query(b";")
    with pytest.raises(mysql.connector.Error) as ei:
        connect(port)
    assert ei.value.errno == 2003
    sb.node(1).start()
    assert q(port, "SELECT 1") == [["1"]]


def test_int32_overflow_in_runtime_servers_stops_the_node(sb: Sandbox) -> None:
    port = sb.ports[0]
    q(port, "INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES (2147483648, 'h')")
    q(port, "LOAD MYSQL SERVERS TO RUNTIME")
    with pytest.raises(mysql.connector.Error):
        q(port, "SELECT * FROM runtime_mysql_servers")
    with pytest.raises(mysql.connector.Error):
        connect(port)


def test_save_to_disk_survives_restart(tmp_path: "object") -> None:
    with Sandbox(nodes=1, cluster=False, data_dir=str(tmp_path)) as s:
        port = s.ports[0]
        q(port, "INSERT INTO mysql_servers (hostname) VALUES ('saved')")
        q(port, "SAVE MYSQL SERVERS TO DISK")
        q(port, "INSERT INTO mysql_servers (hostname) VALUES ('unsaved')")
        s.node(1).restart()
        assert q(port, "SELECT hostname FROM runtime_mysql_servers") == [["saved"]]


def test_password_functions(sb: Sandbox) -> None:
    port = sb.ports[0]
    assert q(port, "SELECT MYSQL_NATIVE_PASSWORD('password')") == [
        ["*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"]
    ]
    assert q(port, "SELECT CACHING_SHA2_PASSWORD('password', '01234567890123456789')") == [
        ["$A$005$01234567890123456789lWM2.mrO3jwV6WIkUnclHCEWnfAl8W74XeDX0Iq6EkA"]
    ]


def test_fault_injection_fail_statement_and_drop(sb: Sandbox) -> None:
    port = sb.ports[0]
    sb.node(1).fail_statement(r"^LOAD MYSQL SERVERS", "ProxySQL Admin Error: injected")
    with pytest.raises(mysql.connector.Error) as ei:
        q(port, "LOAD MYSQL SERVERS TO RUNTIME")
    assert ei.value.msg == "ProxySQL Admin Error: injected"
    sb.node(1).clear_faults()
    cx = connect(port)
    cur = cx.cursor()
    sb.node(1).drop_connection_after(1)
    cur.execute("SELECT 1")
    cur.fetchall()
    with pytest.raises(mysql.connector.Error):
        cur.execute("SELECT 2")
        cur.fetchall()


def test_pymysql_client_is_compatible(sb: Sandbox) -> None:
    cx = pymysql.connect(
        host="127.0.0.1", port=sb.ports[0], user="admin", password="admin", autocommit=True
    )
    with cx.cursor() as cur:
        cur.execute(
            "SELECT variable_value FROM global_variables WHERE variable_name='admin-version'"
        )
        assert cur.fetchall() == (("2.7.1-16-g2726c27",),)
    cx.close()


def test_a_statement_that_changes_no_rows_reports_the_clients_last_count(sb: Sandbox) -> None:
    """ProxySQL answers VACUUM, ATTACH or a CREATE with SQLite's changes() of the previous
    statement; the sandbox's own background writes (Cluster stats) in between do not move it."""
    port = sb.ports[0]
    conn = connect(port)
    try:
        cur = conn.cursor()
        cur.execute("INSERT INTO mysql_servers (hostgroup_id, hostname) VALUES (1,'a'),(1,'b')")
        node = sb.node(1).node
        assert node is not None
        rows = [("127.0.0.1", port, name, 1, 1, "0x0", 1, 1, 0) for name in ("a", "b", "c")]
        node.stats_checksum_rows(rows)  # what the Cluster thread does
        for statement in ("VACUUM", "SELECT 1", "ATTACH DATABASE ':memory:' AS x"):
            cur.execute(statement)
            if cur.with_rows:
                cur.fetchall()
            else:
                assert cur.rowcount == 2, statement
    finally:
        conn.close()
