"""Plan and status start reading the primary from the spec's outline, before the spec is
parsed (planning.read_while_validating). That head start must not be seen: a spec whose
cluster block the rules refuse is never connected to, and what goes wrong is told in the same
order as when nothing was read before validation (the spec's errors, its secrets', the node's)."""

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# these specs are small: they are read ahead as a large one is
from tests.integration.conftest import _as_for_a_large_spec, run_pxc  # noqa: F401


class Listener:
    """A TCP port that counts the connections made to it and closes each one at once."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


def run_to_the_end(*args: str) -> tuple[int, str]:
    """`run_pxc`, then every thread it started is waited for: a read it started in the
    background has then connected or given up (the listener counts a connection before it
    closes it, and so before the read could end)."""
    before = set(threading.enumerate())
    code, out = run_pxc(*args)
    for thread in set(threading.enumerate()) - before:
        thread.join()
    return code, out


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.sock.close()


def _spec(tmp_path: Path, port: int, *, tls: str = "{mode: disabled}", rows: str = "[]") -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\n"
        "cluster:\n"
        "  primary: p1\n"
        "  admin: {user: radmin, password: {env: PXC_TEST_ADMIN_PASSWORD}}\n"
        f"  nodes: [{{name: p1, host: 127.0.0.1, port: {port}, tls: {tls}}}]\n"
        f"mysql_users: {rows}\n"
    )
    return spec


@pytest.mark.parametrize("command", ["plan", "status"])
def test_a_spec_whose_cluster_block_the_rules_refuse_is_never_connected_to(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "secret-password")
    (tmp_path / "ca.pem").write_text("not read: the mode never checks it\n")
    spec = _spec(tmp_path, listener.port, tls="{mode: required, ca: ca.pem}")
    code, out = run_to_the_end(command, str(spec))
    assert code == 1, out
    assert "PXC135" in out and "cannot connect" not in out
    assert listener.accepted == 0


@pytest.mark.parametrize("command", ["plan", "status"])
def test_what_goes_wrong_is_told_spec_first_then_secrets_then_the_node(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "secret-password")
    monkeypatch.delenv("PXC_TEST_APP_PASSWORD", raising=False)
    user = "{username: app, password: {env: PXC_TEST_APP_PASSWORD}, default_hostgroup: %s}"

    code, out = run_pxc(command, str(_spec(tmp_path, listener.port, rows=f"[{user % 'nowhere'}]")))
    assert code == 1, out
    assert "PXC140" in out and "PXC_TEST_APP_PASSWORD" not in out and "cannot connect" not in out

    code, out = run_pxc(command, str(_spec(tmp_path, listener.port, rows=f"[{user % 0}]")))
    assert code == 1, out
    assert "{env: PXC_TEST_APP_PASSWORD} is not set" in out and "cannot connect" not in out

    monkeypatch.setenv("PXC_TEST_APP_PASSWORD", "app-password")
    code, out = run_pxc(command, str(_spec(tmp_path, listener.port, rows=f"[{user % 0}]")))
    assert code == 1, out
    assert "p1" in out and listener.accepted >= 1
