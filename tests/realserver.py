"""A real ProxySQL cluster on loopback, started from a binary, for the suite's real-server run.

`RealCluster` starts N nodes (every node lists every node in proxysql_servers, cluster check
interval 200 ms, Monitor off) and gives the tests what only a process owner can do: freeze a
node (SIGSTOP), kill it (SIGKILL) and start it again from its disk, or add a fresh node. The
binary is named by PXC_PROXYSQL_BIN; nothing here knows where it lives.

    python -m tests.realserver up --bin PATH --dir DIR [--nodes 3]   # prints PXC_TEST_PROXYSQL
    python -m tests.realserver down --dir DIR
"""

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ADMIN_USER, ADMIN_PASSWORD = "radmin", "radmin"
START_TIMEOUT_S = 60.0
START_ATTEMPTS = 3  # a start that crashes by a signal is tried again (see RealNode.start)


def free_port_block(size: int) -> int:
    """A base port such that base .. base+size-1 are free now, below the kernel's ephemeral
    range (where the sandbox, relays and clients take their ports), so that a test running
    beside this one does not take them between this check and ProxySQL's bind."""
    rng = random.Random()
    for _ in range(500):
        base = rng.randrange(20000, 32000 - size)
        held = []
        try:
            for p in range(base, base + size):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
        return base
    raise RuntimeError("no free block of ports on 127.0.0.1")


def _answers(port: int) -> bool:
    """The server greeting arrives on the admin port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            return len(s.recv(4)) == 4
    except OSError:
        return False


@dataclass
class RealNode:
    index: int
    admin_port: int
    mysql_port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None
    # ProxySQL 3: its PostgreSQL listeners on admin_port + 2 (clients) and + 3 (admin), on
    # loopback (by default they bind 0.0.0.0:6133 and 0.0.0.0:6132, the same on every node)
    pgsql: bool = False

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def endpoint(self) -> tuple[str, int, str, str]:
        return ("127.0.0.1", self.admin_port, ADMIN_USER, ADMIN_PASSWORD)

    def write_config(self, peers: list[int], interval_ms: int) -> None:
        servers = ",\n".join(
            f'  {{ hostname="127.0.0.1", port={p}, weight=0, comment="node{k}" }}'
            for k, p in enumerate(peers, 1)
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.directory / "proxysql.cnf").write_text(
            f'datadir="{self.data_dir}"\n'
            "admin_variables=\n{\n"
            f'  admin_credentials="admin:admin;{ADMIN_USER}:{ADMIN_PASSWORD}"\n'
            f'  mysql_ifaces="127.0.0.1:{self.admin_port}"\n'
            + (f'  pgsql_ifaces="127.0.0.1:{self.admin_port + 3}"\n' if self.pgsql else "")
            + f'  cluster_username="{ADMIN_USER}"\n  cluster_password="{ADMIN_PASSWORD}"\n'
            f"  cluster_check_interval_ms={interval_ms}\n"
            "  cluster_check_status_frequency=100\n"
            "  web_enabled=false\n  restapi_enabled=false\n}\n"
            "mysql_variables=\n{\n  threads=2\n"
            f'  interfaces="127.0.0.1:{self.mysql_port}"\n  monitor_enabled=false\n}}\n'
            + (
                "pgsql_variables=\n{\n  threads=2\n"
                f'  interfaces="127.0.0.1:{self.admin_port + 2}"\n  monitor_enabled=false\n}}\n'
                if self.pgsql
                else ""
            )
            + f"proxysql_servers=\n(\n{servers}\n)\n"
        )

    def start(self, binary: str) -> None:
        """Start the process (from its disk database when one exists, as a restart does).

        ProxySQL 2.7.1 now and then dies of SIGSEGV while it loads its servers at start
        (`ev_async_send` from `MySQL_HostGroups_Manager::commit`, before its threads are
        up): a crash before the admin port answers is the binary's, and it is started again."""
        for _ in range(START_ATTEMPTS - 1):
            if self._start_once(binary):
                return
        if not self._start_once(binary):
            raise RuntimeError(
                f"ProxySQL node{self.index} did not start on 127.0.0.1:{self.admin_port} "
                f"(see {self.directory / 'proxysql.log'})"
            )

    def _start_once(self, binary: str) -> bool:
        """Whether the process answers; False when it crashed by a signal before that."""
        log = open(self.directory / "proxysql.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [
                binary,
                "-f",
                "-M",
                "-c",
                str(self.directory / "proxysql.cnf"),
                "-D",
                str(self.data_dir),
                "--no-version-check",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        (self.directory / "pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(self.admin_port):
            code = self.process.poll()
            if code is not None and code < 0:
                return False
            if code is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"ProxySQL node{self.index} did not start on 127.0.0.1:{self.admin_port} "
                    f"(see {self.directory / 'proxysql.log'})"
                )
            time.sleep(0.05)
        return True

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL: no chance to save anything; memory and runtime are gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class RealCluster:
    binary: str
    directory: Path
    size: int = 3
    interval_ms: int = 200
    nodes: list[RealNode] = field(default_factory=list)
    pgsql: bool = False  # a ProxySQL 3 binary: give each node its PostgreSQL ports too

    def start(self) -> "RealCluster":
        """Start every node; a node that cannot bind (a port taken meanwhile) makes the
        whole cluster start again on other ports."""
        for attempt in range(5):
            base = free_port_block(10 * (self.size + 1))
            if self.directory.exists():
                shutil.rmtree(self.directory)
            self.nodes = [
                RealNode(
                    k,
                    base + 10 * (k - 1),
                    base + 10 * (k - 1) + 1,
                    self.directory / f"node{k}",
                    pgsql=self.pgsql,
                )
                for k in range(1, self.size + 1)
            ]
            for node in self.nodes:
                node.write_config([n.admin_port for n in self.nodes], self.interval_ms)
            try:
                for node in self.nodes:
                    node.start(self.binary)
                return self
            except RuntimeError:
                self.stop()
                if attempt == 4:
                    raise
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def restart(self, node: RealNode) -> None:
        """SIGKILL, then start again from the node's disk database."""
        node.kill()
        node.start(self.binary)

    def endpoints(self) -> list[tuple[str, int, str, str]]:
        return [n.endpoint for n in self.nodes]

    def spec_value(self) -> str:
        return ",".join(
            f"{ADMIN_USER}:{ADMIN_PASSWORD}@127.0.0.1:{n.admin_port}" for n in self.nodes
        )

    def __enter__(self) -> "RealCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _down(directory: Path) -> None:
    for pid_file in sorted(directory.glob("node*/pid")):
        with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGCONT)
            os.kill(pid, signal.SIGTERM)
        pid_file.unlink()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.realserver")
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--bin", default=os.environ.get("PXC_PROXYSQL_BIN", ""))
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "down":
        _down(args.dir)
        return 0
    cluster = RealCluster(args.bin, args.dir, args.nodes).start()
    for node in cluster.nodes:
        if node.process is not None:
            node.process = None  # detached: `down` stops them by pid
    print(cluster.spec_value())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
