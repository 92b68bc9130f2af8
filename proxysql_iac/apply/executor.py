"""Execute a plan on the primary: DML, prove memory, LOAD once per module, prove runtime,
SAVE to disk, then wait for every peer. A failure before a module's LOAD puts that module's
memory rows back exactly as they were read."""

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from proxysql_iac.admin import sql
from proxysql_iac.admin.connection import AdminConnection, Endpoint, Row
from proxysql_iac.admin.layers import read_differences, read_seal, seal_entries, seal_of
from proxysql_iac.admin.live import (
    read_admin_sessions,
    read_checksums,
    read_memory_checksum,
    read_precise_clock,
    read_rows,
    read_rows_as,
    read_variables,
)
from proxysql_iac.apply import signals
from proxysql_iac.errors import AdminConnectionError, ApplyError, PxcError, StalePlanError
from proxysql_iac.plan.diff import ChangeSet, RowChange, diff_table, diff_variables
from proxysql_iac.plan.health import (
    cluster_can_sync,
    cluster_syncs,
    compared_checksums,
    propagation_deadline,
)
from proxysql_iac.plan.order import ModuleStep, order
from proxysql_iac.planning import PlanContext, managed_tables
from proxysql_iac.spec.compile import Value
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import MODULE_BY_KEYWORD, TABLE_BY_NAME, tables_of, variable_module
from proxysql_iac.spec.variables import is_secret_variable

Log = Callable[[str], None]
Progress = Callable[[str], None]  # a one-line status that replaces the previous one


# ProxySQL stamps a LOAD's epoch with time(NULL), the kernel's coarse clock, which lags the
# clock a query reads by up to a scheduler tick (1-10 ms): a LOAD sent 6 ms into a second by
# the node's query clock got the previous second on ProxySQL 2.7.1, 40 times out of 40.
EPOCH_CLOCK_SLACK_S = 0.05
# how long apply LOADs a module again when the node keeps stamping the previous second
SAME_SECOND_PATIENCE_S = 3.0


class LoadGuard(NamedTuple):
    """A module's checksum versions before its LOAD, and its latest epoch (0: no peer can
    hold an earlier LOAD of it)."""

    versions: dict[str, int]
    latest: int


@dataclass
class ModuleResult:
    module: str
    node: str
    statements: int
    not_taken: list[str] = field(default_factory=list)
    reason: str = ""
    loaded: bool = True
    saved: bool = True
    ms: float = 0.0

    def describe(self) -> str:
        done = " and ".join(w for w, did in (("LOADed", self.loaded), ("SAVEd", self.saved)) if did)
        return (
            f"{self.module} on {self.node}: {self.statements} statement(s), "
            f"{done or 'edited'} ({self.ms:.0f} ms)"
        )


@dataclass
class PeerConvergence:
    peer: str
    module: str
    seconds: float | None  # None: did not converge before the deadline


@dataclass
class ApplyReport:
    modules: list[ModuleResult] = field(default_factory=list)
    convergence: list[PeerConvergence] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # summaries, in the order sent
    lagging: list[str] = field(default_factory=list)  # peers that missed the deadline
    deadline_s: float = 0.0
    not_applied: list[str] = field(default_factory=list)  # steps that did not go live
    unknown: list[str] = field(default_factory=list)  # a LOAD sent, the node not asked since

    @property
    def writes(self) -> list[str]:
        """The statements that changed something: DML, LOAD and SAVE (reads left out)."""
        return [s for s in self.statements if not s.startswith("read ")]


class LoadOutcomeUnknown(ApplyError):
    """A LOAD was sent and its answer lost, and the node could not be asked whether it
    took: memory is left as the step wrote it (putting it back could leave runtime new and
    memory old), and pxc says it does not know."""


