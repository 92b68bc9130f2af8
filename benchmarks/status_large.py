"""How long `pxc status` takes on a large configuration, to run it every minute.

Starts a 3-node sandbox in its own process (so the server's CPU is not the client's), applies
a spec with 2,000 servers, 50,000 users (mysql_native_password hashes) and 10,000 query rules
with `pxc apply` (peers pull it: their memory then holds two rows per user), then measures:

1. `pxc status spec.yaml --format json` in a fresh interpreter, as a monitoring system runs
   it: wall time (and the exit code, which must be 0);
2. the phases in this process: validate the spec, read the primary's memory, diff, and the
   per-node comparisons (checksums, memory vs runtime and vs disk on the node, servers);
3. for comparison, reading every layer of every node over the wire with `read_live` (what
   status would cost without the node-side comparisons).

    python benchmarks/status_large.py [--servers N] [--users N] [--rules N] [--runs N]
"""

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proxysql_iac.admin.connection import AdminConnection, Endpoint
from proxysql_iac.admin.live import read_live
from proxysql_iac.planning import load_desired, managed_tables
from proxysql_iac.status import read_status

TARGET_SECONDS = 15.0  # comfortably inside a one-minute monitoring interval
PASSWORD_ENV = "PXC_ADMIN_PASSWORD"


def _native_hash(plain: str) -> str:
    return "*" + hashlib.sha1(hashlib.sha1(plain.encode()).digest()).hexdigest().upper()


def generate(path: Path, ports: list[int], servers: int, users: int, rules: int) -> None:
    hostgroups = max(1, servers // 20)
    out = [
        "version: 1",
        "cluster:",
        "  primary: node1",
        f"  admin: {{user: radmin, password: {{env: {PASSWORD_ENV}}}}}",
        "  nodes:",
        *(f"    - {{name: node{i}, host: 127.0.0.1, port: {p}}}" for i, p in enumerate(ports, 1)),
        "hostgroups:",
        *(f"  hg-{i}: {i + 1}" for i in range(hostgroups)),
        "mysql_servers:",
    ]
    for i in range(servers):
        out.append(
            f"  - {{hostgroup_id: hg-{i % hostgroups}, hostname: db-{i}.example.internal, "
            f"weight: {1 + i % 100}, max_connections: 500, comment: server {i}}}"
        )
    out.append("mysql_users:")
    for i in range(users):
        out.append(
            f"  - {{username: user{i}, password: '{_native_hash(f'pw-{i}')}', "
            f"default_hostgroup: hg-{i % hostgroups}, max_connections: 100}}"
        )
    out.append("mysql_query_rules:")
    for i in range(rules):
        out.append(
            f"  - {{rule_id: {i + 1}, active: 1, match_digest: '^SELECT .* FROM t{i}\\b', "
            f"destination_hostgroup: hg-{i % hostgroups}, apply: 1}}"
        )
    out += ["mysql_variables:", "  max_connections: 100000"]
    path.write_text("\n".join(out) + "\n")


def _free_base_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        if base < 65000 and all(_free(base + k) for k in range(3)):
            return base


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pxc(*args: str, env: dict[str, str]) -> tuple[int, str, float]:
    """Run pxc in a fresh interpreter: (exit code, stdout, wall seconds)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "proxysql_iac.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode not in (0, 2, 3):
        print(done.stderr, file=sys.stderr)
    return done.returncode, done.stdout, time.perf_counter() - start


def _timed(label: str, times: dict[str, float], fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    times[label] = time.perf_counter() - start
    return result


def phases(spec: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    desired = _timed("validate the spec", times, lambda: load_desired([spec]))
    report = _timed("pxc status in process (total)", times, lambda: read_status([spec]))
    assert report.exit_code == 0, report.reasons
    cluster = desired.cluster
    assert cluster is not None
    primary = cluster.nodes[0]
    tables = managed_tables(desired)
    password = os.environ[PASSWORD_ENV]
    with AdminConnection(Endpoint("node1", primary.host, primary.port, "radmin", password)) as c:
        _timed(
            "read the primary's memory (read_live)",
            times,
            lambda: read_live(c, tables, runtime=False, disk=False),
        )

    def every_layer() -> None:
        for node in cluster.nodes:
            endpoint = Endpoint(node.name, node.host, node.port, "radmin", password)
            with AdminConnection(endpoint) as conn:
                read_live(conn, tables)

    _timed("for comparison: read_live of every layer of every node", times, every_layer)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PXC_SANDBOX_DIR": tmp, PASSWORD_ENV: "radmin"}
        os.environ[PASSWORD_ENV] = "radmin"
        base = _free_base_port()
        ports = [base, base + 1, base + 2]
        subprocess.run(
            [sys.executable, "-m", "proxysql_iac.sandbox", "up", "--nodes", "3", "--port",
             str(base), "--detach", "--data-dir", f"{tmp}/data"],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        try:
            spec = Path(tmp) / "large.yaml"
            generate(spec, ports, args.servers, args.users, args.rules)
            print(
                f"spec: {args.servers} servers, {args.users} users, {args.rules} query rules "
                f"({spec.stat().st_size / 1e6:.1f} MB); 3-node sandbox in its own process"
            )
            code, out, seconds = _pxc("apply", str(spec), "--auto-approve", env=env)
            if code != 0:
                print(out)
                return 1
            print(f"loaded with pxc apply in {seconds:.1f} s (peers converged)")
            walls = []
            for _ in range(args.runs):
                code, out, seconds = _pxc("status", str(spec), "--format", "json", env=env)
                if code != 0:
                    print(f"status exited {code}: {json.loads(out).get('reasons')}")
                    return 1
                walls.append(seconds)
            print(
                f"pxc status --format json (fresh interpreter, exit 0): "
                f"min {min(walls):.2f} s, median {statistics.median(walls):.2f} s "
                f"over {len(walls)} runs"
            )
            for label, value in phases(spec).items():
                print(f"  {label:<58} {value:6.2f} s")
        finally:
            subprocess.run(
                [sys.executable, "-m", "proxysql_iac.sandbox", "down"],
                check=False, capture_output=True, env=env,
            )  # fmt: skip
    ok = min(walls) < TARGET_SECONDS
    print("within target" if ok else "OVER TARGET", f"(< {TARGET_SECONDS:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
