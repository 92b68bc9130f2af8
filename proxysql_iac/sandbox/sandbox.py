"""`Sandbox`: N emulated ProxySQL admin nodes (2.7.1, or 3.0.1) forming a cluster, in one process.

All nodes share one asyncio event loop running in a background thread; the Python API (start,
stop, fault injection, Aurora) is thread-safe and can be called from tests.
"""

import asyncio
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from types import TracebackType
from typing import Any, TypeVar

from .aurora import AuroraControl, AuroraMonitor, Topologies
from .cluster import ClusterMonitor
from .node import EPOCH_CLOCK_LAG_S, AdminError, SandboxNode
from .protocol import NodeServer
from .versions import DEFAULT_VERSION, server_version

T = TypeVar("T")
LOCALHOSTS = ("127.0.0.1", "localhost", "::1")


class NodeHandle:
    """A node of a running Sandbox: its listener, cluster monitor and fault-injection API."""

    def __init__(self, sandbox: "Sandbox", index: int, port: int, data_dir: str) -> None:
        self.sandbox = sandbox
        self.index = index
        self.port = port
        self.data_dir = data_dir
        self.node: SandboxNode | None = None
        self.server: NodeServer | None = None
        self.monitor: ClusterMonitor | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._aurora_task: asyncio.Task[None] | None = None
        # Aurora clusters declared for this node only; the sandbox's apply otherwise
        self.aurora_topologies = Topologies(fallback=sandbox.aurora.topologies)
        self.aurora = AuroraControl(self.aurora_topologies, self._aurora_check_now)

    @property
    def host(self) -> str:
        return self.sandbox.host

    @property
    def running(self) -> bool:
        return self.server is not None

    def current(self) -> SandboxNode:
        assert self.node is not None, "node is not running"
        return self.node

    # -- lifecycle (run inside the loop) --------------------------------
    async def _start(self, fresh: bool = False) -> None:
        if fresh:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        node = SandboxNode(
            self.index,
            self.port,
            self.data_dir,
            peers=self.sandbox.peer_list(),
            config=self.sandbox.config,
            host=self.host,
            version=self.sandbox.version,
        )
        # a new process: a new Monitor (hostgroups known, failover log), same declared cluster
        node.aurora = AuroraMonitor(self.aurora_topologies.resolve)
        node.boot()
        self.node = node
        server = NodeServer(self.current, self._crashed)
        node.admin_sessions = lambda: len(server.connections)
        await server.start_server(host=self.host, port=self.port, reuse_address=True)
        if self.port == 0:
            self.port = server.sockets()[0].getsockname()[1]
            node.port = self.port
        self.server = server
        self.monitor = ClusterMonitor(node, self.sandbox.resolve)
        self._poll_task = asyncio.get_running_loop().create_task(self._poll())
        self._aurora_task = asyncio.get_running_loop().create_task(self._aurora_poll())

    async def _poll(self) -> None:
        while True:
            monitor = self.monitor
            if monitor is None:
                return
            await asyncio.sleep(monitor.interval_s())
            try:
                monitor.check_once()
            except Exception:
                import logging

                logging.getLogger(__name__).exception("cluster check failed")

    async def _aurora_poll(self) -> None:
        """This node's Aurora Monitor: one check per row every check_interval_ms."""
        while True:
            node = self.node
            if node is None or self.server is None:
                return
            try:
                wait = node.aurora_tick()
            except Exception:
                import logging

                logging.getLogger(__name__).exception("aurora check failed")
                wait = 1.0
            await asyncio.sleep(wait)

    def _aurora_check_now(self) -> None:
        if self.running and self.sandbox._loop is not None:
            self.sandbox._call(self._aurora_check())

    async def _aurora_check(self) -> None:
        if self.node is not None:
            self.node.aurora_check()

    async def _stop(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()
            self._poll_task = None
        if self._aurora_task is not None:
            self._aurora_task.cancel()
            self._aurora_task = None
        server = self.server
        self.server = None
        self.monitor = None
        if server is not None:
            server.close()
            server.abort_all()
            await server.wait_closed()
        if self.node is not None:
            self.node.close()

    def _crashed(self) -> None:
        # stop listening at once (a crashed process refuses the very next connection)
        if self.server is not None:
            self.server.close()
            self.server.abort_all()
        asyncio.get_running_loop().create_task(self._stop())

    # -- public API -------------------------------------------------------
    def stop(self) -> None:
        """Stop this node (its port refuses connections)."""
        self.sandbox._call(self._stop())

    def start(self, fresh: bool = False) -> None:
        """(Re)start this node on the same port; `fresh=True` wipes its data dir first."""
        if self.running:
            self.sandbox._call(self._stop())
        self.sandbox._call(self._start(fresh=fresh))

    def restart(self, fresh: bool = False) -> None:
        self.start(fresh=fresh)

    def fail_statement(
        self, pattern: str, message: str, errno: int = 1045, sqlstate: str = "28000"
    ) -> None:
        """Answer statements matching `pattern` (regex) with this error instead of running them."""
        node = self.current()
        with node.lock:
            node.fail_rules.append(
                (re.compile(pattern, re.I | re.S), AdminError(message, errno, sqlstate))
            )

    def clear_faults(self) -> None:
        node = self.current()
        with node.lock:
            node.fail_rules.clear()
            node.drop_after = None
            node.frozen = False
            node.held_epoch, node.held_loads = None, 0

    def drop_connection_after(self, statements: int) -> None:
        """Answer `statements` more statements, then drop the connection of the next one."""
        node = self.current()
        with node.lock:
            node.drop_after = statements

    def hold_epoch_clock(self, epoch: int, loads: int = 1) -> None:
        """Stamp this node's next `loads` LOADs with `epoch`, whatever second they run in: an
        epoch clock that lags the clock queries read (ProxySQL's lags by up to a kernel
        tick), drawn out."""
        node = self.current()
        with node.lock:
            node.held_epoch, node.held_loads = epoch, loads

    def freeze_cluster(self, frozen: bool = True) -> None:
        """Stop (or resume) this node's polling of its peers."""
        self.current().frozen = frozen

    def execute(self, sql: str) -> Any:
        """Run one admin statement in-process (no wire), for setup in tests."""
        return self.sandbox._call(self._exec(sql))

    async def _exec(self, sql: str) -> Any:
        return self.current().execute(sql)

    def pulls(self) -> list[tuple[float, str, tuple[str, int]]]:
        return list(self.monitor.pulls) if self.monitor else []


class Sandbox:
    """N admin nodes on loopback forming a ProxySQL Cluster (node k listens on base_port+k-1).

    `version`: "2.7" (ProxySQL 2.7.1, the default) or "3.0" (3.0.1: the PostgreSQL tables,
    variables and modules too); ValueError for any other.
    """

    def __init__(
        self,
        nodes: int = 3,
        base_port: int = 0,
        data_dir: str | None = None,
        cluster: bool = True,
        config: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        version: str = DEFAULT_VERSION,
    ) -> None:
        if nodes < 1:
            raise ValueError("nodes must be >= 1")
        self.version = server_version(version).name
        self.host = host
        self.cluster = cluster
        self.config = config
        # the fake Aurora cluster(s) every node's Monitor sees (sb.aurora.declare(...))
        self.aurora = AuroraControl(Topologies(), self._aurora_check_all)
        self._tmp = None if data_dir else tempfile.mkdtemp(prefix="pxc-sandbox-")
        self.data_dir = data_dir or self._tmp or ""
        ports = [base_port + i if base_port else 0 for i in range(nodes)]
        self.handles = [
            NodeHandle(self, i + 1, ports[i], f"{self.data_dir}/node{i + 1}") for i in range(nodes)
        ]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- loop plumbing --------------------------------------------------------
    def _call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        assert self._loop is not None, "sandbox is not started"
        if threading.current_thread() is self._thread:
            raise RuntimeError("blocking sandbox call from inside its own event loop")
        fut: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return fut.result(timeout)

    def peer_list(self) -> list[tuple[str, int]]:
        if not self.cluster:
            return []
        return [(self.host, h.port) for h in self.handles]

    def resolve(self, host: str, port: int) -> SandboxNode | None:
        if host not in LOCALHOSTS and host != self.host:
            return None
        for h in self.handles:
            if h.port == port and h.running:
                return h.node
        return None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> "Sandbox":
        """Start every node; returns once each one answers on its port."""
        if self._loop is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="pxc-sandbox", daemon=True)
        self._thread.start()
        ready.wait()
        if any(h.port == 0 for h in self.handles):
            self._pick_ports()
        for h in self.handles:
            self._call(h._start())
        for h in self.handles:
            _wait_port(self.host, h.port)
        return self

    def _pick_ports(self) -> None:
        socks = []
        for h in self.handles:
            if h.port == 0:
                s = socket.socket()
                s.bind((self.host, 0))
                socks.append(s)
                h.port = s.getsockname()[1]
        for s in socks:
            s.close()

    def stop(self) -> None:
        if self._loop is None:
            return
        for h in self.handles:
            if h.running:
                self._call(h._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop.close()
        self._loop = None
        self._thread = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _aurora_check_all(self) -> None:
        for h in self.handles:
            h._aurora_check_now()

    # -- convenience ------------------------------------------------------------
    def node(self, k: int) -> NodeHandle:
        """Node k (1-based)."""
        return self.handles[k - 1]

    @property
    def ports(self) -> list[int]:
        return [h.port for h in self.handles]

    def endpoints(
        self, user: str = "radmin", password: str = "radmin"
    ) -> list[tuple[str, int, str, str]]:
        return [(self.host, h.port, user, password) for h in self.handles]

    def same_second_conflict(
        self, sql_a: str, sql_b: str, load: str, a: int = 1, b: int = 2
    ) -> None:
        """Apply `sql_a` + `load` on node a and `sql_b` + `load` on node b in one wall-clock second.

        Epochs are whole seconds, so the two runtime versions get equal epochs with different
        checksums: ProxySQL never converges them until someone LOADs again.
        """
        while (time.time() - EPOCH_CLOCK_LAG_S) % 1 > 0.6:  # by the clock epochs are read from
            time.sleep(0.05)
        self.node(a).execute(sql_a)
        self.node(a).execute(load)
        self.node(b).execute(sql_b)
        self.node(b).execute(load)


def _wait_port(host: str, port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)
