"""pxc on a real terminal (a pty) and in pipes, against the test cluster: the confirmation is
asked on the controlling terminal when stdout is a pipe, refusals go to stderr, and the
progress spinner never shares a line with the report."""

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.integration.conftest import rows

SERVERS = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
  - {hostgroup_id: reader, hostname: db2.example.com}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
"""
PXC = [sys.executable, "-m", "proxysql_iac.cli"]
# Run a command in a new session whose controlling terminal is the pty named first.
WITH_TERMINAL = [
    sys.executable,
    "-c",
    "import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR)); "
    "os.execvp(sys.argv[2], sys.argv[2:])",
]


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLUMNS", "160")


class Terminal:
    """A pty: what the program wrote to it, and a keyboard."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.name = os.ttyname(self.slave)
        self.output = b""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            assert time.monotonic() < deadline, self.output.decode(errors="replace")
            time.sleep(0.05)

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def close(self) -> str:
        os.close(self.slave)
        self._reader.join(timeout=5)
        os.close(self.master)
        return self.output.decode(errors="replace")


def _screen(raw: str) -> list[str]:
    """The lines a terminal shows for `raw`: carriage returns, erased lines and cursor-up
    moves applied, other control sequences dropped."""
    lines: list[str] = []
    line: list[str] = []
    col = 0
    for token in re.findall(r"\x1b\[[0-9;?]*[A-Za-z]|\r|\n|[^\x1b\r\n]", raw):
        if token == "\r":
            col = 0
        elif token == "\n":
            lines.append("".join(line))
            line, col = [], 0
        elif token == "\x1b[2K":
            line, col = [], 0
        elif re.fullmatch(r"\x1b\[\d*A", token):
            line, col = list(lines.pop()) if lines else [], 0
        elif token.startswith("\x1b"):
            continue
        else:
            line[col : col + 1] = [token]
            col += 1
    return [*lines, "".join(line)]


def test_apply_piped_into_a_file_asks_on_the_terminal(
    write_spec, proxysql_cluster, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    log = tmp_path / "apply.log"
    terminal = Terminal()
    command = " ".join([*PXC, "apply", str(spec)]) + f" | cat > {log}"
    process = subprocess.Popen(
        [*WITH_TERMINAL, terminal.name, "sh", "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    terminal.wait_for("Apply these changes to the primary? [y/N]: ")
    terminal.type("y\n")
    assert process.wait(timeout=120) == 0, process.stderr.read() if process.stderr else ""
    asked = terminal.close()
    written = log.read_text()
    assert "Apply these changes" in asked and "Apply these changes" not in written
    assert "pxc plan for node1" in written and "MYSQL SERVERS on node1: 1 statement(s)" in written
    assert rows(proxysql_cluster.nodes[0], "SELECT COUNT(*) FROM runtime_mysql_servers") == [("2",)]


def test_without_a_terminal_apply_is_refused_on_stderr(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    result = subprocess.run(
        [*PXC, "apply", str(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,  # no controlling terminal
    )
    assert result.returncode == 1
    assert "pxc plan for node1" in result.stdout and "refused" not in result.stdout
    assert "error: apply refused: no terminal to ask on; pass --auto-approve" in result.stderr
    assert rows(proxysql_cluster.nodes[0], "SELECT COUNT(*) FROM mysql_servers") == [("0",)]


def test_progress_and_report_never_share_a_line(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SERVERS)
    terminal = Terminal()
    process = subprocess.Popen(
        [*WITH_TERMINAL, terminal.name, *PXC, "apply", str(spec), "--auto-approve"],
        stdin=subprocess.DEVNULL,
        stdout=terminal.slave,
        stderr=terminal.slave,
        start_new_session=True,
    )
    assert process.wait(timeout=120) == 0
    raw = terminal.close()
    assert "statement 1 of 1" in raw  # the spinner ran while apply sent its statements
    reports = [line for line in _screen(raw) if "statement(s), LOADed and SAVEd" in line]
    assert len(reports) == 2, raw
    for line in reports:
        assert re.fullmatch(
            r"MYSQL (SERVERS|USERS) on node1: 1 statement\(s\), LOADed and SAVEd \(\d+ ms\)", line
        ), line
