"""`pxc plan`: validate, resolve secrets, read the primary and its peers, diff and order.

This module talks to ProxySQL only to read; the diff and ordering it calls are pure.
"""

import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from proxysql_iac.admin.connection import AdminConnection, Endpoint, Row
from proxysql_iac.admin.layers import read_layer_differences
from proxysql_iac.admin.live import (
    Live,
    ModuleChecksum,
    Written,
    read_apply_mark,
    read_checksums,
    read_live,
    read_memory,
    read_rows,
    read_variables,
    read_version,
)
from proxysql_iac.admin.sql import SqlValue
from proxysql_iac.admin.tls import ClientTls, Pem, TlsMode
from proxysql_iac.errors import SpecError
from proxysql_iac.findings import Finding, Severity, render_text
from proxysql_iac.lifetime import keep
from proxysql_iac.plan.diff import (
    TABLE_MODULE,
    ChangeSet,
    SpecAsWritten,
    diff,
    diff_table,
    diff_variables,
)
from proxysql_iac.plan.health import (
    aurora_tls_findings,
    cluster_findings,
    compared_checksums,
    peer_differences,
    propagation_deadline,
    unsynced_modules,
)
from proxysql_iac.plan.layers import (
    runtime_only_rows,
    table_unloaded,
    table_unsaved,
    variables_unloaded,
    variables_unsaved,
)
from proxysql_iac.plan.model import (
    PeerState,
    Plan,
    fingerprint_columns,
    fingerprint_rows,
    plan_from_dict,
)
from proxysql_iac.plan.order import ModuleStep, order, phase_of, sort_steps
from proxysql_iac.plan.versions import lacking, refuse_what_nodes_lack
from proxysql_iac.secrets import SecretStore
from proxysql_iac.spec.compile import Desired
from proxysql_iac.spec.load import format_path
from proxysql_iac.spec.models import DEFAULT_TLS_MODE, AdminTls, Cluster, PemSource, SecretRef
from proxysql_iac.spec.outline import outline
from proxysql_iac.spec.tables import (
    MODULES,
    TABLE_BY_NAME,
    TABLES,
    VARIABLE_SECTIONS,
    Table,
    tables_of,
    variable_module,
)
from proxysql_iac.spec.variables import is_secret_variable
from proxysql_iac.validate import gc_paused, validate_files, validate_loaded


@dataclass
class PlanContext:
    """Everything apply needs besides the plan: endpoints, secrets, what was read."""

    plan: Plan
    desired: Desired
    secrets: SecretStore
    primary: Endpoint
    peers: list[Endpoint]
    live: Live
    written: SpecAsWritten  # the spec's rows as a node writes them


def endpoints(cluster: Cluster, secrets: SecretStore) -> list[Endpoint]:
    """Every node's admin endpoint; a node's error texts are redacted of the run's secrets."""
    out = []
    for node in cluster.nodes:
        creds = node.admin or cluster.admin
        if creds is None:
            raise SpecError(
                f"no admin credentials for node {node.name}",
                "add `cluster.admin: {user: ..., password: {env: ...}}`",
            )
        password = creds.password
        if isinstance(password, SecretRef):
            password = secrets.resolve(password)
        else:
            secrets.remember(password)
        tls = client_tls(cluster.tls_for(node), secrets)
        out.append(
            Endpoint(node.name, node.host, node.port, creds.user, password, secrets.redact, tls)
        )
    return out


PEM_MARK = "-----BEGIN"


def client_tls(settings: AdminTls, secrets: SecretStore) -> ClientTls:
    """A node's admin TLS settings with every reference resolved and every path absolute."""
    return ClientTls(
        TlsMode(settings.mode or DEFAULT_TLS_MODE),
        _pem(settings.ca, secrets),
        _pem(settings.cert, secrets),
        _pem(settings.key, secrets),
        settings.server_name,
    )


def _pem(source: PemSource | None, secrets: SecretStore) -> Pem | None:
    """A reference holds the PEM text or a path to it; a plain string is a path."""
    if source is None:
        return None
    if isinstance(source, SecretRef):
        label = "{" + source.describe().replace(":", ": ", 1) + "}"
        value = secrets.resolve(source)
        if PEM_MARK in value:
            return Pem(label, text=value)
    elif PEM_MARK in source:  # validate refuses it (PXC135); never print it as a path
        secrets.remember(source)
        return Pem("(PEM text)", text=source)
    else:
        label = value = source
    path = Path(value).expanduser()
    return Pem(label, path if path.is_absolute() else secrets.base_dir / path)


