"""What pxc prints on a terminal or into a pipe, without a cluster: help, compile, validate's
summary, errors that quote user text, and secret references that cannot be resolved."""

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from proxysql_iac.cli import app
from proxysql_iac.errors import PxcError

LONG_HOST = "a-very-long-hostname-that-goes-on.and-on.example.internal.corp.company.com"


def _pxc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """pxc as the console script runs it, in a new session (no terminal to ask on)."""
    return subprocess.run(
        [sys.executable, "-m", "proxysql_iac.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
        env={**os.environ, "COLUMNS": "80"},
    )


def test_help_shows_no_type_beside_a_flag() -> None:
    for command in (["apply"], ["plan"], ["validate"], ["render"], ["sandbox", "up"]):
        out = CliRunner().invoke(app, [*command, "--help"]).output
        assert "<bool>" not in out, command
    out = CliRunner().invoke(app, ["apply", "--help"]).output
    assert "--auto-approve" in out and "<float>" in out  # options with values keep theirs


def test_compile_into_a_pipe_keeps_each_row_on_one_line(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nmysql_servers:\n"
        f"  - {{hostgroup_id: 10, hostname: {LONG_HOST}, comment: 'a [bold]long[/] comment'}}\n"
    )
    result = _pxc("compile", str(spec), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if LONG_HOST in line]
    assert len(rows) == 1 and "a [bold]long[/] comment" in rows[0], result.stdout


def test_validate_puts_a_blank_line_between_the_last_hint_and_the_verdict(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\nmysql_servers:\n  - {hostgroup_id: 10, hostname: db1, weight: x}\n"
    )
    out = CliRunner().invoke(app, ["validate", str(spec)]).output
    assert out.endswith(
        f"    hint: write a whole number\n\n{spec}: invalid (1 error, 0 warnings)\n"
    ), out


def test_errors_print_spec_text_with_brackets_as_written(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\n"
        "cluster:\n"
        "  primary: p1\n"
        "  admin: {user: radmin, password: {env: PXC_TEST_UNSET_PW}}\n"
        "  nodes: [{name: p1, host: 127.0.0.1, port: 1}]\n"
        "mysql_servers:\n"
        "  - {hostname: db1, '[/]': 1, '[cluster.admin.user]': 2}\n"
    )
    result = _pxc("plan", str(spec), cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "unknown key '[/]'" in result.stderr
    assert "[mysql_servers[0].[cluster.admin.user]]" in result.stderr


def test_every_secret_that_cannot_be_resolved_is_named_at_once(tmp_path: Path) -> None:
    for name in ("PXC_TEST_UNSET_A", "PXC_TEST_UNSET_B"):
        os.environ.pop(name, None)
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\n"
        "cluster:\n"
        "  primary: p1\n"
        "  admin: {user: radmin, password: {env: PXC_TEST_UNSET_A}}\n"
        "  nodes: [{name: p1, host: 127.0.0.1, port: 1}]\n"
        "mysql_users:\n"
        "  - {username: app, password: {env: PXC_TEST_UNSET_B}}\n"
        "  - {username: bi, password: {file: missing/bi.pw}}\n"
    )
    result = CliRunner().invoke(app, ["plan", str(spec)])
    assert isinstance(result.exception, PxcError)
    message = result.exception.message
    assert "3 secret references cannot be resolved" in message
    for name in ("PXC_TEST_UNSET_A", "PXC_TEST_UNSET_B", "missing/bi.pw"):
        assert name in message
    assert str(tmp_path / "missing" / "bi.pw") in message  # relative to the spec file
    # each named where the spec writes it first
    assert "{env: PXC_TEST_UNSET_A} is not set in the environment (written at " in message
    assert "(written at cluster.admin.password)" in message
    assert "(written at mysql_users[0].password)" in message
    assert "(written at mysql_users[1].password)" in message
    assert "before running pxc plan/apply" not in result.exception.hint
