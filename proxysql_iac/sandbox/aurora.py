"""AWS Aurora auto-discovery, as ProxySQL 2.7.1's Monitor does it, against a declared fake cluster.

There is no Aurora here: a test *declares* what `INFORMATION_SCHEMA.REPLICA_HOST_STATUS` would
report (a writer and readers by SERVER_ID, replica lag per reader) with `AuroraControl`
(`sb.aurora`, or `sb.node(k).aurora` for one node only). Each node's `AuroraMonitor` then plays
the part of that node's Monitor thread for every active `runtime_mysql_aws_aurora_hostgroups`
row: one check right after every `LOAD MYSQL SERVERS TO RUNTIME` (and at boot, and after a
cluster pull), then one every `check_interval_ms`; `AuroraControl` can also run a check at once.

What a check does (measured on a real 2.7.1 against a fake Aurora cluster, see docs/rules.md,
and read in 2.7.1's MySQL_HostGroups_Manager):

* hostname = SERVER_ID + domain_name, port = aurora_port;
* the writer (SESSION_ID = 'MASTER_SESSION_ID') not yet ONLINE in the writer hostgroup:
  - unknown host: created in the writer hostgroup with weight / max_connections / use_ssl from
    that hostgroup's `servers_defaults`, else 1 / 1000 / 0, comment ''; with
    writer_is_also_reader=1 also in the reader hostgroup with weight new_reader_weight, **unless
    the reader hostgroup does not exist yet in this process** (2.7.1 bug: `find_server_in_hg()`
    falls through to the last hostgroup, where the writer was just added);
  - known host (a failover): its row is moved into the writer hostgroup as it is (so it keeps
    new_reader_weight), every ONLINE row of the writer hostgroup (the seed / cluster endpoint
    included) is copied into the reader hostgroup with weight new_reader_weight, and the writer
    is copied into the reader hostgroup when writer_is_also_reader=1;
  - a row `(writer_hostgroup, SERVER_ID, time)` goes to `monitor.mysql_server_aws_aurora_failovers`;
* a reader not in the reader hostgroup is created there (weight new_reader_weight) or moved there;
* lag estimate = max over the last lag_num_checks checks of max(lag + add_lag_ms, min_lag_ms)
  (zero lags skipped); above max_lag_ms the host's rows go SHUNNED, back ONLINE when it drops.

Discovered rows exist only at runtime (memory `mysql_servers` is never touched); a check that
changes runtime content bumps the `mysql_servers` checksum row (version, epoch), as a Monitor
commit does. Hostgroups "exist" once they had a server or a `mysql_hostgroup_attributes` row
since the node started (ProxySQL never deletes a hostgroup object), which is why a later LOAD
adds the writer to the reader hostgroup.
"""

import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .node import SandboxNode

Row = tuple[Any, ...]
MASTER = "MASTER_SESSION_ID"
# runtime mysql_servers columns
HG, HOST, PORT, GTID, STATUS, WEIGHT, COMPRESSION, MAXCONN, MAXLAG, SSL, MAXLAT, COMMENT = range(12)
LOG_CHECKS = 16  # checks kept per writer hostgroup in mysql_server_aws_aurora_log (N_L_ASE)


@dataclass(frozen=True)
class ReplicaStatus:
    """One row of the discovery query's answer."""

    server_id: str
    session_id: str
    lag_ms: float
    cpu: float = 1.0


