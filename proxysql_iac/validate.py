"""`pxc validate` and `pxc compile`: spec files in, findings and desired rows out. Offline."""

import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from proxysql_iac.findings import Finding, Severity, has_errors, sort_findings
from proxysql_iac.lifetime import keep
from proxysql_iac.rules import RuleContext, load_all, load_everything, run_rules, severity_for
from proxysql_iac.spec.compile import Desired, compile_spec
from proxysql_iac.spec.load import LoadedSpec, load_spec


@dataclass
class Validation:
    loaded: LoadedSpec
    desired: Desired
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.findings)


def _apply_overrides(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    """Severity overrides also reach findings the loader and compiler produce.

    Errors stay errors: from the loader or compiler they mean a row could not be compiled and
    is missing from `Desired` (turning them off would plan its deletion), and rule errors
    already carry the spec's overrides.
    """
    if not overrides:
        return findings
    rules = load_all()
    out = []
    for f in findings:
        if f.severity is Severity.ERROR:
            out.append(f)
            continue
        rule_ = rules.get(f.code)
        chosen = overrides.get(f.code)
        if rule_ is not None:
            effective = severity_for(rule_, overrides)
            if effective is None:
                continue
            out.append(f.with_severity(effective))
        elif chosen == "off":
            continue
        elif chosen is not None:
            out.append(f.with_severity(Severity(chosen)))
        else:
            out.append(f)
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """Loading a big spec allocates millions of objects and no cycles (recursive aliases are
    rejected): the cyclic GC's full scans cost 40% of the time on 50,000 users. What loading
    made lives as long as the validation: frozen, the collector never walks it again (the
    first collection after the pause would otherwise scan every value, 0.5 s on 60,000 rows).

    Garbage from before would be frozen with the rest: the young generations are collected
    first (what a caller dropped lately). The oldest is not: in a pxc process it holds what
    the imports made, 40,000 objects and no garbage, and a full scan costs 10 ms a run."""
    was_enabled = gc.isenabled()
    gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def validate_files(
    paths: Sequence[str | Path], *, compiled: Callable[[Desired], None] | None = None
) -> Validation:
    """`compiled` is called with the desired state once it is compiled without error, before
    the rules run (planning starts reading the nodes then)."""
    with gc_paused():
        validation = _validate_files(paths, compiled)
    keep(validation)
    return validation


def _validate_files(
    paths: Sequence[str | Path], compiled: Callable[[Desired], None] | None = None
) -> Validation:
    return validate_loaded(load_spec(paths), compiled)


def validate_loaded(
    loaded: LoadedSpec, compiled: Callable[[Desired], None] | None = None
) -> Validation:
    """Compile what was loaded and run the rules over it (`validate_files`)."""
    desired, findings = compile_spec(loaded)
    all_findings = [*loaded.findings, *findings]
    reading = compiled is not None and not has_errors(all_findings)
    rows = sum(map(len, desired.tables.values()))
    rules = RulesBeside(RuleContext(loaded, desired), fork=reading and rows >= RULES_BESIDE_ROWS)
    if compiled is not None and reading:
        try:
            compiled(desired)
        except BaseException:
            rules.abandon()
            raise
    if loaded.documents:
        all_findings.extend(rules.findings())
    all_findings = _apply_overrides(all_findings, desired.rule_overrides)
    return Validation(loaded, desired, sort_findings(_dedupe(all_findings)))


# Below this many rows the rules take a few milliseconds, less than forking a child (5-9 ms)
RULES_BESIDE_ROWS = 5_000


def _in_the_child(code: str) -> bool:
    """The rules a child runs: those over rows as written (PXC0xx: CHECKs, keys), about
    60% of the rules' time on a large spec; this process runs the rest meanwhile, beside its
    other work (and the child's copies of the pages it touches)."""
    return code < "PXC100"


def _here_too(code: str) -> bool:
    return not _in_the_child(code)


class RulesBeside:
    """The rules over a spec, run partly in a child process while this one goes on (plan and
    status then work out the spec's rows as a node writes them, and read the nodes): the
    rules of a 60,000-row spec are a quarter of a second of work a second core can share.
    `findings` are the same as running them all here, in the same order (the child's rules
    come first by code), which is what happens without `fork`, on a system without fork,
    or should the child not deliver.

    The child is forked while a thread of this process may be reading a node. It uses
    nothing that thread holds: it runs the rules (all imported before the fork; they import
    nothing later) over what is already in memory, writes their findings to a pipe and ends
    with `os._exit`, before any exit handler, buffer or socket of this process could be
    touched twice."""

    def __init__(self, ctx: RuleContext, *, fork: bool = True) -> None:
        self.ctx = ctx
        self.child: tuple[int, int] | None = None  # its pid, and the pipe's end to read
        if not fork or not ctx.loaded.documents:
            return
        if sys.platform != "linux":  # fork is not what macOS' libraries expect after threads
            return
        load_everything()
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:
            try:
                os.close(read_end)
                signal.signal(signal.SIGINT, signal.SIG_DFL)  # interrupted: the parent says so
                with os.fdopen(write_end, "wb") as out:
                    pickle.dump(_listed(ctx, _in_the_child), out, pickle.HIGHEST_PROTOCOL)
            finally:
                os._exit(0)
        os.close(write_end)
        self.child = (pid, read_end)

    def findings(self) -> list[Finding]:
        if self.child is None:
            return _listed(self.ctx)
        try:
            mine = _listed(self.ctx, _here_too)
        except BaseException:
            self.abandon()
            raise
        pid, read_end = self.child
        self.child = None
        try:
            with os.fdopen(read_end, "rb") as answer:
                found: list[Finding] = pickle.load(answer)
        except Exception:  # the child died without a word: its work is done here
            found = _listed(self.ctx, _in_the_child)
        finally:
            _reap(pid)
        return found + mine

    def abandon(self) -> None:
        """Stop the child, if any (this process is not going on to use the findings)."""
        if self.child is not None:
            pid, read_end = self.child
            self.child = None
            os.close(read_end)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _reap(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # reaped by another waiter
        os.waitpid(pid, 0)


def _listed(ctx: RuleContext, only: Callable[[str], bool] | None = None) -> list[Finding]:
    return list(run_rules(ctx, "validate", only))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in findings:
        key = (f.code, f.path, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def validate_each(paths: Sequence[str | Path]) -> Validation:
    """Validate files independently (pre-commit passes every changed spec at once)."""
    results = [validate_files([p]) for p in paths]
    if not results:
        return validate_files([])
    first = results[0]
    findings = sort_findings(f for r in results for f in r.findings)
    return Validation(first.loaded, first.desired, findings)
