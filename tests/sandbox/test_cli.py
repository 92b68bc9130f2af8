"""`pxc sandbox up/down` as a user runs them: the installed console script, in a subprocess."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from proxysql_iac.admin.connection import AdminConnection, Endpoint
from proxysql_iac.admin.tls import ClientTls, Pem, TlsMode
from tests.realserver import free_port_block

from .helpers import q

pytestmark = pytest.mark.sandbox

PXC = Path(sys.executable).with_name("pxc")


def free_base_port(n: int) -> int:
    """A port P with P..P+n-1 all free on loopback, below the ephemeral range (where the
    suite's other servers, relays and clients take theirs)."""
    return free_port_block(n)


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Cli:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.env = {**os.environ, "PXC_SANDBOX_DIR": str(state_dir)}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PXC), "sandbox", *args], env=self.env, capture_output=True, text=True, timeout=30
        )


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    if not PXC.exists():
        pytest.skip(f"console script {PXC} is not installed")
    c = Cli(tmp_path / "sandbox-state")
    yield c
    state = c.dir / "state.json"
    # a test failed half-way: stop what it started
    if state.exists() and c("down").returncode != 0 and state.exists():
        os.kill(int(json.loads(state.read_text())["pid"]), signal.SIGTERM)


def test_up_detach_starts_a_cluster_and_down_stops_it(cli: Cli) -> None:
    base = free_base_port(6)  # base+5: the second `up` below
    up = cli("up", "--detach", "--port", str(base), "--nodes", "2")
    assert up.returncode == 0, up.stderr
    assert f"-P{base} " in up.stdout and f"port: {base + 1}, tls: {{mode: verify_ca" in up.stdout
    ca = Path(up.stdout.split('ca: "')[1].split('"')[0])  # node1's, as printed
    tls = ClientTls(TlsMode.VERIFY_CA, Pem(str(ca), ca))
    with AdminConnection(Endpoint("node1", "127.0.0.1", base, "radmin", "radmin", tls)) as conn:
        assert conn.tls_version is not None
    for port in (base, base + 1):
        assert q(port, "SELECT @@version")[0][0].startswith("2.7.1")
        peers = q(port, "SELECT hostname, port FROM runtime_proxysql_servers ORDER BY port")
        assert peers == [["127.0.0.1", str(base)], ["127.0.0.1", str(base + 1)]]
    again = cli("up", "--detach", "--port", str(base + 5), "--nodes", "1")
    assert again.returncode == 1 and "already recorded" in again.stderr
    down = cli("down")
    assert down.returncode == 0, down.stderr
    assert "stopped the sandbox (pid " in down.stdout and f"{base}, {base + 1})" in down.stdout
    assert not answers(base) and not answers(base + 1)
    assert not (cli.dir / "state.json").exists()
    nothing = cli("down")
    assert nothing.returncode == 1 and nothing.stderr.count("\n") == 1


CONFIG = """\
datadir="/var/lib/proxysql"
admin_variables=
{
    admin_credentials="admin:admin;radmin:radmin"
    mysql_ifaces="0.0.0.0:6032"
}
mysql_variables=
{
    threads=4
    max_connections=2048
    monitor_enabled=true
}
mysql_servers =
(
    { address="10.0.0.1", port=3306, hostgroup=10, max_connections=200 },
    { address="10.0.0.2", hostgroup=20, status="WEIRD" },
    { hostgroup=30, comment="no address: skipped" },
    { address="10.0.0.4", hostgroup=40, weight=-1, comment="fails a CHECK: skipped" }
)
mysql_users = ( { username="app", password="pw", default_hostgroup=10, frontend=0 } )
mysql_query_rules = ( { rule_id=1, match_digest="^SELECT", destination_hostgroup=20, apply=1 } )
mysql_aws_aurora_hostgroups =
(
    { writer_hostgroup=200, reader_hostgroup=201, domain_name=".c1.rds.amazonaws.com", active=0 }
)
"""