class Executor:
    def __init__(self, ctx: PlanContext, log: Log, progress: Progress | None = None) -> None:
        self.ctx = ctx
        self.log = log
        self.progress = progress or (lambda _text: None)  # a long apply shows where it is
        self.report = ApplyReport()
        self.mark = int(time.time())  # written into memory while a step edits it
        self.checked: set[str] = set()  # primary tables preflight found exactly as planned
        # (table, key) of rows a later step of this apply removes: still expected in memory
        self.pending: set[tuple[str, tuple[str | None, ...]]] = set()
        # sealable primary tables this apply LOADed, proven: memory checksum, and the
        # runtime checksum versions the LOAD gave (admin/layers.py)
        self.loaded: dict[str, tuple[str, dict[str, int]]] = {}
        # the node's admin sessions (admin/live.py) while this step's own was open
        self.sessions: int | None = None
        # the last primary step that went live (LOADed, proven, SAVEd)
        self.live_step: ModuleStep | None = None

    # -- values -----------------------------------------------------------------------
    def _sql_value(self, value: Value) -> sql.SqlValue:
        if value is None or isinstance(value, (str, int)):  # before the slow model check
            return value
        if isinstance(value, SecretRef):
            return self.ctx.secrets.resolve(value)
        return value

    def _statements(self, step: ModuleStep, changes: ChangeSet) -> list[sql.Statement]:
        out: list[sql.Statement] = []
        for batch in step.batches:
            table = TABLE_BY_NAME[batch.table]
            picked: list[RowChange] = [changes.rows[i] for i in batch.changes]
            if batch.action == "remove":
                out.append(sql.delete_rows(table.name, table.key, [c.key for c in picked]))
            elif batch.action == "add":
                names = table.column_names
                columns = [[c.new[name] for c in picked] for name in names]
                for index in table.secret_positions:  # only they may hold a reference
                    columns[index] = list(map(self._sql_value, columns[index]))
                rows = list(zip(*columns, strict=True))
                out.append(sql.insert_rows(table.name, names, rows))
            else:
                for c in picked:
                    updates = {k: self._sql_value(v) for k, v in c.new.items()}
                    out.append(sql.update_row(table.name, updates, table.key, c.key))
        for index in step.variables:
            variable = changes.variables[index]
            value = variable.new
            text = self.ctx.secrets.resolve(value) if isinstance(value, SecretRef) else value
            out.append(sql.set_variable(variable.name, text))
        return out

    # -- state capture and restore ----------------------------------------------------
    def _capture(
        self, conn: AdminConnection, step: ModuleStep, changes: ChangeSet, on_primary: bool
    ) -> dict[str, list[Row]]:
        """The memory rows to put back if anything fails before LOAD (the tables this step
        edits, exactly as they are now), and the tables known to be exactly as planned.

        On the primary, a table whose node-computed checksum `preflight` found unchanged
        since the plan is captured by the plan's own rows; others are read."""
        saved: dict[str, list[Row]] = {}
        live = self.ctx.live
        for name in sorted({b.table for b in step.batches}):
            table = TABLE_BY_NAME[name]
            if on_primary and name in self.checked:
                saved[name] = live.memory[name]
            else:
                saved[name] = read_rows(conn, table)
        if step.variables:
            names = [changes.variables[i].name for i in step.variables]
            current = read_variables(conn, "global_variables")
            saved["global_variables"] = [(n, current.get(n)) for n in names]
        return saved

    def _restore(
        self, endpoint: Endpoint, saved: dict[str, list[Row]], step: ModuleStep, changes: ChangeSet
    ) -> None:
        """Undo this step's DML: only the keys it touched are deleted and the rows captured
        for them put back, so a failure here never leaves a table emptied."""
        with self._reconnect(endpoint) as conn:
            for name, rows in saved.items():
                if name == "global_variables":
                    for var, value in rows:
                        if value is None:
                            conn.execute(sql.delete_variable(str(var)))
                        else:
                            conn.execute(sql.set_variable(str(var), str(value)))
                    continue
                table = TABLE_BY_NAME[name]
                touched = [
                    changes.rows[i].key for b in step.batches if b.table == name for i in b.changes
                ]
                wanted = {_text_key(k) for k in touched}
                index = [table.column_names.index(c) for c in table.key]
                before = [r for r in rows if _text_key(tuple(r[i] for i in index)) in wanted]
                for start in range(0, len(touched), 250):
                    conn.execute(sql.delete_rows(name, table.key, touched[start : start + 250]))
                for start in range(0, len(before), 250):
                    chunk = before[start : start + 250]
                    conn.execute(sql.insert_rows(name, table.column_names, list(chunk)))
                again: list[Row] = []
                for start in range(0, len(touched), 250):
                    again += conn.query(
                        sql.select_keys(
                            name,
                            table.column_names,
                            table.key,
                            touched[start : start + 250],
                            integers=table.integer_columns,
                        )
                    )
                if sorted(again, key=_sort_key) != sorted(before, key=_sort_key):
                    raise ApplyError(f"could not restore {name} exactly")
            conn.execute(sql.mark_apply(0))

    # -- verification -----------------------------------------------------------------
    def _verify_memory(
        self, conn: AdminConnection, step: ModuleStep, changes: ChangeSet, on_primary: bool
    ) -> None:
        """Prove, right before LOAD, that memory holds exactly the spec in every managed table
        of the module: each table this step edited is re-read whole and diffed; a table it did
        not edit is re-read too, unless its node-computed checksum is still the one read with
        the plan. Rows whose removal a later step of this apply makes are expected still.

        The node writes each column out as one text (`read_rows_as`): when they are, byte for
        byte, the texts of the spec's rows, memory holds exactly them, every value and type;
        otherwise the rows are read and diffed by meaning."""
        desired = self.ctx.desired
        resolve = self.ctx.secrets.resolve
        edited = {b.table for b in step.batches}
        for table in tables_of(step.module):
            name = table.name
            if not desired.manages(name):
                continue
            planned = self.ctx.live.memory_checksums.get(name)
            if on_primary and name not in edited and planned is not None:
                if read_memory_checksum(conn, table.checksum_command) != planned:
                    raise ApplyError(f"{name} changed on {self.ctx.primary.name} during apply")
                continue
            rows, _, same = read_rows_as(conn, table, self.ctx.written)
            if same:
                continue
            leftover = [
                c
                for c in diff_table(table, desired.rows(name), rows, resolve)
                if not (c.action == "remove" and (name, _text_key(c.key)) in self.pending)
            ]
            if leftover:
                first = leftover[0]
                raise ApplyError(
                    f"after editing {name}, memory does not equal the spec "
                    f"({len(leftover)} row(s) differ, e.g. {first.action} key {first.key!r})"
                )
        if step.variables:
            current = read_variables(conn, "global_variables")
            for index in step.variables:
                variable = changes.variables[index]
                want = variable.new
                text = self.ctx.secrets.resolve(want) if isinstance(want, SecretRef) else want
                if current.get(variable.name) != text:
                    raise ApplyError(
                        f"after editing, memory does not hold {variable.name} as written"
                    )

    def _verify_runtime(
        self, conn: AdminConnection, step: ModuleStep, changes: ChangeSet
    ) -> list[str]:
        """Every value ProxySQL did not take at LOAD (PXC114): memory equals the spec here, so
        whatever runtime lacks of memory's loadable rows was refused or skipped."""
        problems: list[str] = []
        if step.variables:
            runtime = read_variables(conn, "runtime_global_variables")
            for index in step.variables:
                variable = changes.variables[index]
                want = variable.new
                secret = isinstance(want, SecretRef) or is_secret_variable(variable.name)
                text = self.ctx.secrets.resolve(want) if isinstance(want, SecretRef) else want
                have = runtime.get(variable.name)
                if have != text:
                    shown = "" if secret else f": wrote {text!r}, runtime has {have!r}"
                    problems.append(f"PXC114 {variable.name} was not taken at LOAD{shown}")
        desired = self.ctx.desired
        for table in tables_of(step.module):
            if not desired.manages(table.name):
                continue
            missing = read_differences(conn, table, "runtime", both_ways=False)
            for side, *key in missing:
                if side == "memory":
                    problems.append(
                        f"PXC114 {table.name} row {tuple(key)!r} is not at runtime as written "
                        "(refused or skipped at LOAD)"
                    )
            refused = [c for c in table.reaches_runtime if c.refused]
            for row in desired.rows(table.name) if refused else ():
                for condition in refused:
                    value = row.values[condition.column]
                    if isinstance(value, SecretRef):
                        continue
                    if not condition.holds(value):
                        keys = tuple(row.values[c] for c in table.key)
                        problems.append(
                            f"PXC114 {table.name} row {keys!r} is not loaded: {condition.column} "
                            f"{value} (LOAD takes only {condition.describe()})"
                        )
        return problems

    # -- LOAD with the same-second guard ---------------------------------------------
    def _wait_for_new_second(self, conn: AdminConnection, step: ModuleStep) -> LoadGuard:
        """Wait (without polling the node) until a LOAD would get an epoch of its own, and
        return the module's checksum versions and latest epoch as they are before the LOAD.

        Epochs are whole seconds: a LOAD in the same second as one a peer has already pulled
        gets an equal epoch with a different checksum, and that peer never syncs it. The node
        stamps epochs with a clock that lags the one pxc reads (EPOCH_CLOCK_SLACK_S). A
        module still at version 1 has never been LOADed since the node started, and no peer
        pulls from a version-1 node: no wait; nor for a module no peer pulls (`every_node`).
        A checksum at version 0 is one the node does not keep (pgsql_variables on 3.0.1)."""
        names = MODULE_BY_KEYWORD[step.module].checksum_names
        sums = [s for n, s in read_checksums(conn).items() if n in names and s.version > 0]
        latest = 0
        if sums and not step.every_node and any(s.version > 1 for s in sums):
            latest = max(s.epoch for s in sums)
            wait = latest + 1 + EPOCH_CLOCK_SLACK_S - read_precise_clock(conn)
            if wait > 0:
                time.sleep(min(wait, 2.5))
        return LoadGuard({s.name: s.version for s in sums}, latest)

    def _in_a_second_of_its_own(
        self, conn: AdminConnection, endpoint: Endpoint, step: ModuleStep, guard: LoadGuard
    ) -> tuple[AdminConnection, dict[str, int] | None]:
        """After a LOAD that took (memory, runtime and disk new): prove it got a later epoch
        than the LOAD before it, or LOAD the same memory again until one does (a peer holding
        the previous LOAD never pulls one that shares its second). Returns the connection
        and the module's checksum versions after it; None when the proof could not be made
        (the node lost for good, or refusing): the step is live all the same, and its report
        says what is unproven (PXC100)."""
        if not guard.latest:
            return conn, {n: v + 1 for n, v in guard.versions.items()}
        deadline = time.monotonic() + SAME_SECOND_PATIENCE_S
        unproven = f"PXC100 LOAD {step.module} on {endpoint.name} went live, but"
        while True:
            try:
                sums = [s for n, s in read_checksums(conn).items() if n in guard.versions]
                versions = {s.name: s.version for s in sums}
                stamped = min((s.epoch for s in sums), default=0)
                if stamped > guard.latest:
                    return conn, versions
                if time.monotonic() > deadline:
                    self.report.modules[-1].not_taken.append(
                        f"{unproven} kept getting epoch {stamped}, the second of the LOAD "
                        "before it: a peer that holds that LOAD never pulls this one; run pxc "
                        "apply again in a while"
                    )
                    return conn, versions
                self.log(
                    f"{step.name} on {endpoint.name}: the node stamped its LOAD with second "
                    f"{stamped}, that of the LOAD before it; LOADing the same memory again"
                )
                time.sleep(4 * EPOCH_CLOCK_SLACK_S)
                conn.execute(sql.load_to_runtime(step.module))
            except PxcError as exc:
                failed = exc
                if isinstance(exc, AdminConnectionError) and time.monotonic() <= deadline:
                    try:
                        conn = self._replace(conn, endpoint)  # prove it on a new connection
                        continue
                    except PxcError as again:
                        failed = again
                self.report.modules[-1].not_taken.append(
                    f"{unproven} {failed}, so pxc could not prove it got an epoch second of its "
                    "own (a peer holding the LOAD before it would never pull it); run pxc plan "
                    "when the node answers"
                )
                return conn, None

    def _load(
        self, conn: AdminConnection, endpoint: Endpoint, step: ModuleStep, before: dict[str, int]
    ) -> tuple[AdminConnection, bool]:
        """Send the LOAD and know whether it took. A connection lost before its answer is
        opened again and the node is asked: a newer checksum version of the module (or,
        for modules without one, runtime equal to memory) means it took."""
        try:
            with signals.shielded():
                conn.execute(sql.load_to_runtime(step.module))
            return conn, True
        except AdminConnectionError:
            conn.close()
        # held off: a signal here would put memory back while the lost LOAD may still run
        unknown = LoadOutcomeUnknown(
            f"lost the connection to {endpoint.name} while its LOAD {step.module} ran, and "
            "cannot reach it again: whether the LOAD took is unknown (pxc does not guess); "
            "its memory holds the spec's rows and its disk is unchanged",
            "when the node answers, run pxc plan: it names the interrupted apply",
        )
        with signals.shielded():
            try:
                again = self._reconnect(endpoint)
            except AdminConnectionError:
                raise unknown from None
            try:
                took = self._took(again, step, before)
            except AdminConnectionError:
                again.close()
                raise unknown from None
            except BaseException:
                again.close()
                raise
        self.log(
            f"{step.name} on {endpoint.name}: the connection was lost while LOAD ran; "
            f"the node shows that it {'took' if took else 'did not take'}"
        )
        return again, took

    def _memory_checksums(self, conn: AdminConnection, module: str) -> dict[str, str]:
        """CHECKSUM MEMORY of the module's managed tables a layer seal covers."""
        return {
            t.name: read_memory_checksum(conn, t.checksum_command)
            for t in tables_of(module)
            if t.sealable and self.ctx.desired.manages(t.name)
        }

    def seal(self) -> None:
        """After the last step: write the layer seal of the primary's managed tables when
        each one's runtime is proven to be what LOAD made of its memory, by this apply's
        own LOAD or by the plan's comparison, and no LOAD or pull came after (the module's
        runtime checksum is still the one that proof saw). The seal only saves later plans
        a comparison: a node it cannot be written to is left without one."""
        live = self.ctx.live
        tables = [t for t in managed_tables(self.ctx.desired) if t.sealable]
        if not tables:
            return
        try:
            with AdminConnection(self.ctx.primary) as conn:
                runtime = read_checksums(conn)
                memory: dict[str, str] = {}
                for table in tables:
                    names = table.module.checksum_names
                    if table.name in self.loaded:
                        memory[table.name], versions = self.loaded[table.name]
                        if any(
                            runtime.get(n) is None or runtime[n].version != versions.get(n)
                            for n in names
                        ):
                            return
                    else:
                        memory[table.name] = live.memory_checksums.get(table.name, "")
                        if live.differences.get((table.name, "runtime"), [None]) or any(
                            runtime.get(n) != live.checksums.get(n) for n in names
                        ):
                            return
                entries = seal_entries(tables, memory, runtime)
                if entries and read_seal(conn) != seal_of(entries):
                    conn.execute(sql.write_layer_seal(seal_of(entries)))
        except PxcError:
            pass

    def _fewer_sessions(self, now: int | None) -> None:
        """The baseline is the lowest count seen while this step's connection was open: a
        session that was open once (a peer pulling) and has ended since would otherwise
        stand in for the lost one. It is a count, not the session itself: a session opened
        and one ended between two reads cancel out (docs/workflow.md)."""
        if now is not None and self.sessions is not None:
            self.sessions = min(self.sessions, now)

    def _replace(self, conn: AdminConnection, endpoint: Endpoint) -> AdminConnection:
        """A lost connection closed (what it sent kept for the report) and a new one."""
        conn.close()
        self.report.statements.extend(conn.sent)
        conn.sent.clear()  # recorded once, whoever closes it again
        return self._reconnect(endpoint)

    def _reconnect(self, endpoint: Endpoint) -> AdminConnection:
        """A new connection after this step's own was lost or closed, trusted only once the
        node shows that session ended: a statement it had already received still runs (one
        still on its way when the connection broke, say), and would overtake whatever pxc
        read or restored before. Without the node's count, or after the patience, pxc goes
        on and says so."""
        conn = connect_again(endpoint)
        if self.sessions is None:
            return conn
        deadline = time.monotonic() + LOST_SESSION_PATIENCE_S
        while True:
            try:
                now = read_admin_sessions(conn)
            except AdminConnectionError:
                # a read waits behind the statement the lost session runs (the node runs one
                # admin statement at a time) and can time out: ask again, until the patience
                conn.close()
                if time.monotonic() > deadline:
                    raise
                conn = connect_again(endpoint)
                continue
            except BaseException:
                conn.close()
                raise
            if now is None or now <= self.sessions:
                return conn
            if time.monotonic() > deadline:
                self.log(
                    f"{endpoint.name}: after {LOST_SESSION_PATIENCE_S:.0f} s the node still has "
                    "more admin sessions open than before the connection was lost; going on "
                    "without proof that the lost session's last statement has run"
                )
                return conn
            time.sleep(0.05)

    def _took(self, conn: AdminConnection, step: ModuleStep, before: dict[str, int]) -> bool:
        if before:
            now = {n: s.version for n, s in read_checksums(conn).items() if n in before}
            return any(now.get(n, 0) > v for n, v in before.items())
        tables = [t for t in tables_of(step.module) if self.ctx.desired.manages(t.name)]
        return not any(read_differences(conn, t, "runtime") for t in tables)

    # -- the run ------------------------------------------------------------------------
    def preflight(self) -> None:
        """Before the first write: every table the plan edits on the primary is still as it
        was read (node-computed checksums), so a stale plan stops with nothing written."""
        live = self.ctx.live
        tables = sorted(
            {b.table for s in self.ctx.plan.steps if not s.every_node for b in s.batches}
        )
        with AdminConnection(self.ctx.primary) as conn:
            for name in tables:
                planned = live.memory_checksums.get(name)
                if planned is None:
                    continue
                command = TABLE_BY_NAME[name].checksum_command
                if read_memory_checksum(conn, command) != planned:
                    raise StalePlanError(
                        f"{name} changed on {self.ctx.primary.name} since the plan was made; "
                        "nothing was written",
                        "plan again and review the new plan",
                    )
                self.checked.add(name)

    def run_step(self, step: ModuleStep) -> None:
        if step.every_node:
            # Cluster does not sync these modules: each node is diffed and written on its own,
            # the part of its changes that belongs to this step's phase.
            for endpoint in [self.ctx.primary, *self.ctx.peers]:
                with AdminConnection(endpoint) as conn:
                    changes = self._node_changes(conn, step.module)
                node_steps = order(changes, {step.module})
                mine = [s for s in node_steps if s.phase == step.phase]
                if mine:
                    outer = self.pending
                    self.pending = _removed_later(node_steps, step.phase, changes)
                    try:
                        self._run_on(endpoint, mine[0], changes)
                    finally:
                        self.pending = outer
                elif step.reason and (step.load or step.save) and endpoint == self.ctx.primary:
                    self._run_on(endpoint, step, changes)  # the primary's own lagging layers
            return
        self._run_on(self.ctx.primary, step, self.ctx.plan.changes)

    def _node_changes(self, conn: AdminConnection, module: str) -> ChangeSet:
        """The spec against one node's memory, for one module."""
        desired, resolve = self.ctx.desired, self.ctx.secrets.resolve
        changes = ChangeSet()
        for table in tables_of(module):
            if desired.manages(table.name):
                rows = read_rows(conn, table)
                changes.rows.extend(diff_table(table, desired.rows(table.name), rows, resolve))
        if any(variable_module(n).keyword == module for n in desired.variables):
            current = read_variables(conn, "global_variables")
            changes.variables = diff_variables(desired, current, resolve, module)
        return changes

    def _run_on(self, endpoint: Endpoint, step: ModuleStep, changes: ChangeSet) -> None:
        """One step on one node. Until the LOAD's answer, any failure or signal puts the
        step's memory rows back (module wholly old); after it, the SAVE follows whatever
        comes (module wholly new)."""
        started = time.monotonic()
        statements = self._statements(step, changes)
        on_primary = endpoint == self.ctx.primary
        where = f"{step.name} on {endpoint.name}"
        conn = AdminConnection(endpoint)
        live: ModuleResult | None = None
        versions: dict[str, int] | None = None
        try:
            saved: dict[str, list[Row]] | None = None
            loaded = False
            try:
                self.sessions = None
                self.sessions = read_admin_sessions(conn)
                if statements:
                    saved = self._capture(conn, step, changes, on_primary)
                    _send(conn, sql.mark_apply(self.mark))
                    for number, statement in enumerate(statements, start=1):
                        self.progress(f"{where}: statement {number} of {len(statements)}")
                        _send(conn, statement)
                    self.progress(f"{where}: proving memory equals the spec")
                    self._verify_memory(conn, step, changes, on_primary)
                sealing: dict[str, str] = {}
                if step.load:
                    self.progress(f"{where}: LOAD and verify runtime")
                    guard = self._wait_for_new_second(conn, step)
                    self._fewer_sessions(read_admin_sessions(conn))
                    if on_primary and not step.every_node:
                        sealing = self._memory_checksums(conn, step.module)
                    conn, loaded = self._load(conn, endpoint, step, guard.versions)
                    if not loaded:
                        raise ApplyError(f"LOAD {step.module} did not take on {endpoint.name}")
            except LoadOutcomeUnknown:
                self.report.unknown.append(f"{step.name} on {endpoint.name}")
                raise
            except BaseException as exc:
                if saved is not None and not loaded:
                    conn.close()  # its session must end before the restore can trust a read
                    self._undo(endpoint, saved, step, changes, exc)
                raise
            with signals.shielded():  # runtime is new: disk follows, whatever comes
                conn = self._finish(conn, endpoint, step, changes, len(statements))
                # Live from here: what follows proves more, and whatever comes (a lost node,
                # a signal held until the shield ends) the report says the step went live.
                live = self.report.modules[-1]
                if not step.every_node:
                    self.live_step = step
                if step.load:
                    conn, versions = self._in_a_second_of_its_own(conn, endpoint, step, guard)
            # memory as it was at LOAD, runtime as that LOAD made it (and proved)
            if sealing and versions is not None and not live.not_taken:
                with contextlib.suppress(PxcError):  # unsealed: later plans compare layers
                    if self._memory_checksums(conn, step.module) == sealing:
                        self.loaded.update({t: (m, versions) for t, m in sealing.items()})
        finally:
            conn.close()
            self.report.statements.extend(conn.sent)
            if live is not None:
                live.ms = (time.monotonic() - started) * 1000
                self.log(live.describe())
                for problem in live.not_taken:
                    self.log(problem)

    def _finish(
        self,
        conn: AdminConnection,
        endpoint: Endpoint,
        step: ModuleStep,
        changes: ChangeSet,
        sent: int,
    ) -> AdminConnection:
        """After the LOAD: prove runtime, SAVE, clear the mark (once more on a new
        connection if this one is lost: the step must not stop half-saved)."""
        for attempt in (1, 2):
            try:
                problems = self._verify_runtime(conn, step, changes) if step.load else []
                if step.save:
                    conn.execute(sql.save_to_disk(step.module))
                if sent:
                    conn.execute(sql.mark_apply(0))
                self.report.modules.append(
                    ModuleResult(
                        step.name,
                        endpoint.name,
                        sent,
                        problems,
                        step.reason,
                        loaded=step.load,
                        saved=step.save,
                    )
                )
                return conn
            except AdminConnectionError:
                if attempt == 2:
                    raise
                conn = self._replace(conn, endpoint)
        raise AssertionError("unreachable")

    def _undo(
        self,
        endpoint: Endpoint,
        saved: dict[str, list[Row]],
        step: ModuleStep,
        changes: ChangeSet,
        exc: BaseException,
    ) -> None:
        """Put the step's memory back, with signals held off; raise what explains it."""
        if isinstance(exc, signals.Interrupted):
            reason = f"interrupted by {exc.name}"
        else:
            reason = exc.message if isinstance(exc, PxcError) else type(exc).__name__
        self.log(f"{step.name} on {endpoint.name}: {reason}; putting its memory back")
        with signals.shielded():
            try:
                self._restore(endpoint, saved, step, changes)
            except PxcError as restore_exc:
                raise ApplyError(
                    f"{step.module} failed on {endpoint.name} before LOAD ({reason}) and its "
                    f"memory could not be put back ({restore_exc.message}). Runtime and disk "
                    "are unchanged, memory is not: do not LOAD it by hand; run pxc apply "
                    "again (pxc plan names the interrupted apply)"
                ) from None
        self.log(f"{step.name} on {endpoint.name}: memory put back; runtime and disk unchanged")
        if isinstance(exc, Exception) and not isinstance(exc, ApplyError):
            raise ApplyError(
                f"{step.module} failed on {endpoint.name} before LOAD: {reason}; its memory "
                "was put back exactly as it was and its runtime and disk are unchanged"
            ) from None

    def _cluster_settings(self) -> dict[str, str]:
        """The primary's variables as this apply leaves them."""
        settings = dict(self.ctx.live.variables)
        settings.update({n: v.text or "" for n, v in self.ctx.desired.variables.items()})
        return settings

    def converge(
        self, modules: list[str], deadline_s: float, progress: Progress | None = None
    ) -> None:
        """Poll every peer until each touched synced module's checksum matches the primary's.
        Peers that do not match by the deadline are left in `report.lagging`."""
        settings = self._cluster_settings()
        synced = []
        for keyword in dict.fromkeys(modules):
            module = MODULE_BY_KEYWORD[keyword]
            if cluster_syncs(keyword, settings):
                synced.append(module)
            elif cluster_can_sync(keyword, settings) and self.ctx.peers:
                self.log(
                    f"{keyword}: not synced by ProxySQL Cluster with these settings "
                    "(diffs_before_sync 0 or its checksum off): peers are not waited for"
                )
        if not synced or not self.ctx.peers:
            return
        compared = compared_checksums(self.ctx.live.variables)
        wanted_names = {n for m in synced for n in m.checksum_names if n in compared}
        with AdminConnection(self.ctx.primary) as conn:
            primary = read_checksums(conn)
        start = time.monotonic()
        pending = {(p.name, n) for p in self.ctx.peers for n in wanted_names}
        # Connected lazily and again after a drop: a peer that is down or restarting is
        # reported as lagging (exit 3), never as an error of the apply itself.
        conns: dict[str, AdminConnection] = {}
        try:
            while pending and time.monotonic() - start < deadline_s:
                for peer in self.ctx.peers:
                    peer_name = peer.name
                    names = [n for (p, n) in pending if p == peer_name]
                    if not names:
                        continue
                    try:
                        if peer_name not in conns:
                            conns[peer_name] = AdminConnection(peer, timeout=2)
                        sums = read_checksums(conns[peer_name])
                    except AdminConnectionError:
                        stale = conns.pop(peer_name, None)
                        if stale is not None:
                            stale.close()
                        continue
                    for name in names:
                        if (
                            name in sums
                            and name in primary
                            and sums[name].checksum == primary[name].checksum
                        ):
                            pending.discard((peer_name, name))
                            self.report.convergence.append(
                                PeerConvergence(peer_name, name, time.monotonic() - start)
                            )
                if pending:
                    if progress is not None:
                        waiting = sorted({p for p, _ in pending})
                        progress(
                            f"waiting for {', '.join(waiting)} to match the primary "
                            f"({time.monotonic() - start:.1f}s of {deadline_s:.0f}s)"
                        )
                    time.sleep(0.05)
        finally:
            for conn in conns.values():
                conn.close()
        for peer_name, name in sorted(pending):
            self.report.convergence.append(PeerConvergence(peer_name, name, None))
        self.report.lagging = sorted({p for p, _ in pending})
        self.report.deadline_s = deadline_s