def remember_live_secrets(live: Live, secrets: SecretStore) -> None:
    """Secret values read from a node: apply may write one back (restoring a table), and a
    node's error text may quote a statement, so they are redacted from node texts too."""
    for name, rows in live.memory.items():
        secret = [i for i, c in enumerate(TABLE_BY_NAME[name].columns) if c.secret]
        for row in rows:
            for i in secret:
                secrets.remember(str(row[i] or ""))
    for name, value in live.variables.items():
        if is_secret_variable(name):
            secrets.remember(value)
            if name.endswith("_credentials"):  # user:password;user2:password2
                for pair in value.split(";"):
                    secrets.remember(pair.partition(":")[2])


def resolve_all(desired: Desired, secrets: SecretStore) -> None:
    """Resolve every reference of the spec (the cluster's credentials, secret columns,
    variables) up front: missing secrets (all of them) fail before anything read is told.
    Secret literals of the spec are remembered too."""
    cluster = desired.cluster
    credentials = [cluster.admin, *(n.admin for n in cluster.nodes)] if cluster else []
    refs = [c.password for c in credentials if c and isinstance(c.password, SecretRef)]
    where: dict[int, str] = {}
    if cluster is not None:
        nodes = (("cluster", "nodes", i, "admin") for i in itertools.count())
        paths = itertools.chain([("cluster", "admin")], nodes)
        for path, credential in zip(paths, credentials, strict=False):
            if credential is not None and isinstance(credential.password, SecretRef):
                where.setdefault(id(credential.password), format_path((*path, "password")))
    literals: list[str] = []
    for table in TABLES:
        for column in [c.name for c in table.columns if c.secret]:
            rows = desired.rows(table.name)
            values = [row.values[column] for row in rows]
            # each object once, by its first row: 50,000 users that read one variable share
            # one reference (the first row is written last, and stays)
            first = dict(
                zip(map(id, reversed(values)), range(len(values) - 1, -1, -1), strict=True)
            )
            for index in sorted(first.values()):
                value = rows[index].values[column]
                if isinstance(value, SecretRef):
                    refs.append(value)
                    where.setdefault(id(value), format_path((*rows[index].origin, column)))
                elif isinstance(value, str):
                    literals.append(value)
    for variable in desired.variables.values():
        if isinstance(variable.value, SecretRef):
            refs.append(variable.value)
            where.setdefault(id(variable.value), format_path(variable.origin))
        elif is_secret_variable(variable.name) and isinstance(variable.value, str):
            literals.append(variable.value)
    secrets.resolve_all(refs, where)
    for literal in literals:
        secrets.remember(literal)


def read_primary(
    conn: AdminConnection, reach: "Reach", written: Callable[[Table], Written | None]
) -> Live:
    """What plan needs of the primary: memory rows of the managed tables, runtime servers,
    variables in every layer, checksums, and which tables' runtime or disk lag memory.
    A node that lacks a table is not asked for any (`refuse_what_nodes_lack` says why)."""
    live = read_live(conn, (), runtime=False, disk=False)
    if lacking([t.name for t in reach.tables], live.version):
        return live
    for servers in (t for t in reach.tables if t.monitor_topology):
        live.runtime[servers.name] = read_rows(conn, servers, servers.runtime_table)
    if reach.variables:
        live.runtime_variables = read_variables(conn, "runtime_global_variables")
        live.disk_variables = read_variables(conn, "disk.global_variables")
    live.memory_checksums, live.differences = read_layer_differences(
        conn, list(reach.tables), live.checksums
    )
    live.apply_mark = read_apply_mark(conn)
    read_memory(conn, live, reach.tables, written)
    return live