def test_up_with_config_boots_rows_and_variables_with_the_files_defaults(
    cli: Cli, tmp_path: Path
) -> None:
    cnf = tmp_path / "proxysql.cnf"
    cnf.write_text(CONFIG)
    base = free_base_port(2)
    up = cli("up", "--detach", "--port", str(base), "--nodes", "2", "--config", str(cnf))
    assert up.returncode == 0, up.stderr
    try:
        for port in (base, base + 1):
            variables = dict(
                q(
                    port,
                    "SELECT variable_name, variable_value FROM runtime_global_variables WHERE "
                    "variable_name IN ('mysql-max_connections', 'mysql-threads', "
                    "'mysql-monitor_enabled', 'admin-mysql_ifaces')",
                )
            )
            assert variables == {
                "mysql-max_connections": "2048",
                "mysql-threads": "4",
                "mysql-monitor_enabled": "true",
                "admin-mysql_ifaces": f"127.0.0.1:{port}",  # the port comes from --port
            }
            # query rules: `active` defaults to 1 in the file (0 in the table), so it loads
            assert q(port, "SELECT rule_id, active FROM runtime_mysql_query_rules") == [["1", "1"]]
            # Aurora: check_timeout_ms defaults to 1000 in the file; `active` is not read
            assert q(
                port,
                "SELECT active, check_timeout_ms, domain_name FROM mysql_aws_aurora_hostgroups",
            ) == [["1", "1000", ".c1.rds.amazonaws.com"]]
            assert q(
                port,
                "SELECT hostgroup_id, hostname, status, max_connections FROM mysql_servers "
                "ORDER BY hostgroup_id",
            ) == [["10", "10.0.0.1", "ONLINE", "200"], ["20", "10.0.0.2", "ONLINE", "1000"]]
            # users: frontend/backend are never read from the file
            assert q(port, "SELECT username, frontend, backend FROM mysql_users") == [
                ["app", "1", "1"]
            ]
    finally:
        assert cli("down").returncode == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file or directory"),
        ("mysql_variables = { threads = 4\n", "is not valid libconfig"),
        ("mysql_servers = ( { address = } )\n", "is not valid libconfig"),
        (b"\xff\xfe\x00 binary", "not UTF-8"),
        ("dir", "Is a directory"),
    ],
)
def test_a_bad_config_is_one_line_and_exit_1(
    cli: Cli, tmp_path: Path, content: str | bytes | None, reason: str
) -> None:
    cnf = tmp_path / "proxysql.cnf"
    if isinstance(content, bytes):
        cnf.write_bytes(content)
    elif content == "dir":
        cnf.mkdir()
    elif content is not None:
        cnf.write_text(content)
    base = free_base_port(1)
    run = cli("up", "--detach", "--port", str(base), "--nodes", "1", "--config", str(cnf))
    assert run.returncode == 1
    assert run.stderr.startswith("pxc sandbox: ") and run.stderr.count("\n") == 1
    assert reason in run.stderr and str(cnf) in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not answers(base) and not (cli.dir / "state.json").exists()


def test_a_port_in_use_is_one_line_and_exit_1(cli: Cli) -> None:
    base = free_base_port(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", base + 1))
        taken.listen()
        run = cli("up", "--detach", "--port", str(base), "--nodes", "2")
    assert run.returncode == 1
    assert (
        run.stderr
        == f"pxc sandbox: cannot listen on 127.0.0.1:{base + 1}: Address already in use\n"
    )
    assert not answers(base) and not (cli.dir / "state.json").exists()


def test_up_version_3_0_serves_proxysql_3_0_1_and_2_7_stays_the_default(
    cli: Cli, tmp_path: Path
) -> None:
    base = free_base_port(2)
    up = cli("up", "--detach", "--port", str(base), "--nodes", "1", "--version", "3.0")
    assert up.returncode == 0, up.stderr
    try:
        assert q(base, "SELECT @@version") == [["3.0.1-0-g784be94"]]
        assert q(base, "SELECT COUNT(*) FROM global_variables") == [["373"]]
        assert q(base, "SELECT COUNT(*) FROM runtime_pgsql_servers") == [["0"]]
    finally:
        assert cli("down").returncode == 0
    other = Cli(tmp_path / "another-state")  # its own data directory: a fresh node
    plain = other("up", "--detach", "--port", str(base + 1), "--nodes", "1")
    assert plain.returncode == 0, plain.stderr
    try:
        assert q(base + 1, "SELECT @@version") == [["2.7.1-16-g2726c27"]]
        assert q(base + 1, "SELECT COUNT(*) FROM global_variables") == [["212"]]
    finally:
        assert other("down").returncode == 0


def test_an_unknown_version_is_one_line_and_exit_1(cli: Cli) -> None:
    base = free_base_port(1)
    run = cli("up", "--detach", "--port", str(base), "--nodes", "1", "--version", "2.6")
    assert run.returncode == 1
    assert run.stderr == "pxc sandbox: --version 2.6: the sandbox speaks 2.7, 3.0\n"
    assert not answers(base) and not (cli.dir / "state.json").exists()


def test_down_keeps_the_record_while_the_ports_answer_and_forgets_a_stopped_sandbox(
    cli: Cli,
) -> None:
    """A recorded sandbox whose process is gone (the pid now runs another program, which
    `down` leaves alone) while something still answers on its ports: `down` fails, names the
    ports and keeps the record; once the ports are quiet, `down` forgets it and says so."""
    other = subprocess.Popen(["sleep", "300"])
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    quiet = threading.Event()

    def serve() -> None:  # accept (and drop) every connection until told to stop
        listener.settimeout(0.1)
        while not quiet.is_set():
            with contextlib.suppress(OSError):
                listener.accept()[0].close()

    server = threading.Thread(target=serve)
    server.start()
    try:
        cli.dir.mkdir(parents=True)
        (cli.dir / "state.json").write_text(json.dumps({"pid": other.pid, "ports": [port]}))
        busy = cli("down")
        assert busy.returncode == 1, busy.stdout
        assert busy.stderr == (
            f"pxc sandbox: the sandbox (pid {other.pid}) did not stop within 5 s; "
            f"ports {port} still answer\n"
        )
        assert (cli.dir / "state.json").exists()
        quiet.set()
        server.join()
        listener.close()
        done = cli("down")
        assert done.returncode == 0, done.stderr
        assert done.stdout == (
            f"pxc sandbox: the sandbox (pid {other.pid}) had already stopped; forgot it\n"
        )
        assert not (cli.dir / "state.json").exists()
        assert other.poll() is None  # not the sandbox: never signalled
    finally:
        quiet.set()
        server.join()
        listener.close()
        other.kill()
        other.wait()
