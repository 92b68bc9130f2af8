"""Nothing is half-applied: a connection cut, a signal or a crash at any statement of an
apply leaves each module wholly old or wholly new, pxc says what went live, and a re-run
converges with an empty plan after it.

Every test here runs the same way on the sandbox and on a real ProxySQL started by the
suite (PXC_TEST_SERVER=real): a relay (tests/relay.py) between pxc and one node cuts the
connection or signals pxc at exactly the N-th statement, and a node of our own can be
killed and booted again from a saved disk.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxysql_iac.apply import executor
from proxysql_iac.sandbox import Sandbox
from proxysql_iac.sandbox.node import ADMIN_THREAD_STACK
from tests.integration.conftest import cluster_block, rows, run_pxc
from tests.realserver import RealCluster
from tests.relay import Relay

Node = tuple[str, int, str, str]
SECRET = "r3liable-S3cret"

OLD = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1}
  - {hostgroup_id: reader, hostname: db2}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
mysql_variables:
  max_connections: 2048
"""
NEW = """
hostgroups: {writer: 10, reader: 20, reporting: 30}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1}
  - {hostgroup_id: reader, hostname: db3}
  - {hostgroup_id: reporting, hostname: db4}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
  - {username: reports, password: {env: PXC_TEST_APP_PW}, default_hostgroup: reporting}
mysql_variables:
  max_connections: 3000
"""
# The documented in-between state of one apply that adds and removes servers: the servers
# module LOADs twice (additions before users move onto them, removals after), so between
# the two it holds the old and the new servers.
MID = OLD.replace(
    "  - {hostgroup_id: reader, hostname: db2}\n",
    "  - {hostgroup_id: reader, hostname: db2}\n  - {hostgroup_id: reader, hostname: db3}\n"
    "  - {hostgroup_id: reporting, hostname: db4}\n",
).replace("{writer: 10, reader: 20}", "{writer: 10, reader: 20, reporting: 30}")

MODULES = {
    "MYSQL SERVERS": "SELECT * FROM {}mysql_servers ORDER BY 1,2",
    "MYSQL USERS": "SELECT * FROM {}mysql_users ORDER BY 1,2",
    "MYSQL VARIABLES": (
        "SELECT variable_value FROM {}global_variables WHERE variable_name='mysql-max_connections'"
    ),
}


@dataclass
class LoneNode:
    """One admin node of our own (no peers), reached by pxc through a relay."""

    endpoint: Node
    disk_file: Path
    kill: Callable[[], None]  # no chance to save anything
    start: Callable[[], None]  # from the disk file
    relay: Relay

    @property
    def via_relay(self) -> Node:
        host, _, user, password = self.endpoint
        return (host, self.relay.port, user, password)

    def boot(self, disk: Path) -> None:
        """Kill the node and boot it from `disk` (a saved proxysql.db): an exact reset."""
        self.kill()
        shutil.copyfile(disk, self.disk_file)
        self.start()

    def save_disk(self, to: Path) -> None:
        self.kill()
        shutil.copyfile(self.disk_file, to)
        self.start()


@pytest.fixture
def lone_node(proxysql_cluster, tmp_path: Path) -> Iterator[LoneNode]:  # type: ignore[no-untyped-def]
    if proxysql_cluster.sandbox is not None:
        with Sandbox(nodes=1, data_dir=str(tmp_path / "sandbox")) as sb:
            handle = sb.node(1)
            endpoint = sb.endpoints("radmin", "radmin")[0]
            relay = Relay(endpoint[:2])
            try:
                yield LoneNode(
                    endpoint,
                    Path(handle.data_dir) / "proxysql.db",
                    handle.stop,
                    handle.start,
                    relay,
                )
            finally:
                relay.close()
    elif proxysql_cluster.real is not None:
        binary = proxysql_cluster.real.binary
        with RealCluster(binary, tmp_path / "real", size=1) as cluster:
            node = cluster.nodes[0]
            relay = Relay(node.endpoint[:2])

            def start() -> None:
                node.start(binary)
                _own_monitor_connected(node.endpoint)

            try:
                yield LoneNode(
                    node.endpoint, node.data_dir / "proxysql.db", node.kill, start, relay
                )
            finally:
                relay.close()
    else:
        pytest.skip("needs ProxySQL processes this run started (PXC_TEST_SERVER=real)")