def interrupted_apply(live: Live, desired: Desired, node: str) -> list[Finding]:
    """PXC119: memory still carries the mark of an apply that stopped before its LOAD and
    could not put memory back (pxc was killed, or the node lost it mid-way)."""
    if not live.apply_mark:
        return []
    unloaded = {
        t.module.keyword
        for t in managed_tables(desired)
        if table_unloaded(t, live) or table_unsaved(t, live)
    }
    names = sorted(desired.variables)
    unloaded |= {
        variable_module(n).keyword
        for n in [*variables_unloaded(names, live), *variables_unsaved(names, live)]
    }
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(live.apply_mark))
    if not unloaded:
        return []
    return [
        Finding(
            "PXC119",
            Severity.WARNING,
            f"memory of {node} holds edits of a pxc apply started {started} that was stopped "
            f"before it could LOAD them or put memory back: {', '.join(sorted(unloaded))}",
            "pxc apply completes memory to the spec and LOADs it (the plan below); do not "
            "LOAD or SAVE the module by hand",
        )
    ]


def managed_tables(desired: Desired) -> list[Table]:
    """The tables of the spec pxc reads and writes (not those no command loads)."""
    return tables_of_sections(desired.tables)


def tables_of_sections(sections: Collection[str]) -> list[Table]:
    """The tables pxc reads and writes of the sections a spec writes."""
    return [t for t in TABLES if t.name in sections and t.module.loadable]


def fingerprints(live: Live, desired: Desired) -> dict[str, str]:
    """Digests of the live rows a plan was computed from (of the node's text of each column,
    `read_rows_as`: no row is parsed for them). Secret columns and variables are
    left out: a plan is shared in pull requests, and an unsalted digest of rows whose other
    columns the spec reveals would let anyone test password guesses offline. (A changed
    password is still caught by the node-computed memory checksums apply compares.)"""
    prints = {}
    for name, texts in sorted(live.memory_columns.items()):
        columns = TABLE_BY_NAME[name].columns
        shown = [(c.name, t) for c, t in zip(columns, texts, strict=True) if not c.secret]
        prints[name] = fingerprint_columns(shown)
    wanted = [n for n in sorted(desired.variables) if not is_secret_variable(n)]
    prints["global_variables"] = fingerprint_rows(
        [(name, live.variables.get(name)) for name in wanted]
    )
    return prints


def cluster_key(cluster: Cluster) -> str:
    """How pull request comments tell clusters apart: `cluster.name`, else the primary's
    admin address (known offline, so the apply job can find its comment before planning)."""
    if cluster.name:
        return cluster.name
    primary = next(n for n in cluster.nodes if n.name == cluster.primary)  # validated
    return f"{primary.host}:{primary.port}"