def _text_key(key: tuple[sql.SqlValue, ...]) -> tuple[str | None, ...]:
    return tuple(None if v is None else str(v) for v in key)


def _sort_key(row: Row) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, str(v)) for v in row)


def stale_reasons(
    ctx: PlanContext, recorded: dict[str, str], checksums: dict[str, str]
) -> list[str]:
    reasons = []
    for name, value in sorted(recorded.items()):
        now = ctx.plan.fingerprints.get(name)
        if now != value:
            reasons.append(f"{name} changed since the plan was made")
    compared = compared_checksums(ctx.live.variables)
    for name, value in sorted(checksums.items()):
        if name not in compared:
            continue  # the Monitor moves runtime mysql_servers on its own
        now = ctx.plan.checksums.get(name)
        if now is not None and now != value:
            reasons.append(f"runtime checksum of {name} changed since the plan was made")
    return reasons


RECONNECT_PATIENCE_S = 20.0  # a node that restarts (from its disk) is back within this
# how long a lost session may take to end on the node (its last statement a LOAD of a large
# table), and what a peer's new session mistaken for it can cost
LOST_SESSION_PATIENCE_S = 15.0


def connect_again(endpoint: Endpoint, patience_s: float | None = None) -> AdminConnection:
    """A new connection after one was lost, waiting a little for a node that restarts
    (RECONNECT_PATIENCE_S unless told)."""
    deadline = time.monotonic() + (RECONNECT_PATIENCE_S if patience_s is None else patience_s)
    while True:
        try:
            return AdminConnection(endpoint, timeout=2)
        except AdminConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _send(conn: AdminConnection, statement: sql.Statement) -> None:
    """One statement, its answer read before any signal is acted on."""
    with signals.shielded():
        conn.execute(statement)


