"""`pxc status`: the cluster at a glance, cheap enough to run every minute. Never writes.

For every node: its modules' version, epoch and checksum against the primary's; whether its
memory was loaded to runtime and saved to disk (for the tables and variables the spec
manages); its runtime servers that memory does not have, and those not ONLINE. For the
primary: the spec diffed against its memory exactly as `pxc plan` does, and plan's
cluster findings.

Reading is planning's: the primary's memory with `read_live`, the diff with `plan.diff`, the
findings with `plan.health`, the meaning of "unloaded" and "unsaved" with `plan.layers`. Only
memory vs runtime and memory vs disk are compared on the node itself (`EXCEPT` over the same
projections `plan.layers` uses, `node_differences` below), so that 50,000 users cost two
small result sets instead of 300,000 rows per node over the wire.
"""

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from proxysql_iac.admin.connection import AdminConnection, Endpoint, Row
from proxysql_iac.admin.layers import CAP, read_layer_differences
from proxysql_iac.admin.live import (
    Live,
    ModuleChecksum,
    read_checksums,
    read_clock,
    read_live,
    read_memory,
    read_tables,
    read_variables,
    read_version,
)
from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.errors import ExitCode, PxcError
from proxysql_iac.findings import Finding, Severity
from proxysql_iac.plan.diff import ChangeSet, diff
from proxysql_iac.plan.health import (
    MODULE_OF_CHECKSUM,
    aurora_tls_findings,
    cluster_can_sync,
    cluster_findings,
    cluster_syncs,
    compared_checksums,
    propagation_deadline,
)
from proxysql_iac.plan.layers import (
    kept_from_runtime,
    runtime_only_rows,
    variables_unloaded,
    variables_unsaved,
)
from proxysql_iac.plan.model import PeerState, change_summary
from proxysql_iac.plan.render import row_lines, variable_line
from proxysql_iac.planning import (
    Reach,
    Target,
    background,
    managed_tables,
    read_while_validating,
)
from proxysql_iac.spec.compile import Desired
from proxysql_iac.spec.tables import MODULE_BY_KEYWORD, TABLE_BY_NAME, Table, variable_module

FORMAT_VERSION = 1
EXAMPLES = 3  # example rows shown per difference
SERVERS = TABLE_BY_NAME["mysql_servers"]
# Cluster findings (plan/health.py): shown as plan shows them; the verdict comes from the
# checksums themselves (with the propagation grace), except a different build, which never syncs.
CLUSTER_CODES = frozenset({"PXC100", "PXC102", "PXC103", "PXC104", "PXC105"})
NEVER_SYNCS = "PXC105"


_SETTLING = ("syncing", "ahead")


class Verdict(StrEnum):
    IN_SYNC = "in_sync"
    DRIFT = "drift"
    DIVERGED = "diverged"
    ERROR = "error"


EXIT_CODES = {
    Verdict.IN_SYNC: ExitCode.OK,
    Verdict.DRIFT: ExitCode.CHANGES,
    Verdict.DIVERGED: ExitCode.NOT_CONVERGED,
    Verdict.ERROR: ExitCode.ERROR,
}


@dataclass(frozen=True)
class ModuleState:
    name: str  # as in runtime_checksums_values
    module: str  # the LOAD/SAVE module ("" when pxc does not know the name)
    version: int
    epoch: int
    checksum: str
    changed_s: int  # the node's clock minus the epoch
    matches_primary: bool | None  # None on the primary itself
    state: str  # primary | in sync | syncing (behind a recent LOAD) | diverged | not on primary
    # | own Monitor state | UNSYNCED_DIFFERS


UNSYNCED_DIFFERS = "differs (not synced by Cluster)"


@dataclass(frozen=True)
class LayerDifference:
    """Memory vs runtime ("unloaded") or memory vs disk ("unsaved") of one table, by key."""

    table: str  # or global_variables
    changed: int  # keys in both, with other values
    memory_only: int  # keys only memory has (as LOAD would make them)
    layer_only: int  # keys only the layer has
    examples: list[str]  # ~key changed, +key only in memory, -key only in the layer
    capped: bool = False  # more than CAP rows differed each way: counts are lower bounds