class AuroraCluster:
    """A fake Aurora cluster: what `INFORMATION_SCHEMA.REPLICA_HOST_STATUS` reports."""

    def __init__(
        self,
        writer: str,
        readers: Iterable[str] = (),
        lag_ms: Mapping[str, float] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.writer = writer
        self.readers = [r for r in dict.fromkeys(readers) if r != writer]
        self.lag_ms: dict[str, float] = {}
        for sid, ms in (lag_ms or {}).items():
            self._check_known(sid)
            self.lag_ms[sid] = float(ms)

    @property
    def instances(self) -> list[str]:
        return [self.writer, *self.readers]

    def _check_known(self, server_id: str) -> None:
        if server_id not in self.instances:
            raise KeyError(f"{server_id!r} is not an instance of this cluster: {self.instances}")

    def failover(self, new_writer: str) -> None:
        """`new_writer` becomes the writer at once; the old writer reports as a reader."""
        with self._lock:
            if new_writer == self.writer:
                return
            old = self.writer
            readers = [r for r in self.readers if r != new_writer]
            self.writer = new_writer
            self.readers = [*readers, old]

    def set_lag(self, server_id: str, ms: float | None) -> None:
        """Replica lag a reader reports (None or 0: none)."""
        with self._lock:
            self._check_known(server_id)
            if ms:
                self.lag_ms[server_id] = float(ms)
            else:
                self.lag_ms.pop(server_id, None)

    def add_reader(self, server_id: str, lag_ms: float | None = None) -> None:
        with self._lock:
            if server_id not in self.instances:
                self.readers.append(server_id)
            if lag_ms:
                self.lag_ms[server_id] = float(lag_ms)

    def remove(self, server_id: str) -> None:
        """The instance stops reporting (as after 180 s without LAST_UPDATE_TIMESTAMP)."""
        with self._lock:
            if server_id == self.writer:
                raise ValueError("fail over before removing the writer")
            self.readers = [r for r in self.readers if r != server_id]
            self.lag_ms.pop(server_id, None)

    def report(self) -> list[ReplicaStatus]:
        """The discovery query's rows: ORDER BY SERVER_ID, lag 0 for the master, lag filter."""
        with self._lock:
            rows = [ReplicaStatus(self.writer, MASTER, 0.0)]
            for sid in self.readers:
                lag = self.lag_ms.get(sid, 0.0)
                if 0 <= lag <= 600000:
                    session = str(uuid.uuid5(uuid.NAMESPACE_URL, "aurora:" + sid))
                    rows.append(ReplicaStatus(sid, session, lag))
        return sorted(rows, key=lambda r: r.server_id)


Resolver = Callable[[int], AuroraCluster | None]


class Topologies:
    """Declared clusters by writer hostgroup; key None applies to every Aurora hostgroup row."""

    def __init__(self, fallback: "Topologies | None" = None) -> None:
        self.by_hg: dict[int | None, AuroraCluster] = {}
        self.fallback = fallback

    def resolve(self, writer_hostgroup: int) -> AuroraCluster | None:
        for key in (writer_hostgroup, None):
            if key in self.by_hg:
                return self.by_hg[key]
        return self.fallback.resolve(writer_hostgroup) if self.fallback else None

    def find(self, writer_hostgroup: int | None) -> AuroraCluster:
        if writer_hostgroup in self.by_hg:
            return self.by_hg[writer_hostgroup]
        if writer_hostgroup is None and len(self.by_hg) == 1:
            return next(iter(self.by_hg.values()))
        if writer_hostgroup is not None and None in self.by_hg:
            return self.by_hg[None]
        if self.fallback is not None:
            return self.fallback.find(writer_hostgroup)
        raise KeyError("no Aurora cluster declared" + _for(writer_hostgroup))


def _for(writer_hostgroup: int | None) -> str:
    return "" if writer_hostgroup is None else f" for writer hostgroup {writer_hostgroup}"


class AuroraControl:
    """The test-facing API: `sb.aurora` (every node) or `sb.node(k).aurora` (that node only).

    Every ProxySQL node runs its own Monitor, so with `sb.aurora` each node discovers the same
    cluster independently; `sb.node(k).aurora.declare(...)` gives node k a view of its own.
    With `check=True` (the default) every affected running node runs one Aurora check at once
    (as if `check_interval_ms` had just elapsed); with `check=False` the change is seen at each
    node's next periodic check.
    """

    def __init__(self, topologies: Topologies, run_checks: Callable[[], None]) -> None:
        self.topologies = topologies
        self._run_checks = run_checks

    def declare(
        self,
        writer: str,
        readers: Iterable[str] = (),
        lag_ms: Mapping[str, float] | None = None,
        *,
        writer_hostgroup: int | None = None,
        check: bool = True,
    ) -> AuroraCluster:
        """Declare the cluster behind `writer_hostgroup`'s Aurora row (None: every row)."""
        cluster = AuroraCluster(writer, readers, lag_ms)
        self.topologies.by_hg[writer_hostgroup] = cluster
        if check:
            self.check()
        return cluster

    def undeclare(self, writer_hostgroup: int | None = None) -> None:
        self.topologies.by_hg.pop(writer_hostgroup, None)

    def cluster(self, writer_hostgroup: int | None = None) -> AuroraCluster:
        return self.topologies.find(writer_hostgroup)

    def failover(
        self, new_writer: str, *, writer_hostgroup: int | None = None, check: bool = True
    ) -> None:
        """Promote `new_writer`; the old writer becomes a reader."""
        self.cluster(writer_hostgroup).failover(new_writer)
        if check:
            self.check()

    def set_lag(
        self,
        server_id: str,
        ms: float | None,
        *,
        writer_hostgroup: int | None = None,
        check: bool = True,
    ) -> None:
        """Make a reader report `ms` of replica lag (None or 0 clears it)."""
        self.cluster(writer_hostgroup).set_lag(server_id, ms)
        if check:
            self.check()

    def check(self) -> None:
        """Run one Aurora check now on every affected running node."""
        self._run_checks()


def servers_defaults(node: "SandboxNode", hostgroup: int) -> dict[str, int]:
    """The parsed `servers_defaults` of a hostgroup at runtime (invalid keys ignored)."""
    from .node import atoi

    for r in node.runtime.get("mysql_hostgroup_attributes", []):
        if atoi(r[0]) != hostgroup:
            continue
        try:
            data = json.loads(r[10]) if r[10] else {}
        except (TypeError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        out: dict[str, int] = {}
        for key in ("weight", "max_connections", "use_ssl"):
            v = data.get(key)
            if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                if key == "use_ssl" and v not in (0, 1):
                    continue
                out[key] = v
        return out
    return {}


@dataclass
class _Row:
    """A runtime_mysql_aws_aurora_hostgroups row, typed."""

    writer: int
    reader: int
    active: int
    port: int
    domain: str
    max_lag_ms: int
    interval_ms: int
    timeout_ms: int
    writer_is_also_reader: int
    new_reader_weight: int
    add_lag_ms: int
    min_lag_ms: int
    lag_num_checks: int

    @classmethod
    def of(cls, r: Row) -> "_Row":
        n = [int(x) if i != 4 else 0 for i, x in enumerate(r[:13])]
        return cls(n[0], n[1], n[2], n[3], str(r[4]), *n[5:13])


class AuroraMonitor:
    """One node's Aurora Monitor state (a fresh one at every node start)."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve
        self.hostgroups: list[int] = []  # every hostgroup that existed, in creation order
        self.lag_shunned: set[tuple[int, str, int]] = set()
        # per writer hostgroup, the answers of the last checks (newest first): lasts_ase
        self.history: dict[int, deque[dict[str, float]]] = {}
        self.next_due: dict[int, float] = {}
        self.failovers: list[Row] = []
        self.check_status: dict[tuple[int, str, int], list[Any]] = {}
        self.log: dict[int, deque[list[Row]]] = {}
        self._signature: tuple[Any, ...] | None = None
        self._rr = 0

    # ------------------------------------------------------------ entry points
    def rows(self, node: "SandboxNode") -> list[_Row]:
        """Active Aurora rows at runtime (none while mysql-monitor_enabled is false)."""
        if not node.var_bool("mysql-monitor_enabled"):
            return []
        return [
            row
            for row in (_Row.of(r) for r in node.runtime.get("mysql_aws_aurora_hostgroups", []))
            if row.active == 1
        ]

    def forget_checks(self) -> None:
        """No Aurora thread runs any more (rows gone or Monitor off): their history is lost."""
        self._signature = None
        self.history.clear()
        self.next_due.clear()

    def after_load(self, node: "SandboxNode") -> None:
        """Right after memory -> runtime (LOAD, boot, cluster pull)."""
        # a server shunned for lag stays so when the LOAD brings it as ONLINE
        servers = list(node.runtime.get("mysql_servers", []))
        kept: set[tuple[int, str, int]] = set()
        for i, s in enumerate(servers):
            if _key(s) in self.lag_shunned and s[STATUS] == "ONLINE":
                servers[i] = _with(s, STATUS, "SHUNNED")
                kept.add(_key(s))
        node.runtime["mysql_servers"] = servers
        self.lag_shunned = kept
        self.note_hostgroups(node)
        self.run(node)

    def tick(self, node: "SandboxNode") -> float:
        """Run the checks that are due; returns seconds until the next one (capped)."""
        self.run(node)
        now = time.monotonic()
        wait = 0.25
        for row in self.rows(node):
            wait = min(wait, self.next_due.get(row.writer, now) - now)
        return max(0.01, wait)

    def run(self, node: "SandboxNode", force: bool = False) -> None:
        """Checks that are due (all with `force`), as the Monitor threads would run them.

        When the set of monitored hosts changes (a LOAD, a discovered instance), ProxySQL
        restarts the Aurora threads: their check history is lost and each checks at once.
        """
        for _ in range(5):
            signature = self._hosts_signature(node)
            if signature != self._signature:
                self._signature = signature
                self.history.clear()
                self.next_due.clear()
            now = time.monotonic()
            for row in self.rows(node):
                if force or self.next_due.get(row.writer, 0.0) <= now:
                    self.check(node, row)
                    self.next_due[row.writer] = now + row.interval_ms / 1000.0
            force = False
            if self._hosts_signature(node) == self._signature:
                return

    def _hosts_signature(self, node: "SandboxNode") -> tuple[Any, ...]:
        """`SELECT_AWS_AURORA_SERVERS_FOR_MONITOR`: what the Aurora threads are built from."""
        out: list[Any] = []
        servers: list[Row] = node.runtime.get("mysql_servers", [])
        for row in self.rows(node):
            hosts: dict[tuple[str, int], int] = {}
            for s in servers:
                if s[HG] in (row.writer, row.reader) and s[STATUS] != "OFFLINE_SOFT":
                    k = (str(s[HOST]), int(s[PORT]))
                    hosts[k] = max(hosts.get(k, 0), int(s[SSL]))
            out.append((row, tuple(sorted(hosts.items()))))
        return tuple(out)

    # ------------------------------------------------------------ one check
    def check(self, node: "SandboxNode", row: _Row) -> None:
        """One `monitor_AWS_Aurora_thread_HG` cycle, then `evaluate_aws_aurora_results`."""
        cluster = self.resolve(row.writer)
        if cluster is None:
            return
        servers: list[Row] = node.runtime.get("mysql_servers", [])
        hosts = sorted(
            {
                (str(s[HOST]), int(s[PORT]))
                for s in servers
                if s[HG] in (row.writer, row.reader) and s[STATUS] != "OFFLINE_SOFT"
            }
        )
        if not hosts:
            return
        host = hosts[self._rr % len(hosts)]
        self._rr += 1
        t0 = time.time()
        report = cluster.report()
        hist = self.history.setdefault(row.writer, deque(maxlen=16))
        hist.appendleft({r.server_id: r.lag_ms for r in report})
        self._record(row, host, t0, report)
        entries = list(hist)
        for status in report:
            sid = status.server_id
            enable = self._estimate(entries, 0, sid, row) <= row.max_lag_ms
            is_writer = status.session_id == MASTER
            run_action = True
            if len(entries) > 1 and sid in entries[1]:
                # same lag state as at the previous check: no action (writers are checked anyway)
                prev_enable = self._estimate(entries, 1, sid, row) <= row.max_lag_ms
                run_action = prev_enable != enable
            found = True
            if run_action or is_writer:
                found = self._lag_action(node, row, sid + row.domain, enable, is_writer)
            if not found:
                if is_writer:
                    self._set_writer(node, row, sid + row.domain)
                    self.failovers.append((row.writer, sid, time.strftime("%Y-%m-%d %H:%M:%S")))
                else:
                    self._set_reader(node, row, sid + row.domain)

    @staticmethod
    def _estimate(entries: Sequence[dict[str, float]], start: int, sid: str, row: _Row) -> int:
        """`estimate_lag`: max of max(lag + add_lag_ms, min_lag_ms) over lag_num_checks checks."""
        lag = 0
        for entry in entries[start : start + row.lag_num_checks]:
            reported = int(entry.get(sid, 0))
            if reported != 0:
                lag = max(lag, reported + row.add_lag_ms, row.min_lag_ms)
        return lag

    def _order(self, row: _Row) -> list[int]:
        """The writer and reader hostgroups in the order ProxySQL keeps its hostgroups."""
        known = [hg for hg in self.hostgroups if hg in (row.writer, row.reader)]
        return known + [hg for hg in (row.writer, row.reader) if hg not in known]

    def _lag_action(
        self, node: "SandboxNode", row: _Row, address: str, enable: bool, is_writer: bool
    ) -> bool:
        """`aws_aurora_replication_lag_action`: (un)shun; False when the host is misplaced."""
        servers = list(node.runtime.get("mysql_servers", []))
        ret = reader_in_writer_hg = False
        for hg in self._order(row):
            for i, s in enumerate(servers):
                if s[HG] != hg or s[HOST] != address or s[PORT] != row.port:
                    continue
                key = _key(s)
                if not enable and s[STATUS] == "ONLINE":
                    servers[i] = _with(s, STATUS, "SHUNNED")
                    self.lag_shunned.add(key)
                elif enable and key in self.lag_shunned:
                    servers[i] = _with(s, STATUS, "ONLINE")
                    self.lag_shunned.discard(key)
                if servers[i][STATUS] != "ONLINE" and key not in self.lag_shunned:
                    continue
                if ret:
                    if hg == row.writer and not is_writer:
                        ret, reader_in_writer_hg = False, True
                elif hg == (row.writer if is_writer else row.reader):
                    ret = True
        node.runtime["mysql_servers"] = servers
        return ret and not reader_in_writer_hg

    def _find(self, servers: Sequence[Row], hostgroup: int, address: str, port: int) -> bool:
        """`find_server_in_hg`: a hostgroup that does not exist falls through to the last one."""
        target = hostgroup
        if hostgroup not in self.hostgroups and self.hostgroups:
            target = self.hostgroups[-1]
        return any(s[HG] == target and s[HOST] == address and s[PORT] == port for s in servers)

    def _create(
        self,
        node: "SandboxNode",
        servers: list[Row],
        hostgroup: int,
        address: str,
        port: int,
        weight: int | None = None,
    ) -> bool:
        """`create_new_server_in_hg`: weight etc. -1 -> servers_defaults, else 1/1000/0."""
        if self._find(servers, hostgroup, address, port):
            return False
        defaults = servers_defaults(node, hostgroup)
        servers.append(
            (
                hostgroup,
                address,
                port,
                0,
                "ONLINE",
                defaults.get("weight", 1) if weight is None else weight,
                0,
                defaults.get("max_connections", 1000),
                0,
                defaults.get("use_ssl", 0),
                0,
                "",
            )
        )
        self._created(hostgroup)
        return True

    def _set_writer(self, node: "SandboxNode", row: _Row, address: str) -> None:
        """`update_aws_aurora_set_writer`."""
        servers: list[Row] = list(node.runtime.get("mysql_servers", []))
        w, r, port = row.writer, row.reader, row.port

        def match(s: Row) -> bool:
            return bool(s[HOST] == address and s[PORT] == port)

        mine = [s for s in servers if s[HG] in (w, r) and match(s)]
        if not mine:
            # a new instance: created in the writer hostgroup; old writers stay where they are
            created = self._create(node, servers, w, address, port)
            if row.writer_is_also_reader:
                # 2.7.1 bug: with no reader hostgroup yet, this finds the writer just created
                created |= self._create(node, servers, r, address, port, row.new_reader_weight)
            if created:
                self._commit(node, servers)
            return
        found_writer = any(s[HG] == w for s in mine)
        found_reader = any(s[HG] == r for s in mine)
        if found_writer and bool(row.writer_is_also_reader) == found_reader:
            return
        # a failover: the mysql_servers_incoming statements
        incoming = [s for s in servers if s[HG] == r]
        incoming += [s for s in servers if s[HG] == w and match(s)]
        keys = {_key(s) for s in incoming}
        for i, s in enumerate(incoming):  # UPDATE OR IGNORE ... SET hostgroup_id=<writer>
            if match(s) and s[HG] != w and (w, address, port) not in keys:
                keys.discard(_key(s))
                incoming[i] = _with(s, HG, w)
                keys.add(_key(incoming[i]))
        incoming = [s for s in incoming if not (match(s) and s[HG] != w)]
        incoming = [_with(s, STATUS, "ONLINE") if match(s) else s for s in incoming]
        keys = {_key(s) for s in incoming}
        for s in servers:  # every ONLINE writer (a seed too) -> reader hostgroup
            if s[HG] == w and s[STATUS] == "ONLINE" and (r, s[HOST], s[PORT]) not in keys:
                moved = _with(_with(s, HG, r), WEIGHT, row.new_reader_weight)
                incoming.append(moved)
                keys.add(_key(moved))
        if row.writer_is_also_reader:
            for s in list(incoming):
                if s[HG] == w and match(s) and (r, address, port) not in keys:
                    incoming.append(_with(s, HG, r))
                    keys.add((r, address, port))
            incoming = [
                _with(s, WEIGHT, row.new_reader_weight) if s[HG] == r and match(s) else s
                for s in incoming
            ]
        if _aurora_part(incoming, row) != _aurora_part(servers, row):
            self._created(w)
            self._created(r)
            self._commit(node, [s for s in servers if s[HG] not in (w, r)] + incoming)

    def _set_reader(self, node: "SandboxNode", row: _Row, address: str) -> None:
        """`update_aws_aurora_set_reader`."""
        servers: list[Row] = list(node.runtime.get("mysql_servers", []))
        w, r, port = row.writer, row.reader, row.port

        def match(s: Row) -> bool:
            return bool(s[HOST] == address and s[PORT] == port)

        if not any(s[HG] in (w, r) and match(s) for s in servers):
            if self._create(node, servers, r, address, port, row.new_reader_weight):
                self._commit(node, servers)
            return
        keys = {_key(s) for s in servers}
        for i, s in enumerate(servers):  # UPDATE OR IGNORE ... SET hostgroup_id=<reader>
            if match(s) and s[HG] == w and (r, address, port) not in keys:
                keys.discard(_key(s))
                servers[i] = _with(s, HG, r)
                keys.add(_key(servers[i]))
        servers = [s for s in servers if not (match(s) and s[HG] == w)]
        servers = [_with(s, STATUS, "ONLINE") if match(s) and s[HG] == r else s for s in servers]
        self.lag_shunned.discard((r, address, port))
        self._created(r)
        self._commit(node, servers)

    def _commit(self, node: "SandboxNode", servers: list[Row]) -> None:
        servers = sorted(servers, key=lambda s: (s[HG], str(s[HOST]), s[PORT]))
        node.runtime["mysql_servers"] = servers
        self.lag_shunned &= {_key(s) for s in servers if s[STATUS] == "SHUNNED"}

    # ------------------------------------------------------------ hostgroups
    def note_hostgroups(self, node: "SandboxNode") -> None:
        """Hostgroups the HostGroups Manager creates at LOAD: servers', then attributes'."""
        from .node import atoi

        seen = sorted({int(s[HG]) for s in node.runtime.get("mysql_servers", [])})
        seen += sorted(
            {atoi(a[0]) for a in node.runtime.get("mysql_hostgroup_attributes", [])} - set(seen)
        )
        for hg in seen:
            self._created(hg)

    def _created(self, hostgroup: int) -> None:
        if hostgroup not in self.hostgroups:
            self.hostgroups.append(hostgroup)

    # ------------------------------------------------------------ monitor tables
    def _record(
        self, row: _Row, host: tuple[str, int], t0: float, report: Sequence[ReplicaStatus]
    ) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0))
        st = self.check_status.setdefault((row.writer, *host), [stamp, 0, 0, None])
        st[0] = stamp
        st[1] += 1
        st[2] += 1
        start_us = int(t0 * 1_000_000)
        entries = list(self.history.get(row.writer, ()))
        lut = f"{stamp}.{start_us % 10**6:06d}"
        rows: list[Row] = []
        for r in report:
            est = self._estimate(entries, 0, r.server_id, row)
            rows.append(
                (host[0], host[1], start_us, 650, None, r.server_id, r.session_id, lut,
                 r.lag_ms, est, r.cpu)
            )  # fmt: skip
        self.log.setdefault(row.writer, deque(maxlen=LOG_CHECKS)).append(rows)

    def monitor_rows(self) -> dict[str, list[Row]]:
        """Contents of the three `monitor.mysql_server_aws_aurora_*` tables."""
        log = [e for checks in self.log.values() for entries in checks for e in entries]
        status = [(w, h, p, *v) for (w, h, p), v in sorted(self.check_status.items())]
        return {
            "mysql_server_aws_aurora_log": log,
            "mysql_server_aws_aurora_check_status": status,
            "mysql_server_aws_aurora_failovers": list(self.failovers),
        }


def _with(row: Row, index: int, value: Any) -> Row:
    return (*row[:index], value, *row[index + 1 :])


def _key(row: Row) -> tuple[int, str, int]:
    return (int(row[HG]), str(row[HOST]), int(row[PORT]))


def _aurora_part(servers: Sequence[Row], row: _Row) -> list[Row]:
    return sorted(
        (s for s in servers if s[HG] in (row.writer, row.reader)),
        key=lambda s: (s[HG], str(s[HOST]), s[PORT]),
    )