def _own_monitor_connected(node: Node, patience_s: float = 30.0) -> None:
    """A real node lists itself in proxysql_servers: its Cluster monitor opens an admin
    session on it a moment after start, and keeps it. Wait for it, so that the sessions
    pxc counts to see a lost one end (Executor._reconnect) do not grow in the middle of an
    apply: one more session than at the step's start reads as the lost one still there."""
    deadline = time.monotonic() + patience_s
    query = (
        "SELECT Variable_Value FROM stats_memory_metrics "
        "WHERE Variable_Name='stack_memory_admin_threads'"
    )
    while True:
        ((stack,),) = rows(node, query)
        # this probe's own session and the monitor's
        if int(str(stack)) >= 2 * ADMIN_THREAD_STACK or time.monotonic() > deadline:
            return
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", SECRET)


def _spec(path: Path, node: Node, body: str) -> Path:
    # plaintext: the relay counts statements, which it cannot see inside TLS
    path.write_text("version: 1\n" + cluster_block([node], tls="{mode: disabled}") + body)
    return path


def whole_state(node: Node) -> dict[str, tuple[object, ...]]:
    """Per module, its memory, runtime and disk together: one value."""
    return {
        module: tuple(
            tuple(rows(node, query.format(layer))) for layer in ("main.", "runtime_", "disk.")
        )
        for module, query in MODULES.items()
    }


@dataclass
class States:
    old: dict[str, tuple[object, ...]]
    mid: dict[str, tuple[object, ...]]
    new: dict[str, tuple[object, ...]]
    disk: Path  # the node's disk holding OLD

    def allowed(self, module: str) -> list[tuple[object, ...]]:
        return [self.old[module], self.new[module], self.mid[module]]


@pytest.fixture
def states(lone_node: LoneNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> States:
    node = lone_node.endpoint
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", node[3])
    for name, body in (("old", OLD), ("mid", MID), ("new", NEW)):
        _spec(tmp_path / f"{name}.yaml", lone_node.via_relay, body)
    found = {}
    disk = tmp_path / "old-proxysql.db"
    for name in ("old", "mid", "new"):
        code, out = run_pxc("apply", str(tmp_path / f"{name}.yaml"), "--auto-approve")
        assert code == 0, out
        found[name] = whole_state(node)
        if name == "old":
            lone_node.save_disk(disk)
        else:
            lone_node.boot(disk)
    assert found["old"] != found["new"]
    # MID holds the old and the new servers, with the old users and variables: only its
    # servers module is a state an interrupted OLD -> NEW apply may be left in.
    mid = dict(found["old"], **{"MYSQL SERVERS": found["mid"]["MYSQL SERVERS"]})
    return States(found["old"], mid, found["new"], disk)


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "LOAD", "SAVE", "PRAGMA MAIN.USER")


def _count(lone_node: LoneNode, *args: str) -> int:
    lone_node.relay.count_only()
    code, out = run_pxc(*args)
    assert code in (0, 2), (code, out[-3000:])
    return lone_node.relay.commands


def _assert_whole(lone_node: LoneNode, states: States, where: object) -> None:
    for module, value in whole_state(lone_node.endpoint).items():
        assert value in states.allowed(module), (where, module)


def _converges(lone_node: LoneNode, spec: Path, states: States, where: object) -> None:
    lone_node.relay.count_only()
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, (where, out)
    assert whole_state(lone_node.endpoint) == states.new, where
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0, (where, out)


