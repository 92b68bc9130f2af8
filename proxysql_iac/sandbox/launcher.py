"""`pxc sandbox up/down` and `python -m proxysql_iac.sandbox`: start and stop a sandbox.

`main_up` prints, for each node, a mysql client line and a spec `cluster:` block, then runs
until interrupted; with `detach=True` it forks a background process, writes a state file
(`$PXC_SANDBOX_DIR` or `./.sandbox/state.json`) and returns once every node answers.
`main_down` stops a detached sandbox. Problems the user can fix (an unreadable or malformed
config file, a port in use, a sandbox already recorded) are one line on stderr and exit code 1.
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from .configfile import ConfigError, read_config
from .sandbox import Sandbox
from .tls import CA_FILE
from .versions import DEFAULT_VERSION, VERSIONS

ERROR_FILE = "start-error.txt"


class LaunchError(Exception):
    """A one-line reason the sandbox cannot start."""


def state_dir() -> Path:
    return Path(os.environ.get("PXC_SANDBOX_DIR") or Path.cwd() / ".sandbox")


def describe(
    ports: list[int],
    host: str = "127.0.0.1",
    data_dir: str | None = None,
    version: str = DEFAULT_VERSION,
) -> str:
    """How to reach each node, and a `cluster:` block in the pxc spec format (with
    `data_dir`: verifying each node's certificate with the CA it wrote there)."""
    lines = []
    for k, port in enumerate(ports, 1):
        lines.append(f"node{k}: mysql -h{host} -P{port} -uradmin -pradmin --prompt 'node{k}> '")
    lines.append("")
    lines.append("# paste into your spec; export PXC_ADMIN_PASSWORD=radmin")
    lines.append("cluster:")
    if version != DEFAULT_VERSION:
        lines.append(f'  proxysql_version: "{version}"')
    lines.append("  primary: proxysql-1")
    lines.append("  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}")
    lines.append("  nodes:")
    for k, port in enumerate(ports, 1):
        ca = (
            json.dumps(os.path.abspath(os.path.join(data_dir, f"node{k}", CA_FILE)))
            if data_dir
            else ""
        )
        tls = f", tls: {{mode: verify_ca, ca: {ca}}}" if data_dir else ""
        lines.append(f"    - {{name: proxysql-{k}, host: {host}, port: {port}{tls}}}")
    return "\n".join(lines)


def _prepare(nodes: int, port: int, config: str | None, version: str) -> dict[str, Any] | None:
    """Everything checkable before starting: version, node count, config file, free ports."""
    if version not in VERSIONS:
        raise LaunchError(f"--version {version}: the sandbox speaks {', '.join(VERSIONS)}")
    if nodes < 1:
        raise LaunchError("--nodes must be at least 1")
    if port < 0 or (port and port + nodes - 1 > 65535):
        raise LaunchError(f"--port {port} with {nodes} nodes is outside 1-65535")
    try:
        cfg = read_config(config) if config else None
    except ConfigError as e:
        raise LaunchError(str(e)) from e
    for p in range(port, port + nodes) if port else ():
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the nodes bind
            try:
                s.bind(("127.0.0.1", p))
            except OSError as e:
                raise LaunchError(f"cannot listen on 127.0.0.1:{p}: {e.strerror or e}") from e
    return cfg


def _start(
    nodes: int, port: int, cfg: dict[str, Any] | None, data_dir: str | None, version: str
) -> Sandbox:
    sb = Sandbox(nodes=nodes, base_port=port, data_dir=data_dir, config=cfg, version=version)
    try:
        sb.start()
    except OSError as e:
        sb.stop()
        raise LaunchError(f"cannot start the sandbox: {e.strerror or e}") from e
    return sb


def _fail(message: str) -> int:
    print(f"pxc sandbox: {message}", file=sys.stderr, flush=True)
    return 1


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def main_up(
    nodes: int = 3,
    port: int = 6032,
    config: str | None = None,
    detach: bool = False,
    data_dir: str | None = None,
    version: str = DEFAULT_VERSION,
) -> int:
    """Start a sandbox; returns a process exit code."""
    try:
        cfg = _prepare(nodes, port, config, version)
        if detach:
            return _up_detached(nodes, port, cfg, data_dir, version)
        sb = _start(nodes, port, cfg, data_dir, version)
    except LaunchError as e:
        return _fail(str(e))
    print(describe(sb.ports, data_dir=sb.data_dir, version=version), flush=True)
    print("\nsandbox running; Ctrl-C to stop", flush=True)
    try:
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0


def _up_detached(
    nodes: int, port: int, cfg: dict[str, Any] | None, data_dir: str | None, version: str
) -> int:
    sdir = state_dir()
    try:
        sdir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LaunchError(f"cannot create {sdir}: {e.strerror or e}") from e
    state = sdir / "state.json"
    errors = sdir / ERROR_FILE
    if state.exists():
        raise LaunchError(f"a sandbox is already recorded in {state}; run `pxc sandbox down` first")
    errors.unlink(missing_ok=True)
    ddir = data_dir or str(sdir / "data")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # child: detach and serve
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            try:
                sb = _start(nodes, port, cfg, ddir, version)
            except Exception as e:  # reported by the parent, which is still waiting
                why = str(e) if isinstance(e, LaunchError) else f"{type(e).__name__}: {e}"
                errors.write_text(why)
                os._exit(1)
            tmp = sdir / "state.json.tmp"
            tmp.write_text(json.dumps({"pid": os.getpid(), "ports": sb.ports}))
            tmp.replace(state)

            def _term(*_: object) -> None:
                sb.stop()
                os._exit(0)

            signal.signal(signal.SIGTERM, _term)
            while True:
                time.sleep(3600)
        finally:
            os._exit(1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if errors.exists():
            message = errors.read_text().strip()
            errors.unlink(missing_ok=True)
            raise LaunchError(message.splitlines()[0] if message else "the sandbox did not start")
        if state.exists():
            info = json.loads(state.read_text())
            if all(_answers(p) for p in info["ports"]):
                print(describe(info["ports"], data_dir=ddir, version=version))
                return 0
        if os.waitpid(pid, os.WNOHANG)[0] == pid and not errors.exists():
            raise LaunchError("the sandbox process exited before answering")
        time.sleep(0.05)
    raise LaunchError("the sandbox did not answer within 10 s")


def main_down() -> int:
    state = state_dir() / "state.json"
    if not state.exists():
        return _fail(f"no detached sandbox recorded in {state_dir()}")
    try:
        info = json.loads(state.read_text())
        pid, ports = int(info["pid"]), [int(p) for p in info["ports"]]
    except (OSError, ValueError, KeyError, TypeError):
        state.unlink(missing_ok=True)
        return _fail(f"{state} was unreadable; removed it (stop a leftover process yourself)")
    running = _is_sandbox_process(pid)
    if running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_answers(p) for p in ports):
        time.sleep(0.05)
    answering = [p for p in ports if _answers(p)]
    if answering:  # the record is kept: `down` can be run again
        return _fail(
            f"the sandbox (pid {pid}) did not stop within 5 s; ports "
            f"{', '.join(map(str, answering))} still answer"
        )
    state.unlink(missing_ok=True)
    listed = ", ".join(map(str, ports))
    if running:
        print(f"pxc sandbox: stopped the sandbox (pid {pid}, admin ports {listed})", flush=True)
    else:
        print(f"pxc sandbox: the sandbox (pid {pid}) had already stopped; forgot it", flush=True)
    return 0


def _is_sandbox_process(pid: int) -> bool:
    """False when the recorded pid now belongs to another program (checked where /proc exists)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not Path("/proc/self").exists():
        return True
    try:
        return b"sandbox" in cmdline.read_bytes()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proxysql_iac.sandbox")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up")
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--port", type=int, default=6032)
    up.add_argument("--config")
    up.add_argument("--detach", action="store_true")
    up.add_argument("--data-dir")
    up.add_argument("--version", default=DEFAULT_VERSION)
    sub.add_parser("down")
    a = ap.parse_args(argv)
    if a.cmd == "up":
        return main_up(a.nodes, a.port, a.config, a.detach, a.data_dir, a.version)
    return main_down()