def _removed_later(
    steps: list[ModuleStep], phase: str, changes: ChangeSet
) -> set[tuple[str, tuple[str | None, ...]]]:
    """(table, key) of the rows a later phase's step of the module removes: memory still
    holds them when this step is proven."""
    return {
        (b.table, _text_key(changes.rows[i].key))
        for s in steps
        if s.phase > phase
        for b in s.batches
        if b.action == "remove"
        for i in b.changes
    }


def seal_unchanged(ctx: PlanContext) -> None:
    """An apply with nothing to change still writes the layer seal its plan proved (after a
    LOAD or SAVE by hand of unchanged memory, plans compare the layers again until then)."""
    Executor(ctx, lambda _text: None).seal()


def execute(
    ctx: PlanContext,
    log: Log,
    *,
    wait: bool = True,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> ApplyReport:
    """Run the plan's steps in order, then wait for the peers. On a failure or a signal,
    `report.not_applied` names the steps that did not go live, and the exception carries
    the report (`report` attribute)."""
    executor = Executor(ctx, log, progress)
    current = 0
    try:
        executor.preflight()
        for current, step in enumerate(ctx.plan.steps):
            later = [s for s in ctx.plan.steps[current + 1 :] if s.module == step.module]
            executor.pending = _removed_later(later, step.phase, ctx.plan.changes)
            executor.run_step(step)
        current = len(ctx.plan.steps)
        executor.seal()
        if wait:
            touched = [s.module for s in ctx.plan.steps]
            # The spec's own cluster settings take effect with this apply: they set the pace.
            settings = executor._cluster_settings()
            deadline = timeout if timeout is not None else propagation_deadline(settings, touched)
            executor.converge(touched, deadline, progress)
    except BaseException as exc:
        unknown = isinstance(exc, LoadOutcomeUnknown)  # the current step: neither
        live = current < len(ctx.plan.steps) and executor.live_step is ctx.plan.steps[current]
        executor.report.not_applied += [
            s.title for s in ctx.plan.steps[current + (unknown or live) :]
        ]
        exc.report = executor.report  # type: ignore[attr-defined]
        raise
    return executor.report
