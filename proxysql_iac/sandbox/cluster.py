"""ProxySQL Cluster emulation: each node polls the peers of its runtime proxysql_servers.

Rules (ProxySQL 2.7.1's ProxySQL_Cluster.cpp): per module and per peer, diff_check counts
consecutive checks in which the peer's checksum differs from ours (reset to 0 when equal). A
module is pulled when
(a) the peer's version > 1, (b) our version == 1 or the peer's epoch > ours, and (c) diff_check
>= cluster_<module>_diffs_before_sync > 0. Among qualifying peers the highest epoch wins; if a
peer with a higher epoch has not reached the threshold yet, nothing is pulled this round.
Equal epochs with different checksums never sync. Scheduler, restapi and firewall have no
checksum row and are never synced; neither are the PostgreSQL modules of 3.0.1 (they have
checksum rows, but peers neither track nor pull them).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from .node import Checksum, SandboxNode

SYNCED = {
    "mysql_query_rules": "admin-cluster_mysql_query_rules_diffs_before_sync",
    "mysql_servers": "admin-cluster_mysql_servers_diffs_before_sync",
    "mysql_servers_v2": "admin-cluster_mysql_servers_diffs_before_sync",
    "mysql_users": "admin-cluster_mysql_users_diffs_before_sync",
    "proxysql_servers": "admin-cluster_proxysql_servers_diffs_before_sync",
    "admin_variables": "admin-cluster_admin_variables_diffs_before_sync",
    "mysql_variables": "admin-cluster_mysql_variables_diffs_before_sync",
}


@dataclass
class PeerModule:
    version: int = 0
    epoch: int = 0
    checksum: str = ""
    changed_at: int = 0
    updated_at: int = 0
    diff_check: int = 0


class ClusterMonitor:
    """The polling state of one node (what ProxySQL keeps per monitor thread)."""

    def __init__(
        self, node: SandboxNode, resolve: Callable[[str, int], SandboxNode | None]
    ) -> None:
        self.node = node
        self.resolve = resolve
        self.peers: dict[tuple[str, int], dict[str, PeerModule]] = {}
        self.pulls: list[tuple[float, str, tuple[str, int]]] = []

    def interval_s(self) -> float:
        return max(10, self.node.var_int("admin-cluster_check_interval_ms", 1000)) / 1000.0

    def check_once(self) -> None:
        node = self.node
        if node.frozen or node.db is None or not node.var("admin-cluster_username"):
            return
        now = int(time.time())
        listed = [(str(r[0]), int(r[1])) for r in node.runtime.get("proxysql_servers", [])]
        self.peers = {k: v for k, v in self.peers.items() if k in listed}
        views: dict[tuple[str, int], dict[str, Checksum]] = {}
        for key in listed:
            peer = self.resolve(*key)
            if peer is None or peer.db is None:
                continue
            with peer.lock:
                if peer.db is None:
                    continue
                theirs = {
                    k: Checksum(v.version, v.epoch, v.checksum) for k, v in peer.checksums.items()
                }
            views[key] = theirs
            state = self.peers.setdefault(key, {})
            for name, ck in theirs.items():
                if name not in SYNCED:
                    continue  # ProxySQL 3.0.1 tracks (and syncs) no PostgreSQL module
                pm = state.setdefault(name, PeerModule())
                if ck.checksum != pm.checksum:
                    pm.changed_at = now
                pm.version, pm.epoch, pm.checksum, pm.updated_at = (
                    ck.version,
                    ck.epoch,
                    ck.checksum,
                    now,
                )
                mine = node.checksums.get(name)
                if mine is not None and mine.checksum == ck.checksum:
                    pm.diff_check = 0
                else:
                    pm.diff_check += 1
        self._publish_stats()
        for module in (
            "mysql_query_rules",
            "mysql_servers_v2",
            "mysql_users",
            "proxysql_servers",
            "admin_variables",
            "mysql_variables",
        ):
            self._decide(module, views)

    def _decide(self, module: str, views: dict[tuple[str, int], dict[str, Checksum]]) -> None:
        node = self.node
        threshold = node.var_int(SYNCED[module], 3)
        if threshold <= 0:
            return
        names = [module]
        if module == "mysql_servers_v2":
            algorithm = node.var_int("admin-cluster_mysql_servers_sync_algorithm", 1)
            names = ["mysql_servers_v2", "mysql_servers"] if algorithm in (1, 3) else [module]
        best: tuple[int, tuple[str, int], str] | None = None
        blocked = False
        for name in names:
            mine = node.checksums.get(name)
            if mine is None:
                continue
            for key, state in self.peers.items():
                pm = state.get(name)
                if pm is None or key not in views or pm.checksum == mine.checksum:
                    continue
                if pm.version <= 1:
                    continue
                if not (mine.version == 1 or pm.epoch > mine.epoch):
                    continue
                if pm.diff_check < threshold:
                    blocked = True
                    continue
                if best is None or pm.epoch > best[0]:
                    best = (pm.epoch, key, name)
        if best is None or blocked:
            return
        epoch, key, name = best
        peer = self.resolve(*key)
        if peer is None or peer.db is None:
            return
        data = peer.module_rows_for_peer(name)
        if node.var_int("admin-cluster_mysql_servers_sync_algorithm", 1) == 2:
            data.pop("runtime_mysql_servers", None)  # algorithm 2: mysql_servers_v2 only
        with peer.lock:
            peer_ck = peer.checksums[name].checksum
        node.apply_pull(name, data, epoch, peer_ck)
        self.pulls.append((time.time(), name, key))
        for state in self.peers.values():
            for n in names:
                if n in state:
                    state[n].diff_check = 0

    def _publish_stats(self) -> None:
        rows = []
        for (host, port), state in sorted(self.peers.items()):
            for name, pm in sorted(state.items()):
                rows.append(
                    (
                        host,
                        port,
                        name,
                        pm.version,
                        pm.epoch,
                        pm.checksum,
                        pm.changed_at,
                        pm.updated_at,
                        pm.diff_check,
                    )
                )
        self.node.stats_checksum_rows(rows)