@dataclass(frozen=True)
class RuntimeServer:
    hostgroup_id: SqlValue
    hostname: SqlValue
    port: SqlValue
    status: SqlValue
    why: str = ""

    @classmethod
    def of(cls, row: Row, why: str = "") -> "RuntimeServer":
        """A row of runtime_mysql_servers."""
        value = SERVERS.value
        return cls(
            value(row, "hostgroup_id"),
            value(row, "hostname"),
            value(row, "port"),
            value(row, "status"),
            why,
        )


@dataclass
class NodeStatus:
    name: str
    address: str
    role: str  # primary | peer
    reachable: bool = True
    error: str = ""
    version: str = ""
    clock: int = 0
    tls_mode: str = ""  # the admin TLS mode pxc used
    tls_version: str | None = None  # the TLS version it got; None: plaintext
    modules: list[ModuleState] = field(default_factory=list)
    unloaded: list[LayerDifference] = field(default_factory=list)
    unsaved: list[LayerDifference] = field(default_factory=list)
    moved_by_monitor: list[RuntimeServer] = field(default_factory=list)
    runtime_only: list[RuntimeServer] = field(default_factory=list)
    not_online: list[RuntimeServer] = field(default_factory=list)
    # rows LOAD leaves out of runtime, as "table key": on this node only, peers never get them
    not_synced: list[str] = field(default_factory=list)


@dataclass
class StatusReport:
    spec_files: list[str]
    primary: str
    nodes: list[NodeStatus]
    changes: ChangeSet
    findings: list[Finding]
    verdict: Verdict
    reasons: list[str]
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        return int(EXIT_CODES[self.verdict])


# -- node-side comparisons -----------------------------------------------------------------


def layer_difference(table: str, rows: Sequence[Row]) -> LayerDifference | None:
    if not rows:
        return None
    memory = {tuple(r[1:]) for r in rows if r[0] == "memory"}
    layer = {tuple(r[1:]) for r in rows if r[0] != "memory"}
    signs = {k: "~" if k in layer else "+" for k in memory}
    signs.update({k: "-" for k in layer - memory})
    examples = [_key(sign, k) for k, sign in list(signs.items())[:EXAMPLES]]
    both = len(memory & layer)
    return LayerDifference(
        table, both, len(memory) - both, len(layer) - both, examples, len(rows) > 2 * CAP
    )


def _key(sign: str, key: Sequence[SqlValue]) -> str:
    return sign + "(" + ", ".join("NULL" if v is None else repr(v) for v in key) + ")"


# -- reading one node -------------------------------------------------------------------


_TOPOLOGY = [(TABLE_BY_NAME[n], TABLE_BY_NAME[n].runtime_table) for n in SERVERS.monitor_topology]


def _topology(conn: AdminConnection) -> tuple[set[SqlValue], list[tuple[set[SqlValue], str]]]:
    return _topology_of(read_tables(conn, _TOPOLOGY))


def _topology_of(
    tables: list[list[Row]],
) -> tuple[set[SqlValue], list[tuple[set[SqlValue], str]]]:
    """Hostgroups the Monitor owns (replication, GR, Galera, Aurora) at runtime, and each
    Aurora hostgroup pair with its domain name (`tables`: the rows of `_TOPOLOGY`)."""
    monitored: set[SqlValue] = set()
    aurora: list[tuple[set[SqlValue], str]] = []
    for (table, _), rows in zip(_TOPOLOGY, tables, strict=True):
        name = table.name
        for row in rows:
            values = dict(zip(table.column_names, row, strict=True))
            groups = {values[c] for c in table.hostgroup_columns}
            monitored |= groups
            if name == "mysql_aws_aurora_hostgroups":
                aurora.append((groups, str(values["domain_name"] or "")))
    return monitored, aurora


