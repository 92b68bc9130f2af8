"""What a test that writes to a node itself must do, on the sandbox and on a real ProxySQL:
LOAD in a wall-clock second of its own (equal epochs split a cluster for good), and wait
for the peers by reading their checksums, never by sleeping a fixed time."""

import time

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_checksums, read_precise_clock, read_variables
from proxysql_iac.admin.sql import raw_query
from proxysql_iac.apply.executor import EPOCH_CLOCK_SLACK_S
from proxysql_iac.plan.health import cluster_can_sync
from proxysql_iac.spec.tables import MODULE_BY_KEYWORD

# Generous: a loaded CI machine may take many check intervals to pull.
PEER_DEADLINE_S = 60.0
# Checksums the Monitor may move on its own, or that hold runtime state, not configuration.
NOT_COMPARED = {"mysql_servers"}


def past(conn: AdminConnection, second: int) -> None:
    """Wait until a LOAD on the node would be stamped with a later second than `second`: the
    node stamps epochs with a clock that lags the one queries read (EPOCH_CLOCK_SLACK_S)."""
    while read_precise_clock(conn) < second + 1 + EPOCH_CLOCK_SLACK_S:
        time.sleep(0.05)


def load(conn: AdminConnection, module: str, *, save: bool = False) -> None:
    """LOAD `module` once the node's clock is past the module's last epoch."""
    names = set(MODULE_BY_KEYWORD[module].checksum_names) if module in MODULE_BY_KEYWORD else set()
    sums = [s for n, s in read_checksums(conn).items() if n in names]
    if any(s.version > 1 for s in sums):
        past(conn, max(s.epoch for s in sums))
    conn.execute(raw_query(f"LOAD {module} TO RUNTIME", "test load"))
    if save:
        conn.execute(raw_query(f"SAVE {module} TO DISK", "test save"))


def new_second(conn: AdminConnection) -> None:
    """Wait until the node's clock is past every module's epoch (for tests whose own
    statements must land in a second of their own, such as a deliberate same-second split)."""
    sums = read_checksums(conn).values()
    past(conn, max((s.epoch for s in sums if s.version > 1), default=0))


MODULE_OF = {
    name: module.keyword for module in MODULE_BY_KEYWORD.values() for name in module.checksum_names
}


def wait_for_peers(
    primary: AdminConnection, peers: list[AdminConnection], *, only: set[str] | None = None
) -> None:
    """Return once every peer shows the primary's configuration checksums (of `only`, which
    may name a checksum left out by default, such as the runtime `mysql_servers`).

    A peer at the primary's epoch with another checksum is a same-second split, which
    ProxySQL never resolves: the module is LOADed again on the primary in a new second, as
    pxc itself heals it, so that a test starts from a cluster in sync whatever came before."""
    deadline = time.monotonic() + PEER_DEADLINE_S
    healed: set[str] = set()
    # modules this build's Cluster does not sync (the pgsql ones on 3.0.1) are never pulled
    variables = read_variables(primary, "global_variables")
    unsynced = {n for n, m in MODULE_OF.items() if not cluster_can_sync(m, variables)}
    while True:
        mine = {
            n: s
            for n, s in read_checksums(primary).items()
            if n not in unsynced and (n in only if only is not None else n not in NOT_COMPARED)
        }
        lagging = []
        for peer in peers:
            have = read_checksums(peer)
            for n, s in mine.items():
                if n not in have or have[n].checksum == s.checksum:
                    continue
                lagging.append(f"{peer.endpoint.name} {n}: {have[n]} vs the primary's {s}")
                module = MODULE_OF.get(n)
                if have[n].epoch == s.epoch and module is not None and module not in healed:
                    healed.add(module)
                    load(primary, module)
        if not lagging:
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"peers did not converge within {PEER_DEADLINE_S:.0f}s: " + "; ".join(lagging)
            )
        time.sleep(0.05)
