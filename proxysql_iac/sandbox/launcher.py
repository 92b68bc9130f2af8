"""`pxc sandbox up/down` and `python -m proxysql_iac.sandbox`: start and stop a sandbox.

`main_up` prints, for each node, a mysql client line and a spec `cluster:` block, then runs
until interrupted; with `detach=True` it forks a background process, writes a state file
(`$PXC_SANDBOX_DIR` or `./.sandbox/state.json`) and returns once every node answers.
`main_down` stops a detached sandbox.
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

from .configfile import read_config
from .sandbox import Sandbox


def state_dir() -> Path:
    return Path(os.environ.get("PXC_SANDBOX_DIR") or Path.cwd() / ".sandbox")


def describe(ports: list[int], host: str = "127.0.0.1") -> str:
    """How to reach each node, and a `cluster:` block in the pxc spec format."""
    lines = []
    for k, port in enumerate(ports, 1):
        lines.append(f"node{k}: mysql -h{host} -P{port} -uradmin -pradmin --prompt 'node{k}> '")
    lines.append("")
    lines.append("# paste into your spec; export PXC_ADMIN_PASSWORD=radmin")
    lines.append("cluster:")
    lines.append("  primary: proxysql-1")
    lines.append("  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}")
    lines.append("  nodes:")
    for k, port in enumerate(ports, 1):
        lines.append(f"    - {{name: proxysql-{k}, host: {host}, port: {port}}}")
    return "\n".join(lines)


def _build(nodes: int, port: int, config: str | None, data_dir: str | None) -> Sandbox:
    cfg: dict[str, Any] | None = read_config(config) if config else None
    return Sandbox(nodes=nodes, base_port=port, data_dir=data_dir, config=cfg)


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
) -> int:
    """Start a sandbox; returns a process exit code."""
    if detach:
        return _up_detached(nodes, port, config, data_dir)
    sb = _build(nodes, port, config, data_dir)
    sb.start()
    print(describe(sb.ports), flush=True)
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


def _up_detached(nodes: int, port: int, config: str | None, data_dir: str | None) -> int:
    sdir = state_dir()
    sdir.mkdir(parents=True, exist_ok=True)
    state = sdir / "state.json"
    if state.exists():
        print(
            f"a sandbox is already recorded in {state}; run `pxc sandbox down` first",
            file=sys.stderr,
        )
        return 1
    ddir = data_dir or str(sdir / "data")
    pid = os.fork()
    if pid == 0:  # child: detach and serve
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        try:
            sb = _build(nodes, port, config, ddir)
            sb.start()
            state.write_text(json.dumps({"pid": os.getpid(), "ports": sb.ports}))

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
        if state.exists():
            info = json.loads(state.read_text())
            if all(_answers(p) for p in info["ports"]):
                print(describe(info["ports"]))
                return 0
        time.sleep(0.05)
    print("sandbox did not start", file=sys.stderr)
    return 1


def main_down() -> int:
    state = state_dir() / "state.json"
    if not state.exists():
        print("no detached sandbox recorded", file=sys.stderr)
        return 1
    info = json.loads(state.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(info["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_answers(p) for p in info["ports"]):
        time.sleep(0.05)
    state.unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m proxysql_iac.sandbox")
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up")
    up.add_argument("--nodes", type=int, default=3)
    up.add_argument("--port", type=int, default=6032)
    up.add_argument("--config")
    up.add_argument("--detach", action="store_true")
    up.add_argument("--data-dir")
    sub.add_parser("down")
    a = ap.parse_args(argv)
    if a.cmd == "up":
        return main_up(a.nodes, a.port, a.config, a.detach, a.data_dir)
    return main_down()
