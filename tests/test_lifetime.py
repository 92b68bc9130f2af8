"""The console script ends its process without freeing what the command made
(`lifetime.end`): whatever the command printed still arrives whole, on each stream, and the
exit code is the command's."""

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.conftest import run_pxc


def _console_script(*args: str) -> subprocess.CompletedProcess[str]:
    """pxc's `main` in a process of its own, its output buffered as a pipe's is by default."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-m", "proxysql_iac.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_the_console_script_prints_everything_and_exits_with_the_command_s_code(
    tmp_path: Path,
) -> None:
    users = "".join(
        f"  - {{username: user{i}, password: plain-text-{i}, default_hostgroup: 0}}\n"
        for i in range(2000)
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text("version: 1\nmysql_users:\n" + users + "  - {username: 7}\n")
    done = _console_script("validate", str(spec))
    code, together = run_pxc("validate", str(spec))
    assert (done.returncode, code) == (1, 1)
    assert len(done.stdout) > 200_000  # more than a pipe holds: written out before the end
    assert sorted((done.stdout + done.stderr).splitlines()) == sorted(together.splitlines())
    assert done.stderr.strip().endswith("invalid (1 error, 2000 warnings)")

    clean = tmp_path / "clean.yaml"
    clean.write_text("version: 1\nmysql_users: []\n")
    done = _console_script("compile", str(clean))
    assert done.returncode == 0 and done.stdout == run_pxc("compile", str(clean))[1]
