"""How long `pxc validate` takes on a big spec, and how much memory it needs.

Generates a spec with 2,000 servers, 50,000 users (passwords as {env: ...} references) and
10,000 query rules in a temporary directory, then measures, each in a fresh interpreter:

1. `validate_files` exactly as `pxc validate` calls it: wall time and ru_maxrss;
2. the phases (parse, model, compile, rules), each timed on its own;
3. tracemalloc's peak over the phases (in this process; tracemalloc slows things down, so
   no time is taken under it).

Target on a developer machine: under 3 s and under 500 MB.

    python benchmarks/validate_large.py [--servers N] [--users N] [--rules N] [--profile]
"""

import argparse
import cProfile
import gc
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import ValidationError

from proxysql_iac.findings import Severity
from proxysql_iac.rules import RuleContext, load_all, run_rules
from proxysql_iac.spec.compile import compile_spec
from proxysql_iac.spec.load import LoadedSpec, model_findings
from proxysql_iac.spec.models import SpecModel
from proxysql_iac.spec.source import load_file
from proxysql_iac.validate import validate_files

T = TypeVar("T")
TARGET_SECONDS = 3.0
TARGET_MB = 500.0


def generate(path: Path, servers: int, users: int, rules: int) -> None:
    hostgroups = max(1, servers // 20)
    out = ["version: 1", "hostgroups:"]
    out += [f"  hg-{i}: {i + 1}" for i in range(hostgroups)]
    out.append("mysql_servers:")
    for i in range(servers):
        out.append(
            f"  - {{hostgroup_id: hg-{i % hostgroups}, hostname: db-{i}.example.internal, "
            f"port: 3306, weight: {1 + i % 100}, max_connections: 500, comment: server {i}}}"
        )
    out.append("mysql_users:")
    for i in range(users):
        out.append(
            f"  - {{username: user{i}, password: {{env: DB_PASSWORD_{i}}}, "
            f"default_hostgroup: hg-{i % hostgroups}, max_connections: 100}}"
        )
    out.append("mysql_query_rules:")
    for i in range(rules):
        out.append(
            f"  - {{rule_id: {i + 1}, active: 1, match_digest: '^SELECT .* FROM t{i}\\b', "
            f"destination_hostgroup: hg-{i % hostgroups}, apply: 1}}"
        )
    out += [
        "mysql_variables:",
        "  monitor_username: monitor",
        "  monitor_password: {env: MONITOR_PASSWORD}",
        "  max_connections: 100000",
    ]
    path.write_text("\n".join(out) + "\n")


def timed(label: str, times: dict[str, float], fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    times[label] = time.perf_counter() - start
    return result


def phases(path: Path) -> tuple[dict[str, float], int]:
    """Each phase on its own: (seconds per phase, number of findings)."""
    times: dict[str, float] = {}
    document = timed("parse", times, lambda: load_file(path))

    def model() -> LoadedSpec:
        # _combine merges and validates; split the model out to time it alone.
        loaded = LoadedSpec([document], document.data, None, [])
        try:
            loaded.model = SpecModel.model_validate(document.data)
        except ValidationError as exc:
            loaded.findings.extend(model_findings(loaded, exc))
        return loaded

    loaded = timed("model", times, model)
    desired, compile_findings = timed("compile", times, lambda: compile_spec(loaded))
    load_all()
    findings = timed(
        "rules", times, lambda: list(run_rules(RuleContext(loaded, desired), "validate"))
    )
    return times, len(loaded.findings) + len(compile_findings) + len(findings)


def child(path: Path, what: str) -> None:
    """Runs in a fresh process, so that ru_maxrss is this validation's own peak."""
    if what == "validate":
        start = time.perf_counter()
        result = validate_files([path])
        wall = time.perf_counter() - start
        errors = sum(1 for f in result.findings if f.severity is Severity.ERROR)
        print(f"{wall} {len(result.findings)} {errors} {_maxrss_mb()}")
    elif what == "phases":
        gc.disable()  # as validate_files does
        times, _ = phases(path)
        print(" ".join(f"{label}={seconds}" for label, seconds in times.items()))
    else:
        profiler = cProfile.Profile()
        profiler.enable()
        validate_files([path])
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def _maxrss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024  # bytes / KiB


def _run_child(path: Path, what: str) -> str:
    done = subprocess.run(
        [sys.executable, __file__, "--child", what, str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=2_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of validate")
    parser.add_argument("--child", nargs=2, metavar=("WHAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[1]), args.child[0])
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.yaml"
        generate(path, args.servers, args.users, args.rules)
        size_mb = path.stat().st_size / 1e6
        print(
            f"spec: {args.servers} servers, {args.users} users, {args.rules} query rules "
            f"({size_mb:.1f} MB of YAML)"
        )
        wall_s, count_s, errors_s, rss_s = _run_child(path, "validate").split()
        wall, count, errors, rss_mb = float(wall_s), int(count_s), int(errors_s), float(rss_s)
        phase_times = dict(
            item.split("=") for item in _run_child(path, "phases").split()
        )
        tracemalloc.start()
        phases(path)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        profile = _run_child(path, "profile") if args.profile else ""

    print(f"validate_files: {wall:.2f} s wall, {count} findings ({errors} errors)")
    for label, seconds in phase_times.items():
        print(f"  {label:<8} {float(seconds):6.2f} s")
    print(f"peak memory: ru_maxrss {rss_mb:.0f} MB (whole process, fresh interpreter), "
          f"tracemalloc peak {traced_peak / 1e6:.0f} MB (Python allocations)")
    ok = wall < TARGET_SECONDS and rss_mb < TARGET_MB and errors == 0
    print(
        "within target" if ok else "OVER TARGET",
        f"(< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB, no errors)",
    )
    if profile:
        print(profile)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