def _servers(conn: AdminConnection, node: NodeStatus) -> list[Row]:
    """Runtime servers: those memory lacks (why), and those not ONLINE. Returns runtime."""
    runtime, memory, *topology = read_tables(
        conn, [(SERVERS, SERVERS.runtime_table), (SERVERS, ""), *_TOPOLOGY]
    )
    monitored, aurora = _topology_of(topology)
    for row in runtime_only_rows(SERVERS, runtime, memory):
        hg, host = SERVERS.value(row, "hostgroup_id"), str(SERVERS.value(row, "hostname"))
        if any(hg in groups and host.endswith(domain) for groups, domain in aurora if domain):
            why = "discovered by Aurora monitoring"
        elif hg in monitored:
            why = "placed by the Monitor (replication/Group Replication/Galera/Aurora hostgroup)"
        elif str(SERVERS.value(row, "status")).upper() == "OFFLINE_HARD":
            why = "removed from memory, OFFLINE_HARD until ProxySQL purges it"
        else:
            why = "not in memory: deleted there without a LOAD?"
        node.runtime_only.append(RuntimeServer.of(row, why))
    for row in runtime:
        if str(SERVERS.value(row, "status")).upper() != "ONLINE":
            node.not_online.append(RuntimeServer.of(row))
    return runtime


class _Proven(NamedTuple):
    """What a peer's read may lean on: the primary's build, checksums, and the sealable
    tables whose runtime it found to be exactly what LOAD makes of memory."""

    version: str
    variables: dict[str, str]
    memory: dict[str, str]
    runtime: dict[str, ModuleChecksum]
    loaded: frozenset[str]

    def vouches(self, peer: Live, tables: list[Table]) -> Callable[[dict[str, str]], set[str]]:
        """A peer whose memory of a table and runtime checksum of its module are the
        primary's, on the same build, has no unloaded edit there either: its runtime is the
        primary's runtime (every column of users and query rules moves the module checksum:
        recorded on 2.7.1 and 3.0.1), which is what that build's LOAD makes of this very
        memory. Its comparison, which makes the node rebuild its runtime tables (seconds for
        50,000 users), is skipped."""

        def kept(name: str) -> bool:  # the module checksum moves with every LOAD on both
            on = f"admin-checksum_{name}"
            if "false" in (self.variables.get(on), peer.variables.get(on)):
                return False
            mine, theirs = self.runtime.get(name), peer.checksums.get(name)
            if mine is None or theirs is None or min(mine.version, theirs.version) < 1:
                return False
            return mine.checksum == theirs.checksum

        def vouched(memory: dict[str, str]) -> set[str]:
            if peer.version != self.version:
                return set()
            return {
                t.name
                for t in tables
                if t.sealable
                and t.name in self.loaded
                and memory.get(t.name)
                and memory.get(t.name) == self.memory.get(t.name)
                and all(kept(n) for n in t.module.checksum_names)
            }

        return vouched


def _inspect_layers(
    conn: AdminConnection,
    node: NodeStatus,
    reach: Reach,
    live: Live,
    vouched: Callable[[dict[str, str]], set[str]] | None = None,
) -> _Proven:
    """Unloaded and unsaved edits of the managed tables (variables' are judged once the spec
    is known: `_variable_layers`); what a peer's read may lean on."""
    tables = list(reach.tables)
    memory, differences = read_layer_differences(conn, tables, live.checksums, vouched=vouched)
    for table in tables:
        rows = differences[(table.name, "runtime")]
        if rows and table.name == "mysql_servers":
            rows = _without_monitor_moves(conn, rows, node)
        found = layer_difference(table.name, rows)
        if found is not None:
            node.unloaded.append(found)
        found = layer_difference(table.name, differences[(table.name, "disk")])
        if found is not None:
            node.unsaved.append(found)
    if reach.variables:
        live.runtime_variables = read_variables(conn, "runtime_global_variables")
        live.disk_variables = read_variables(conn, "disk.global_variables")
    loaded = frozenset(t.name for t in tables if not differences[(t.name, "runtime")])
    return _Proven(live.version, live.variables, memory, live.checksums, loaded)


