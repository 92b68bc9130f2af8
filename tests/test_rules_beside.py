"""Plan and status run the rules in a child process while they read the nodes
(`validate.RulesBeside`): what it hands over is what running the rules here finds, and a
child that dies without a word costs time, never a finding."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from proxysql_iac import validate
from proxysql_iac.findings import Finding
from proxysql_iac.rules import RuleContext, run_rules
from proxysql_iac.spec.compile import compile_spec
from proxysql_iac.spec.load import load_spec
from tests.rules.test_registry import RULES, _example
from tests.test_examples import SPECS

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the child is forked on Linux")


def _context(files: list[Path]) -> RuleContext:
    loaded = load_spec(files)
    return RuleContext(loaded, compile_spec(loaded)[0])


def _bad_examples(tmp_path: Path) -> list[Path]:
    """Every rule's Bad:: example: together, every rule finding something."""
    files = []
    for rule_ in RULES:
        path = tmp_path / f"{rule_.code}.yaml"
        path.write_text(_example(rule_, "Bad"))
        files.append(path)
    return files


def _here(ctx: RuleContext) -> list[Finding]:
    return list(run_rules(ctx, "validate"))


BOTH_SIDES = """version: 1
mysql_servers:
  - {hostgroup_id: 1, hostname: db1, port: 99999}
mysql_users:
  - {username: app, password: plain-text-password, default_hostgroup: 1}
mysql_query_rules:
  - {rule_id: 1, match_digest: '^SELECT', destination_hostgroup: 1}
"""


@linux_only
def test_the_child_hands_over_exactly_the_findings_of_the_rules_run_here(tmp_path: Path) -> None:
    both = tmp_path / "both.yaml"
    both.write_text(BOTH_SIDES)
    codes = {f.code[:4] for f in _here(_context([both]))}
    assert codes == {"PXC0", "PXC1"}  # rules of the child's share and of this process's
    specs = [[both]] + [[p] for p in _bad_examples(tmp_path)]
    specs += [list(files) for files in SPECS.values()]
    for files in specs:
        ctx = _context(files)
        assert validate.RulesBeside(ctx).findings() == _here(ctx), files
    assert sum(len(_here(_context(files))) for files in specs) > len(RULES)


@linux_only
def test_a_child_that_dies_without_a_word_leaves_the_rules_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    listed = validate._listed

    def dies_in_the_child(
        ctx: RuleContext, only: Callable[[str], bool] | None = None
    ) -> list[Finding]:
        if os.getpid() != parent:
            os._exit(1)
        return listed(ctx, only)

    monkeypatch.setattr(validate, "_listed", dies_in_the_child)
    for path in _bad_examples(tmp_path):
        ctx = _context([path])
        assert validate.RulesBeside(ctx).findings() == _here(ctx), path


def test_where_fork_is_not_used_the_rules_run_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def forbidden() -> int:
        raise AssertionError("forked where the platform is not Linux")

    monkeypatch.setattr(validate.sys, "platform", "darwin")
    monkeypatch.setattr(validate.os, "fork", forbidden)
    ctx = _context(_bad_examples(tmp_path)[:1])
    assert validate.RulesBeside(ctx).findings() == _here(ctx)


@linux_only
def test_when_no_process_can_be_forked_the_rules_run_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_process() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(validate.os, "fork", no_process)
    ctx = _context(_bad_examples(tmp_path)[:1])
    assert validate.RulesBeside(ctx).findings() == _here(ctx)


@linux_only
def test_an_abandoned_child_is_stopped_and_reaped(tmp_path: Path) -> None:
    beside = validate.RulesBeside(_context(_bad_examples(tmp_path)[:1]))
    assert beside.child is not None
    pid = beside.child[0]
    beside.abandon()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # gone: nothing left to reap


def test_the_rules_import_nothing_once_everything_is_loaded(tmp_path: Path) -> None:
    """The child is forked while a thread may be importing (a node's read): a rule that
    imported a module as it ran could wait forever on that thread's import lock."""
    files = [str(p) for p in _bad_examples(tmp_path)] + [
        str(p) for files in SPECS.values() for p in files
    ]
    script = (
        "import sys\n"
        "from proxysql_iac.rules import RuleContext, load_everything, run_rules\n"
        "from proxysql_iac.spec.compile import compile_spec\n"
        "from proxysql_iac.spec.load import load_spec\n"
        "contexts = []\n"
        "for path in sys.argv[1:]:\n"
        "    loaded = load_spec([path])\n"
        "    contexts.append(RuleContext(loaded, compile_spec(loaded)[0]))\n"
        "load_everything()\n"
        "before = set(sys.modules)\n"
        "for ctx in contexts:\n"
        "    list(run_rules(ctx, 'validate'))\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *files], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


@pytest.mark.parametrize("threshold", [validate.RULES_BESIDE_ROWS, 0])
def test_a_caller_reading_meanwhile_gets_every_finding_validate_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    """Small specs run the rules here (forking costs more than they take), large ones partly
    in a child: either way, what plan and status see is what `pxc validate` says."""
    monkeypatch.setattr(validate, "RULES_BESIDE_ROWS", threshold)
    both = tmp_path / "both.yaml"
    both.write_text(BOTH_SIDES)
    alone = validate.validate_files([both])
    assert {f.code[:4] for f in alone.findings} == {"PXC0", "PXC1"}
    assert validate.validate_files([both], compiled=lambda desired: None).findings == (
        alone.findings
    )