@pytest.mark.parametrize("cut", ["cut", "cut_after", "late"])
def test_connection_cut_at_every_statement_leaves_each_module_wholly_old_or_new(
    lone_node: LoneNode, states: States, tmp_path: Path, cut: str
) -> None:
    """A cut before a statement reaches the node ("cut"), after it ran but before its
    answer ("cut_after"), and while it is still on its way, so that it runs only after pxc
    has reconnected and read the node ("late"), at every statement index of a three-module
    apply (every write after "cut"; each step's first write and LOAD when "late").

    Checked by breaking the code on purpose: with `Executor._restore` made a no-op, or with
    the epoch wait and LOAD moved back outside the restore block, this test fails (memory
    left new while runtime is old); "late" fails when pxc trusts what it reads on a new
    connection before the node shows the lost session ended (`Executor._reconnect`)."""
    new = tmp_path / "new.yaml"
    lone_node.boot(states.disk)
    reads = _count(lone_node, "plan", str(new))
    lone_node.boot(states.disk)
    total = _count(lone_node, "apply", str(new), "--auto-approve")
    statements = list(lone_node.relay.log)
    lone_node.boot(states.disk)
    assert _count(lone_node, "apply", str(new), "--auto-approve") == total  # deterministic
    # every statement of the apply proper; of its plan's reads (which write nothing), the
    # first and the last. After a statement has run, only a write can leave a new state.
    indexes = [0, reads - 1, *range(reads, total)]
    if cut != "cut":
        indexes = [i for i in indexes if statements[i].upper().startswith(WRITES)]
        assert len(indexes) >= 10, statements
    if cut == "late":  # each step's first row edit (a restore must wait for it) and LOAD
        edits = [i for i in indexes if statements[i].upper().startswith(WRITES[:4])]
        firsts = [i for i in edits if i - 1 not in edits]
        loads = [i for i in indexes if statements[i].upper().startswith("LOAD")]
        indexes = sorted(firsts + loads)
        assert len(firsts) >= 2 and len(loads) >= 3, statements
    named: set[str] = set()
    for index in indexes:
        lone_node.boot(states.disk)
        lone_node.relay.arm(index, cut)  # type: ignore[arg-type]
        code, out = run_pxc("apply", str(new), "--auto-approve")
        assert lone_node.relay.fired, index
        assert SECRET not in out
        assert "without proof" not in out, (index, out)  # the lost session was seen to end
        _assert_whole(lone_node, states, (index, code, out))
        if code == 0:  # pxc finished the step on a new connection: it must all be new
            assert whole_state(lone_node.endpoint) == states.new, (index, out)
        elif index >= reads:
            assert "Went live:" in out and "Did not go live:" in out, (index, out)
            steps = _steps_in_outcome(out)
            assert len(steps) == len(set(steps)), (index, out)  # each step named once
            named.update(steps)
            not_live = _not_live(out)
            for line in out.splitlines():  # memory put back: a step the outcome calls not live
                if line.endswith("; putting its memory back"):
                    assert line.split(" on node1: ")[0] in not_live, (index, out)
        _converges(lone_node, new, states, index)
    if cut == "cut":  # the servers module LOADs twice: the report tells its steps apart
        assert {"MYSQL SERVERS", "MYSQL SERVERS (removals)"} <= named, named


def _steps_in_outcome(out: str) -> list[str]:
    """The steps an apply's outcome names, under "Went live:", "Did not go live:" and
    "Unknown ...": a module, and which of its steps when it has two."""
    steps = []
    outcome = out[out.index("Went live:") :].splitlines()
    for line in outcome[1:]:
        if line.startswith("  "):
            steps.append(line.strip().split(" on ")[0])
        elif not line.startswith(("Did not go live:", "Unknown (")):
            break
    return steps