def _variable_layers(node: NodeStatus, live: Live, desired: Desired) -> None:
    """The spec's variables whose runtime or disk value is not memory's."""
    names = sorted(desired.variables)
    for differing, target in (
        (variables_unloaded(names, live), node.unloaded),
        (variables_unsaved(names, live), node.unsaved),
    ):
        if differing:
            examples = [f"~{n}" for n in differing[:EXAMPLES]]
            target.append(LayerDifference("global_variables", len(differing), 0, 0, examples))


def _without_monitor_moves(conn: AdminConnection, rows: list[Row], node: NodeStatus) -> list[Row]:
    """A server the Monitor moved out of a replication/GR/Galera/Aurora hostgroup is missing
    from runtime under its memory key: the Monitor at work, not an edit waiting for LOAD."""
    monitored = _topology(conn)[0]
    kept = []
    for row in rows:
        side, hg, host, port = row
        if side == "memory" and hg in monitored:
            node.moved_by_monitor.append(RuntimeServer(hg, host, port, "", "moved by the Monitor"))
        else:
            kept.append(row)
    return kept


def _head(conn: AdminConnection) -> Live:
    """A node's build, clock, variables and checksums: what judging its layers needs."""
    live = Live(node=conn.endpoint.name)
    live.version = read_version(conn)
    live.clock = read_clock(conn)
    live.variables = read_variables(conn, "global_variables")
    live.checksums = read_checksums(conn)
    return live


# -- judging ---------------------------------------------------------------------------


def _grace(primary: Live, name: str, override: float | None) -> float:
    if override is not None:
        return override
    module = MODULE_OF_CHECKSUM.get(name)
    if module is None or not MODULE_BY_KEYWORD[module].synced:
        module = "MYSQL SERVERS"  # an unknown synced name: the default pace
    if not cluster_syncs(module, primary.variables):
        return 0  # nobody pulls it (diffs_before_sync 0): a difference stays
    return propagation_deadline(primary.variables, [module])


def module_states(
    node: Live, primary: Live, *, is_primary: bool, grace: float | None
) -> list[ModuleState]:
    out = []
    compared = compared_checksums(primary.variables)
    for name, mine in sorted(node.checksums.items()):
        theirs = primary.checksums.get(name)
        if is_primary:
            state = "primary"
        elif theirs is None:
            state = "not on primary"
        elif mine.checksum == theirs.checksum:
            state = "in sync"
        elif name in MODULE_OF_CHECKSUM and not cluster_can_sync(
            MODULE_OF_CHECKSUM[name], primary.variables
        ):
            state = UNSYNCED_DIFFERS  # apply writes each node
        elif name not in compared:
            state = "own Monitor state"  # runtime servers under sync algorithm 2 or 3
        elif mine.epoch < theirs.epoch and primary.clock - theirs.epoch < _grace(
            primary, name, grace
        ):
            state = "syncing"  # behind a LOAD younger than apply's convergence deadline
        elif mine.epoch > theirs.epoch and node.clock - mine.epoch < _grace(primary, name, grace):
            state = "ahead"  # LOADed on this peer; the primary is about to pull it (PXC103)
        else:
            state = "diverged"
        out.append(
            ModuleState(
                name,
                MODULE_OF_CHECKSUM.get(name, ""),
                mine.version,
                mine.epoch,
                mine.checksum,
                node.clock - mine.epoch,
                None if is_primary else theirs is not None and mine.checksum == theirs.checksum,
                state,
            )
        )
    return out