def read_plan_file(path: Path) -> tuple[dict[str, Any], Plan]:
    """A plan file as written by `pxc plan --out`: its JSON, and the Plan it holds."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read the plan file {path}: {exc.strerror}") from None
    except ValueError:
        raise SpecError(
            f"{path} is not a pxc plan file: it is not JSON", "`pxc plan --out FILE` writes one"
        ) from None
    try:
        return raw, plan_from_dict(raw)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SpecError(
            f"{path} is not a pxc plan file: {exc}", "`pxc plan --out FILE` writes one"
        ) from None


def load_desired(
    files: Sequence[str | Path], *, compiled: Callable[[Desired], None] | None = None
) -> Desired:
    validation = validate_files(files, compiled=compiled)
    if not validation.ok:
        errors = [f for f in validation.findings if f.severity is Severity.ERROR]
        raise SpecError(
            f"the spec has {len(errors)} error(s); nothing was written\n" + render_text(errors),
            "run `pxc validate` and fix them",
        )
    return validation.desired


class Reach(NamedTuple):
    """What reading the nodes takes from the spec: whom to ask, the tables pxc manages
    there, and whether it manages variables."""

    primary: Endpoint
    peers: tuple[Endpoint, ...]
    tables: tuple[Table, ...]
    variables: bool


@dataclass
class Target:
    """A valid spec with every secret resolved, and the nodes it names."""

    desired: Desired
    secrets: SecretStore
    primary: Endpoint
    peers: list[Endpoint]
    written: SpecAsWritten  # the spec's rows as a node writes them

    @property
    def reach(self) -> Reach:
        tables = tuple(managed_tables(self.desired))
        return Reach(self.primary, tuple(self.peers), tables, bool(self.desired.variables))


PLAN_NEEDS_NODES = "plan and apply need the nodes to talk to"


def target_of(
    desired: Desired,
    files: Sequence[str | Path],
    *,
    node: str | None = None,
    needs: str = PLAN_NEEDS_NODES,
    secrets: SecretStore | None = None,
) -> Target:
    """Secrets resolved (all that are missing are named before anything read is told) and
    the endpoints; `node`, when given, must be the primary."""
    if desired.cluster is None:
        raise SpecError("the spec has no `cluster:` block", needs)
    secrets = secrets or SecretStore.of_spec(files)
    resolve_all(desired, secrets)
    primary, peers = _nodes(desired.cluster, secrets, node)
    return Target(desired, secrets, primary, peers, SpecAsWritten(desired, secrets.resolve))


def _nodes(
    cluster: Cluster, secrets: SecretStore, node: str | None
) -> tuple[Endpoint, list[Endpoint]]:
    """The primary's endpoint and the peers'; `node`, when given, must be the primary."""
    all_endpoints = endpoints(cluster, secrets)
    if node is not None and node not in {e.name for e in all_endpoints}:
        raise SpecError(
            f"no node named {node!r} in cluster.nodes",
            f"nodes: {', '.join(e.name for e in all_endpoints)}",
        )
    if node is not None and node != cluster.primary:
        raise SpecError(
            f"{node} is not the cluster's primary ({cluster.primary}); pxc writes only there",
            "drop --node, or change `cluster.primary` in the spec",
        )
    primary = next((e for e in all_endpoints if e.name == cluster.primary), None)
    if primary is None:  # validate reports it (PXC101): only reached without the rules
        raise SpecError(f"cluster.primary {cluster.primary!r} is not one of cluster.nodes")
    return primary, [e for e in all_endpoints if e is not primary]


def reach_ahead(
    files: Sequence[str | Path], node: str | None, secrets: SecretStore
) -> Reach | None:
    """The nodes and tables the spec's outline names (`spec/outline.py`), when the spec is
    large enough to be worth it, its cluster block and rules validate on their own and its
    secrets resolve; else None."""
    found = outline(files) if _large(files) else None
    if found is None:
        return None
    validation = validate_loaded(found.loaded)
    cluster = validation.desired.cluster
    if not validation.ok or cluster is None:
        return None
    try:
        primary, peers = _nodes(cluster, secrets, node)
    except SpecError:
        return None
    tables = tuple(tables_of_sections(found.sections))
    variables = not found.sections.isdisjoint(VARIABLE_SECTIONS)
    return Reach(primary, tuple(peers), tables, variables)


Read = TypeVar("Read")
# Reads the nodes `Reach` names; what it needs of the spec beyond that, it asks the callable
# for, which waits until the spec is validated (and raises when it is not).
NodeRead = Callable[[Reach, Callable[[], Target]], Read]


def background(work: Callable[[], Read]) -> "Future[Read]":
    """`work` on a daemon thread of its own (a ThreadPoolExecutor's workers are waited for at
    exit: a process that stops on a spec error would wait for a node to answer)."""
    future: Future[Read] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to the caller by result()
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True).start()
    return future


def read_while_validating(
    files: Sequence[str | Path],
    read: NodeRead[Read],
    *,
    node: str | None = None,
    needs: str = PLAN_NEEDS_NODES,
) -> tuple[Target, Read]:
    """Validate the spec and `read` the nodes it names, both at once: a node spends most of a
    large read working on its side (0.5 s for 60,000 rows), time the spec's parse fills.

    The read starts before the spec is parsed, on the nodes and tables its outline names
    (`reach_ahead`: only once the rules have passed its cluster block, so that no node is
    reached with settings they refuse), and asks for the validated spec only to compare rows
    with it. Should the whole spec name other tables or variables, that read is dropped and
    another one started as soon as the rows are compiled; other nodes, or no outline: once
    the spec is valid. What goes wrong is told in the same order either way: the spec's
    errors, then its secrets', then the node's."""
    secrets = SecretStore.of_spec(files)
    validated: Future[Target] = Future()
    reads: list[tuple[Reach, Future[Read]]] = []

    def start(reach: Reach) -> None:
        reads.append((reach, background(lambda: read(reach, validated.result))))

    ahead = reach_ahead(files, node, secrets)
    if ahead is not None:
        start(ahead)

    def compiled(desired: Desired) -> None:
        try:
            target = target_of(desired, files, node=node, needs=needs, secrets=secrets)
        except Exception:  # the same call, after the rules, says what it is
            return
        _validated(validated, target)
        reach = target.reach
        vetted = ahead is not None and (ahead.primary, ahead.peers) == (reach.primary, reach.peers)
        if vetted and ahead != reach:  # nodes the rules passed, other tables or variables
            start(reach)

    try:
        desired = load_desired(files, compiled=compiled)
        if not validated.done():
            _validated(
                validated, target_of(desired, files, node=node, needs=needs, secrets=secrets)
            )
    except BaseException as exc:
        if not validated.done():
            validated.set_exception(exc)  # a read waiting for the spec stops
        raise
    target = validated.result()
    reading = next((r for reach, r in reads if reach == target.reach), None)
    found = read(target.reach, validated.result) if reading is None else reading.result()
    keep(target, found)
    return target, found


# Below this many bytes of spec, the outline (10 ms) costs more than reading ahead of a parse
# of a few milliseconds saves (the spec then reads at about 0.1 s a megabyte).
READ_AHEAD_BYTES = 256 * 1024


def _large(files: Sequence[str | Path]) -> bool:
    try:
        return sum(Path(f).stat().st_size for f in files) >= READ_AHEAD_BYTES
    except OSError:  # the whole read says what is wrong with the file
        return False


def _validated(validated: "Future[Target]", target: Target) -> None:
    """Hand `target` to the reads waiting for it; its rows as a node writes them are worked
    out on a thread of their own meanwhile."""
    target.written.warm(list(target.reach.tables))
    validated.set_result(target)


def _read_primary_of(reach: Reach, validated: Callable[[], Target]) -> Live:
    """The primary as plan reads it, refusing what its build lacks."""
    with AdminConnection(reach.primary) as conn:
        live = read_primary(conn, reach, lambda table: validated().written(table))
    refuse_what_nodes_lack(validated().desired, {reach.primary.name: live.version})
    return live


def make_plan(files: Sequence[str | Path], *, node: str | None = None) -> PlanContext:
    """Read the spec and the nodes, and plan. Nothing here makes cycles worth collecting:
    the collector waits (0.1 s of a 50,000-user plan), as it does for validate."""
    with gc_paused():
        ctx = _make_plan(files, node=node)
    keep(ctx)
    return ctx


def _make_plan(files: Sequence[str | Path], *, node: str | None) -> PlanContext:
    target, live = read_while_validating(files, _read_primary_of, node=node)
    desired, secrets, primary, peers = target.desired, target.secrets, target.primary, target.peers
    assert desired.cluster is not None  # target_of refuses a spec without one
    remember_live_secrets(live, secrets)
    peer_states = read_peers(peers, live)
    refuse_what_nodes_lack(desired, {p.name: p.version for p in peer_states})
    changes = diff(desired, live, secrets.resolve)
    every_node = unsynced_modules(live.variables)
    steps = order(changes, every_node)
    steps += unsynced_peer_steps(desired, peers, secrets, steps, every_node)
    touched = set(changes.modules())
    managed = {TABLE_MODULE[t.name] for t in managed_tables(desired)}
    managed |= {variable_module(name).keyword for name in desired.variables}
    health, heal = cluster_findings(live, peer_states, touched, managed)
    findings: list[Finding] = [
        *never_written(desired),
        *interrupted_apply(live, desired, primary.name),
        *health,
        *aurora_tls_findings(desired, live),
    ]
    plan = Plan(
        spec_files=[str(f) for f in files],
        primary=primary.name,
        primary_address=primary.address,
        cluster=cluster_key(desired.cluster),
        changes=changes,
        steps=steps,
        findings=findings,
        fingerprints=fingerprints(live, desired),
        checksums={k: v.checksum for k, v in sorted(live.checksums.items())},
        peers=peer_states,
        drift=drift_notes(live, desired),
        destructive=destructive_changes(changes, live),
        health=peer_differences(live, peer_states),
    )
    plan.steps = sort_steps(
        [*plan.steps, *layer_steps(live, desired, touched, set(heal), every_node)]
    )
    return PlanContext(plan, desired, secrets, primary, peers, live, target.written)


def _lagging(primary: Live, checksums: dict[str, ModuleChecksum]) -> bool:
    """A peer behind the primary (older epoch, other content) that is still catching up."""
    compared = compared_checksums(primary.variables)
    for name, mine in primary.checksums.items():
        theirs = checksums.get(name)
        if name not in compared:
            continue
        if theirs is None or theirs.checksum == mine.checksum:
            continue
        if theirs.epoch < mine.epoch and primary.clock - mine.epoch <= SETTLE_WINDOW_S:
            return True
    return False


SETTLE_WINDOW_S = 10


def read_peers(peers: list[Endpoint], primary: Live) -> list[PeerState]:
    """Every peer's checksums and build. A peer still pulling a LOAD the primary made in the
    last few seconds is given the propagation deadline to catch up before it is judged."""
    deadline = time.monotonic() + propagation_deadline(
        primary.variables, [m.keyword for m in MODULES]
    )
    states = []
    for endpoint in peers:
        with AdminConnection(endpoint) as conn:
            version = read_version(conn)
            checksums = read_checksums(conn)
            while _lagging(primary, checksums) and time.monotonic() < deadline:
                time.sleep(0.1)
                checksums = read_checksums(conn)
        states.append(
            PeerState(
                endpoint.name,
                endpoint.address,
                version,
                {k: (v.version, v.epoch, v.checksum) for k, v in checksums.items()},
            )
        )
    return states


def unsynced_peer_steps(
    desired: Desired,
    peers: list[Endpoint],
    secrets: SecretStore,
    planned: list[ModuleStep],
    every_node: frozenset[str],
) -> list[ModuleStep]:
    """Modules Cluster does not sync here (scheduler, REST API, firewall; every PostgreSQL
    module on ProxySQL 3.0.1): a peer whose memory differs from the spec is written by apply
    itself, node by node, even when the primary already matches. One step per module and
    phase a peer needs (a servers module's removals load after users and rules)."""
    tables = [t for t in managed_tables(desired) if t.module.keyword in every_node]
    modules = {t.module.keyword for t in tables}
    modules |= {variable_module(n).keyword for n in desired.variables} & every_node
    differing: dict[tuple[str, str], list[str]] = {}  # (module, phase): "peer (what differs)"
    for endpoint in peers if modules else []:
        with AdminConnection(endpoint) as conn:
            changes = ChangeSet()
            for table in tables:
                rows = read_rows(conn, table)
                changes.rows += diff_table(table, desired.rows(table.name), rows, secrets.resolve)
            if any(variable_module(n).keyword in modules for n in desired.variables):
                current = read_variables(conn, "global_variables")
                changes.variables = [
                    v
                    for v in diff_variables(desired, current, secrets.resolve)
                    if v.module in modules
                ]
        for step in order(changes, every_node):
            differing.setdefault((step.module, step.phase), []).append(
                f"{endpoint.name} ({_step_counts(step)})"
            )
    already = {(s.module, s.phase) for s in planned}
    return [
        ModuleStep(
            module,
            phase,
            True,
            load=False,
            save=False,
            reason=f"differs from the spec on {', '.join(peers_)}: apply writes each node",
        )
        for (module, phase), peers_ in sorted(differing.items())
        if (module, phase) not in already
    ]


_VERB = {"add": "to add", "change": "to change", "remove": "to destroy"}


def _step_counts(step: ModuleStep) -> str:
    """What a node's step writes, counted: `pgsql_users: 2 to add, 1 to destroy`."""
    counts: dict[str, dict[str, int]] = {}
    for batch in step.batches:
        done = counts.setdefault(batch.table, {})
        done[batch.action] = done.get(batch.action, 0) + len(batch.changes)
    parts = [
        f"{table}: " + ", ".join(f"{n} {_VERB.get(action, action)}" for action, n in done.items())
        for table, done in counts.items()
    ]
    if step.variables:
        parts.append(f"{len(step.variables)} variable(s) to set")
    return "; ".join(parts)


def never_written(desired: Desired) -> list[Finding]:
    """PXC144 at plan time: tables no command loads are not written at all."""
    return [
        Finding(
            "PXC144",
            Severity.WARNING,
            f"{t.name}: ProxySQL has no LOAD or SAVE command for it, so pxc does not write its "
            f"{len(desired.rows(t.name))} row(s) (they would never take effect)",
            "remove the section until a ProxySQL release can load it",
        )
        for t in TABLES
        if desired.manages(t.name) and not t.module.loadable
    ]


def layer_steps(
    live: Live, desired: Desired, touched: set[str], heal: set[str], every_node: frozenset[str]
) -> list[ModuleStep]:
    """LOAD or SAVE steps for managed modules whose memory matches the spec but whose
    runtime or disk does not match memory (an interrupted apply, a hand edit), and for
    same-second splits to heal. Without them, re-running apply would never converge."""
    steps = []
    variables = sorted(desired.variables)
    for keyword in [m.keyword for m in MODULES if m.loadable]:
        if keyword in touched:
            continue
        tables = [t for t in tables_of(keyword) if desired.manages(t.name)]
        names = [n for n in variables if variable_module(n).keyword == keyword]
        unloaded = any(table_unloaded(t, live) for t in tables) or bool(
            variables_unloaded(names, live)
        )
        unsaved = any(table_unsaved(t, live) for t in tables) or bool(
            variables_unsaved(names, live)
        )
        if keyword in heal:
            reason = "heal: LOAD again in a new second so every peer pulls it"
        elif unloaded:
            reason = "memory matches the spec but was not loaded to runtime"
        elif unsaved:
            reason = "runtime matches the spec but was not saved to disk"
        else:
            continue
        steps.append(
            ModuleStep(
                keyword,
                phase_of(keyword, []),
                keyword in every_node,
                load=keyword in heal or unloaded,
                save=True,
                reason=reason,
            )
        )
    return steps


def drift_notes(live: Live, desired: Desired) -> list[str]:
    """Live state reported, never planned: servers tables' runtime-only rows (the Monitor's
    moves, Aurora discovery) and servers not ONLINE at runtime."""
    notes = []
    for table in managed_tables(desired):
        memory = live.memory.get(table.name, [])
        runtime = live.runtime.get(table.name)
        if runtime is None or not table.monitor_topology:
            continue
        extra = runtime_only_rows(table, runtime, memory)
        if extra:
            notes.append(
                f"{table.name}: {len(extra)} runtime-only server row(s) (Monitor moves or "
                "discovery); not planned as changes"
            )
        written = {_key(table, r): str(table.value(r, "status") or "").upper() for r in memory}
        for r in runtime:
            status = str(table.value(r, "status") or "").upper()
            if status != written.get(_key(table, r), "ONLINE"):
                hg, host, port = _key(table, r)
                notes.append(f"{table.name}: {host}:{port} (hostgroup {hg}) is {status} at runtime")
    return notes


def _key(table: Table, row: Row) -> tuple[SqlValue, ...]:
    return tuple(table.value(row, c) for c in table.key)


def destructive_changes(changes: ChangeSet, live: Live) -> list[str]:
    """What apply asks `--allow-destructive` for: a user deleted, a hostgroup emptied of its
    servers (MySQL and PostgreSQL alike), the variables pxc reaches the nodes through."""
    out = []
    for users in (t for t in TABLES if t.split_flags):
        removed = [c for c in changes.rows if c.table == users.name and c.action == "remove"]
        # Counted once, not per removed user: 40,000 removals would otherwise take minutes.
        gone = Counter(c.key[0] for c in removed)
        held = Counter(users.value(r, "username") for r in live.memory.get(users.name, []))
        for change in removed:
            # Removing one of a user's rows while another stays (a node that took its users
            # from a peer's runtime holds a frontend and a backend row) does not delete it.
            name = change.key[0]
            if gone[name] < held[name]:
                continue
            out.append(f"deletes user {name!r} of {users.name} (backend={change.key[1]})")
    for servers in (t for t in TABLES if t.monitor_topology):
        rows = [c for c in changes.rows if c.table == servers.name]
        emptied: dict[SqlValue, int] = {}
        for change in rows:
            if change.action == "remove":
                emptied[change.key[0]] = emptied.get(change.key[0], 0) + 1
        added = {c.new.get("hostgroup_id") for c in rows if c.action == "add"}
        in_memory = Counter(
            servers.value(r, "hostgroup_id") for r in live.memory.get(servers.name, [])
        )
        for hg, count in sorted(emptied.items(), key=lambda item: str(item[0])):
            if in_memory[hg] - count <= 0 and hg not in added:
                out.append(
                    f"empties hostgroup {hg} of {servers.name} (all its servers are removed)"
                )
    for variable in changes.variables:
        if variable.name in ("admin-admin_credentials", "admin-mysql_ifaces"):
            out.append(f"changes {variable.name}, which pxc uses to reach the nodes")
    return out