def test_a_load_whose_answer_is_lost_with_the_node_then_out_of_reach_is_reported_unknown(
    lone_node: LoneNode, states: States, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The node runs the first LOAD, its answer is lost, and the node cannot be reached
    again: pxc does not know whether the LOAD took, so it neither puts memory back (which
    could leave runtime new under old memory) nor claims the module did not go live. It says
    it does not know; the module is as the LOAD left it, disk old; a re-run converges."""
    new = tmp_path / "new.yaml"
    lone_node.boot(states.disk)
    _count(lone_node, "apply", str(new), "--auto-approve")
    statements = list(lone_node.relay.log)
    index = next(i for i, s in enumerate(statements) if s.upper().startswith("LOAD"))
    module = statements[index][len("LOAD ") : -len(" TO RUNTIME")].upper()
    lone_node.boot(states.disk)
    lone_node.relay.arm(index, "cut_after", refuse_after=True)
    monkeypatch.setattr(executor, "RECONNECT_PATIENCE_S", 1.0)  # how long "out of reach" is
    code, out = run_pxc("apply", str(new), "--auto-approve")
    assert code == 1, out
    assert "whether the LOAD took is unknown (pxc does not guess)" in out, out
    unknown = out.split("Unknown (LOAD sent, the node could not be asked whether it took):")
    assert len(unknown) == 2 and unknown[1].split("\n")[1] == f"  {module} on node1", out
    assert f"  {module}\n" not in out.split("Did not go live:")[1], out
    found = whole_state(lone_node.endpoint)
    memory, runtime, _ = states.new[module]
    assert found.pop(module) == (memory, runtime, states.old[module][2])
    assert found == {m: v for m, v in states.old.items() if m != module}
    _converges(lone_node, new, states, "unknown")


@pytest.mark.parametrize("proof", ["epoch", "seal"])
def test_the_node_lost_after_a_step_went_live_is_reported_live(
    lone_node: LoneNode, states: States, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, proof: str
) -> None:
    """A step's LOAD and SAVE took, and the node is lost for good when pxc reads it again
    to prove more: that the LOAD got an epoch second of its own (the servers module's second
    LOAD, a moment after its first), or the layer seal's memory checksum (the users step).
    The step is live, and the report says so: never under "Did not go live". A lost epoch
    proof is named (PXC100); a lost seal costs later plans a layer comparison, nothing to
    say. Each module is wholly old or new, and a re-run converges."""
    new = tmp_path / "new.yaml"
    lone_node.boot(states.disk)
    lone_node.relay.count_only()
    code, clean = run_pxc("apply", str(new), "--auto-approve", "--verbose")
    assert code == 0, clean
    statements = [s.upper() for s in lone_node.relay.log]
    # the first read after a step's SAVE and the mark's removal, before the next step
    after_save = [
        i
        for i in range(2, len(statements))
        if statements[i - 2].startswith("SAVE")
        and statements[i - 1] == "PRAGMA MAIN.USER_VERSION=0"
    ]
    read = "RUNTIME_CHECKSUMS_VALUES" if proof == "epoch" else "CHECKSUM MEMORY"
    index = next(i for i in after_save if read in statements[i])
    module, step = {
        "epoch": ("MYSQL SERVERS", "MYSQL SERVERS (removals)"),
        "seal": ("MYSQL USERS", "MYSQL USERS"),
    }[proof]
    assert statements[index - 2] == f"SAVE {module} TO DISK", statements[index - 2 : index + 1]
    lone_node.boot(states.disk)
    lone_node.relay.arm(index, "cut", refuse_after=True)
    monkeypatch.setattr(executor, "RECONNECT_PATIENCE_S", 1.0)  # how long "out of reach" is
    code, out = run_pxc("apply", str(new), "--auto-approve", "--verbose")
    assert lone_node.relay.fired
    assert code == 1, out
    found = whole_state(lone_node.endpoint)
    if proof == "epoch":  # the last step: the apply ran to its end, and says what is unproven
        assert f"{step} on node1: 1 statement(s), LOADed and SAVEd" in out, out
        assert f"PXC100 LOAD {module} on node1 went live, but cannot connect" in out, out
        assert "apply finished with 1 problem (above)" in out, out
        assert "Did not go live" not in out, out
        assert _sent(out) == _sent(clean), out  # every write reported, and once
        assert found == states.new
    else:  # the next step cannot reach the node: the outcome lists it, and only it
        went_live = out.split("Went live:")[1].split("Did not go live:")[0]
        assert f"  {step} on node1: " in went_live and "PXC100" not in out, out
        assert _not_live(out) == ["MYSQL SERVERS (removals)"], out
        assert "`pxc plan` shows what is left, `pxc apply` finishes it." in out, out
        sent = _sent(out)  # -v lists what was sent even when the apply fails
        assert sent and sent == _sent(clean)[: len(sent)], out
        assert found["MYSQL USERS"] == states.new["MYSQL USERS"]
        assert found["MYSQL SERVERS"] == states.mid["MYSQL SERVERS"]
    _converges(lone_node, new, states, proof)


def _not_live(out: str) -> list[str]:
    """The steps an apply's outcome lists under "Did not go live:"."""
    steps = []
    for line in out.split("Did not go live:")[1].splitlines()[1:]:
        if not line.startswith("  ") or line.strip().startswith("hint:"):
            break
        steps.append(line.strip())
    return steps


def _sent(out: str) -> list[str]:
    """The writes `pxc apply --verbose` reports it sent."""
    return [line.strip() for line in out.splitlines() if line.startswith("  sent: ")]


def test_a_lost_session_the_node_still_counts_costs_the_patience_and_is_said(
    lone_node: LoneNode, states: States, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks at the first row edit, and the node keeps the lost session
    open (it never learned the connection died): its count of admin sessions stays above
    what the step saw. pxc waits its patience for the session to end, then goes on and says
    it has no proof that the lost session's last statement ran; each module is still wholly
    old or new, and a re-run converges."""
    new = tmp_path / "new.yaml"
    lone_node.boot(states.disk)
    _count(lone_node, "apply", str(new), "--auto-approve")
    statements = list(lone_node.relay.log)
    index = next(i for i, s in enumerate(statements) if s.upper().startswith(WRITES[:4]))
    lone_node.boot(states.disk)
    lone_node.relay.arm(index, "stall")
    monkeypatch.setattr(executor, "LOST_SESSION_PATIENCE_S", 1.0)
    code, out = run_pxc("apply", str(new), "--auto-approve")
    assert lone_node.relay.fired
    assert SECRET not in out
    said = "more admin sessions open than before the connection was lost; going on without proof"
    assert said in out.replace("\n", " "), out
    _assert_whole(lone_node, states, ("stall", code, out))
    _converges(lone_node, new, states, "stall")


def _pxc_process(
    args: list[str], env: dict[str, str], ignoring: tuple[int, ...] = ()
) -> tuple[subprocess.Popen[str], Callable[[int], Callable[[], None]]]:
    """pxc as its own process, and a factory of callbacks that signal it. It starts with the
    signals apply handles at their defaults, as a terminal starts it, whatever this process
    inherited (a shell's background job, such as CI's real-server run, ignores SIGINT), but
    for `ignoring`, set to be ignored (as `nohup` does with SIGHUP)."""

    def ignore() -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN if signum in ignoring else signal.SIG_DFL)

    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pxc")), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        preexec_fn=ignore,
    )

    def sender(signum: int) -> Callable[[], None]:
        return lambda: process.send_signal(signum)

    return process, sender


LARGE_USERS = 3000  # twelve INSERT batches


def _large(path: Path, node: Node) -> Path:
    users = "".join(
        f"  - {{username: u{i:05d}, password: p{i}, default_hostgroup: 10}}\n"
        for i in range(LARGE_USERS)
    )
    head, _, tail = OLD.partition("mysql_variables:")
    return _spec(path, node, head + users + "mysql_variables:" + tail)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_at_many_points_of_a_large_apply_restores_or_finishes_each_module(
    lone_node: LoneNode, states: States, tmp_path: Path, signum: int
) -> None:
    """SIGTERM (what `kill`, a CI job cancel and Kubernetes send), SIGINT and SIGHUP alike:
    exit 128 + the signal, each module wholly old or new, the steps that went live named."""
    spec = _large(tmp_path / "large.yaml", lone_node.via_relay)
    lone_node.boot(states.disk)
    total = _count(lone_node, "apply", str(spec), "--auto-approve")
    env = dict(os.environ)
    points = {total - 1}
    if signum == signal.SIGTERM:  # the others take the same path
        # and the users' SAVE: a signal held off until runtime and disk are both new
        save = next(i for i, s in enumerate(lone_node.relay.log) if s.startswith("SAVE MYSQL U"))
        points |= {total * k // 7 for k in range(1, 7)} | {save}
    else:
        points |= {total * k // 3 for k in range(1, 3)}
    for index in sorted(points):
        lone_node.boot(states.disk)
        before = whole_state(lone_node.endpoint)
        process, sender = _pxc_process(["apply", str(spec), "--auto-approve"], env)
        lone_node.relay.arm(index, sender(signum))
        out, _ = process.communicate(timeout=300)
        assert lone_node.relay.fired, index
        assert process.returncode == 128 + signum, (index, out)
        assert f"apply interrupted by {signal.Signals(signum).name}" in out, out
        assert SECRET not in out
        after = whole_state(lone_node.endpoint)
        users = rows(lone_node.endpoint, "SELECT COUNT(*) FROM main.mysql_users")[0][0]
        for module, value in after.items():
            # this spec changes users only: users wholly old (1 row) or new, the rest as was
            assert value == before[module] or module == "MYSQL USERS", (index, module)
        assert users in ("1", str(LARGE_USERS + 1)), (index, users, out)
        loaded = rows(lone_node.endpoint, "SELECT COUNT(*) FROM runtime_mysql_users")[0][0]
        saved = rows(lone_node.endpoint, "SELECT COUNT(*) FROM disk.mysql_users")[0][0]
        assert (loaded, saved) == (str(2 * int(users)), users), (index, out)
        if "Went live:" in out:  # past the plan: each step named once, users live when it is
            steps = _steps_in_outcome(out)
            assert len(steps) == len(set(steps)), (index, out)
            went_live = out.split("Went live:")[1].split("Did not go live:")[0]
            assert ("MYSQL USERS on node1: " in went_live) == (users != "1"), (index, out)
        lone_node.relay.count_only()
        code, out = run_pxc("apply", str(spec), "--auto-approve")
        assert code == 0, (index, out)
        assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0, index


def test_a_signal_ignored_by_whoever_started_pxc_stays_ignored(
    lone_node: LoneNode, states: States, tmp_path: Path
) -> None:
    """`nohup pxc apply` (SIGHUP ignored) outlives its terminal: a SIGHUP amid the apply's
    writes changes nothing, and the apply ends with every module new."""
    new = tmp_path / "new.yaml"
    lone_node.boot(states.disk)
    reads = _count(lone_node, "plan", str(new))
    lone_node.boot(states.disk)
    process, sender = _pxc_process(
        ["apply", str(new), "--auto-approve"], dict(os.environ), ignoring=(signal.SIGHUP,)
    )
    lone_node.relay.arm(reads + 4, sender(signal.SIGHUP))  # amid the first step's writes
    out, _ = process.communicate(timeout=300)
    assert lone_node.relay.fired
    assert process.returncode == 0, out
    assert "interrupted" not in out, out
    assert whole_state(lone_node.endpoint) == states.new


def _amid_user_inserts(lone_node: LoneNode, spec: Path, states: States) -> int:
    """The index of a statement in the middle of the apply's user INSERTs."""
    lone_node.boot(states.disk)
    _count(lone_node, "apply", str(spec), "--auto-approve")
    inserts = [
        i for i, s in enumerate(lone_node.relay.log) if s.startswith("INSERT INTO mysql_users")
    ]
    assert len(inserts) == LARGE_USERS // 250
    lone_node.boot(states.disk)
    return inserts[len(inserts) // 2]


def test_sigkill_of_pxc_mid_apply_is_named_by_the_next_plan_and_apply_converges(
    lone_node: LoneNode, states: States, tmp_path: Path
) -> None:
    spec = _large(tmp_path / "large.yaml", lone_node.via_relay)
    index = _amid_user_inserts(lone_node, spec, states)
    process, sender = _pxc_process(["apply", str(spec), "--auto-approve"], dict(os.environ))
    lone_node.relay.arm(index, sender(signal.SIGKILL))
    process.communicate(timeout=300)
    assert process.returncode == -signal.SIGKILL
    lone_node.relay.count_only()
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 2, out
    assert "PXC119" in out and "stopped before it could LOAD" in out, out
    assert "MYSQL USERS" in out.split("PXC119")[1]
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    code, out = run_pxc("plan", str(spec), "--detailed-exitcode")
    assert code == 0 and "PXC119" not in out, out


def test_primary_killed_and_restarted_from_disk_mid_apply_is_old_and_rerun_converges(
    lone_node: LoneNode, states: States, tmp_path: Path
) -> None:
    """The node dies amid the user INSERTs and comes back from its disk: memory is the old
    disk again, pxc reports the lost connection, and a re-run applies everything."""
    spec = _large(tmp_path / "large.yaml", lone_node.via_relay)
    index = _amid_user_inserts(lone_node, spec, states)

    def crash() -> None:
        lone_node.kill()
        lone_node.start()

    lone_node.relay.arm(index, crash)
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 1, out
    assert "Did not go live:" in out and "MYSQL USERS" in out.split("Did not go live:")[1]
    assert whole_state(lone_node.endpoint) == states.old
    lone_node.relay.count_only()
    code, out = run_pxc("apply", str(spec), "--auto-approve")
    assert code == 0, out
    assert run_pxc("plan", str(spec), "--detailed-exitcode")[0] == 0


@pytest.mark.sandbox
def test_a_signal_while_waiting_for_peers_says_every_step_went_live(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The wait for peers is the only part left: stopping it loses nothing, and pxc says so.
    (The signal comes through a relay in front of a peer the sandbox keeps from pulling.)"""
    sb = proxysql_cluster.sandbox
    write_spec(OLD)  # the known starting state
    relay = Relay(proxysql_cluster.nodes[2][:2])
    nodes = [
        *proxysql_cluster.nodes[:2],
        (*proxysql_cluster.nodes[2][:1], relay.port, "radmin", "radmin"),
    ]
    spec = tmp_path / "spec.yaml"
    # plaintext: the relay counts statements, which it cannot see inside TLS
    spec.write_text("version: 1\n" + cluster_block(nodes, tls="{mode: disabled}") + OLD)
    relay.count_only()
    assert run_pxc("plan", str(spec))[0] == 0
    reads = relay.commands
    sb.node(3).freeze_cluster(True)
    try:
        process, sender = _pxc_process(
            ["apply", str(spec), "--auto-approve", "--converge-timeout", "60"], dict(os.environ)
        )
        relay.arm(reads + 4, sender(signal.SIGINT))  # a few polls into the wait
        out, _ = process.communicate(timeout=120)
    finally:
        sb.node(3).freeze_cluster(False)
        relay.close()
    assert relay.fired
    assert process.returncode == 130, out
    assert "apply interrupted by SIGINT" in out
    assert "Did not go live: nothing" in out
    assert "every step went live on the primary; the peers were not waited for" in out