def _verdict(
    nodes: list[NodeStatus], changes: ChangeSet, findings: list[Finding]
) -> tuple[Verdict, list[str]]:
    errors = [f"{n.name}: {n.error}" for n in nodes if not n.reachable]
    if errors:
        return Verdict.ERROR, errors
    diverged = [
        f"{n.name} differs from the primary on {m.name} (v{m.version} epoch {m.epoch} {m.checksum})"
        for n in nodes
        for m in n.modules
        if m.state == "diverged"
    ]
    diverged += [f"{f.code}: {f.message}" for f in findings if f.code == NEVER_SYNCS]
    if diverged:
        return Verdict.DIVERGED, diverged
    drift = []
    if not changes.empty:
        count = len(changes.rows) + len(changes.variables)
        drift.append(f"the primary's memory differs from the spec ({count} change(s))")
    drift += [
        f"{n.name} differs from the primary on {m.name}, which ProxySQL Cluster does not sync "
        "(pxc apply writes each node)"
        for n in nodes
        for m in n.modules
        if m.state == UNSYNCED_DIFFERS
    ]
    for node in nodes:  # what ProxySQL runs or would boot with is not what memory says
        drift += [f"{node.name}: {d.table} not loaded to runtime" for d in node.unloaded]
        drift += [f"{node.name}: {d.table} not saved to disk" for d in node.unsaved]
    drift += [
        f"{f.code}: {f.message}"
        for f in findings
        if f.severity is Severity.ERROR and f.code not in CLUSTER_CODES
    ]
    if drift:
        return Verdict.DRIFT, drift
    return Verdict.IN_SYNC, []


# -- the command ---------------------------------------------------------------------------


def _read_primary(
    reach: Reach, validated: Callable[[], Target], node: NodeStatus, proven: "Future[_Proven]"
) -> Live:
    """The primary; what its layers prove is handed to the peers' reads as soon as known.
    Its rows are compared with the spec's last, once the spec is validated."""
    try:
        with AdminConnection(reach.primary) as conn:
            node.tls_version = conn.tls_version
            # the layers first, so that the peers' reads can go on while the rows come
            head = _head(conn)
            proven.set_result(_inspect_layers(conn, node, reach, head))
            runtime_servers = _servers(conn, node)
            live = read_live(conn, (), variables=False, runtime=False, disk=False)
            read_memory(conn, live, reach.tables, lambda table: validated().written(table))
            live.variables = head.variables
            live.runtime_variables = head.runtime_variables
            live.disk_variables = head.disk_variables
            live.runtime["mysql_servers"] = runtime_servers
    except BaseException as exc:
        if not proven.done():
            proven.set_exception(exc)
        raise
    node.version, node.clock = live.version, live.clock
    return live


def _read_peer(
    endpoint: Endpoint, reach: Reach, node: NodeStatus, proven: "Future[_Proven]"
) -> Live | None:
    """A peer that cannot be read is reported (verdict error), not raised."""
    try:
        with AdminConnection(endpoint) as conn:
            node.tls_version = conn.tls_version
            live = _head(conn)
            _servers(conn, node)
            try:
                vouched = proven.result().vouches(live, list(reach.tables))
            except BaseException:  # the primary's read failed: its error is the one raised
                vouched = None
            _inspect_layers(conn, node, reach, live, vouched)
    except PxcError as exc:
        node.reachable, node.error = False, exc.message
        return None
    node.version, node.clock = live.version, live.clock
    return live


def _read_nodes(
    reach: Reach, validated: Callable[[], Target]
) -> tuple[list[NodeStatus], Live, list[Live | None]]:
    """Every node at the same time: each one mostly waits for its own comparisons."""
    nodes = [
        NodeStatus(e.name, e.address, role, tls_mode=e.tls.mode.value)
        for e, role in [(reach.primary, "primary"), *((p, "peer") for p in reach.peers)]
    ]
    proven: Future[_Proven] = Future()
    primary_read = background(partial(_read_primary, reach, validated, nodes[0], proven))
    peer_reads = [
        background(partial(_read_peer, e, reach, n, proven))
        for e, n in zip(reach.peers, nodes[1:], strict=True)
    ]
    return nodes, primary_read.result(), [r.result() for r in peer_reads]


def read_status(files: Sequence[str | Path], *, grace: float | None = None) -> StatusReport:
    """Read every node (at the same time: each one mostly waits for its own comparisons) and
    judge. The primary must answer, else its error is raised; a peer that cannot be read is
    reported and makes the verdict `error`."""
    start = time.monotonic()
    target, (nodes, live, peers) = read_while_validating(
        files, _read_nodes, needs="status needs the nodes to read"
    )
    desired = target.desired
    for node, read in zip(nodes, [live, *peers], strict=True):
        if read is not None and desired.variables:
            _variable_layers(node, read, desired)
    nodes[0].modules = module_states(live, live, is_primary=True, grace=grace)
    for table in managed_tables(desired):
        nodes[0].not_synced += [
            f"{table.name} {tuple(table.value(row, c) for c in table.key)!r}"
            for row in kept_from_runtime(table, live.memory.get(table.name, []))
        ]
    peer_states = []
    for endpoint, node, peer in zip(target.peers, nodes[1:], peers, strict=True):
        if peer is None:
            continue
        node.modules = module_states(peer, live, is_primary=False, grace=grace)
        peer_states.append(
            PeerState(
                endpoint.name,
                endpoint.address,
                peer.version,
                {k: (v.version, v.epoch, v.checksum) for k, v in peer.checksums.items()},
            )
        )
    changes = diff(desired, live, target.secrets.resolve)
    managed = {t.module.keyword for t in managed_tables(desired)}
    managed |= {variable_module(n).keyword for n in desired.variables}
    # A peer catching up with a recent LOAD (or about to be pulled from) is judged by its
    # state above, not reported as a finding.
    settling = {(node.name, m.name) for node in nodes for m in node.modules if m.state in _SETTLING}
    health, _ = cluster_findings(
        live, peer_states, set(changes.modules()), managed, settling=settling
    )
    findings = [*health, *aurora_tls_findings(desired, live)]
    verdict, reasons = _verdict(nodes, changes, findings)
    return StatusReport(
        [str(f) for f in files],
        target.primary.name,
        nodes,
        changes,
        findings,
        verdict,
        reasons,
        time.monotonic() - start,
    )


# -- rendering ---------------------------------------------------------------------------


def _ago(seconds: int) -> str:
    if seconds < 0:
        return f"{-seconds}s ahead"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def _count(n: int, capped: bool) -> str:
    return f"{n}+" if capped and n >= CAP else str(n)


def _layer_line(d: LayerDifference, layer: str) -> str:
    if d.table == "global_variables":
        what = f"{d.changed} variable(s) differ from {layer}"
    else:
        parts = [
            f"{_count(n, d.capped)} {label}"
            for n, label in (
                (d.changed, "changed"),
                (d.memory_only, "only in memory"),
                (d.layer_only, f"only in {layer}"),
            )
            if n
        ]
        what = "row(s) " + ", ".join(parts)
    return f"{d.table}: {what} (e.g. {', '.join(d.examples)})"


def change_lines(changes: ChangeSet, limit: int = 20) -> list[str]:
    lines = [line for c in changes.rows for line in row_lines(c)]
    lines += [variable_line(v) for v in changes.variables]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more (run pxc plan)"]
    return lines


def render_text(report: StatusReport) -> str:
    out = [
        f"pxc status: primary {report.primary}, spec {', '.join(report.spec_files)} "
        f"(read in {report.seconds:.1f} s)",
        "",
    ]
    if report.changes.empty:
        out.append("Spec vs the primary's memory: in sync")
    else:
        out.append("Spec vs the primary's memory: DRIFT")
        for module, c in change_summary(report.changes).items():
            out.append(
                f"  {module}: {c['add']} to add, {c['change']} to change, {c['destroy']} to destroy"
            )
        out.extend(f"  {line}" for line in change_lines(report.changes))
    out.append("")
    out.append("Checksums (runtime_checksums_values)")
    table = [("node", "module", "version", "epoch", "changed", "checksum", "vs primary")]
    for node in report.nodes:
        label = node.name + ("*" if node.role == "primary" else "")
        if not node.reachable:
            table.append((label, "-", "-", "-", "-", "-", "UNREACHABLE"))
        for m in node.modules:
            table.append(
                (
                    label,
                    m.name,
                    str(m.version),
                    str(m.epoch),
                    _ago(m.changed_s) if m.epoch else "never",  # a checksum not kept
                    m.checksum,
                    m.state,
                )
            )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    out.extend(
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in table
    )
    for node in report.nodes:
        out.append("")
        if not node.reachable:
            out.append(f"{node.name} ({node.role}, {node.address}): UNREACHABLE: {node.error}")
            continue
        over = f"{node.tls_version or 'plaintext'} ({node.tls_mode})"
        out.append(
            f"{node.name} ({node.role}, {node.address}, ProxySQL {node.version}, admin over {over})"
        )
        out.append("  unloaded edits (memory vs runtime):" + ("" if node.unloaded else " none"))
        out.extend(f"    {_layer_line(d, 'runtime')}" for d in node.unloaded)
        out.append("  unsaved edits (memory vs disk):" + ("" if node.unsaved else " none"))
        out.extend(f"    {_layer_line(d, 'disk')}" for d in node.unsaved)
        if node.moved_by_monitor:
            out.append(f"  servers moved by the Monitor: {len(node.moved_by_monitor)}")
            out.extend(
                f"    {s.hostname}:{s.port} (memory hostgroup {s.hostgroup_id})"
                for s in node.moved_by_monitor[:10]
            )
        if node.runtime_only:
            out.append(f"  runtime-only servers: {len(node.runtime_only)}")
            out.extend(
                f"    {s.hostname}:{s.port} hostgroup {s.hostgroup_id} {s.status}: {s.why}"
                for s in node.runtime_only[:10]
            )
        if node.not_synced and len(report.nodes) > 1:
            out.append(
                f"  rows on this node only (runtime leaves them out, so peers never get "
                f"them; a failover loses them): {len(node.not_synced)}"
            )
            out.extend(f"    {row}" for row in node.not_synced[:10])
        if node.not_online:
            out.append(f"  servers not ONLINE: {len(node.not_online)}")
            out.extend(
                f"    {s.hostname}:{s.port} hostgroup {s.hostgroup_id}: {s.status}"
                for s in node.not_online[:10]
            )
    if report.findings:
        out.append("")
        out.append("Findings")
        out.extend(f"  {f.severity.value} {f.code}: {f.message}" for f in report.findings)
    out.append("")
    headline = {
        Verdict.IN_SYNC: "healthy and in sync with the spec",
        Verdict.DRIFT: "DRIFT from the spec",
        Verdict.DIVERGED: "cluster DIVERGED",
        Verdict.ERROR: "ERROR",
    }[report.verdict]
    out.append(f"Result: {headline} (exit {report.exit_code})")
    out.extend(f"  {reason}" for reason in report.reasons)
    return "\n".join(out)


def to_dict(report: StatusReport) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "spec_files": report.spec_files,
        "primary": report.primary,
        "verdict": report.verdict.value,
        "exit_code": report.exit_code,
        "reasons": report.reasons,
        "seconds": round(report.seconds, 3),
        "spec_drift": {
            "in_sync": report.changes.empty,
            "summary": change_summary(report.changes),
            "changes": change_lines(report.changes, limit=200),
        },
        "nodes": [
            {
                "name": n.name,
                "address": n.address,
                "role": n.role,
                "reachable": n.reachable,
                "error": n.error,
                "version": n.version,
                "clock": n.clock,
                "admin_tls": {"mode": n.tls_mode, "version": n.tls_version},
                "modules": [asdict(m) for m in n.modules],
                "unloaded": [asdict(d) for d in n.unloaded],
                "unsaved": [asdict(d) for d in n.unsaved],
                "moved_by_monitor": [asdict(s) for s in n.moved_by_monitor],
                "runtime_only_servers": [asdict(s) for s in n.runtime_only],
                "servers_not_online": [asdict(s) for s in n.not_online],
                "rows_not_synced": n.not_synced,
            }
            for n in report.nodes
        ],
        "findings": [f.to_dict() for f in report.findings],
    }


def render_json(report: StatusReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False)
