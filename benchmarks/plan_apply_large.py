"""Plan and apply at scale against the sandbox (issue 4's performance targets).

Measures, on a 3-node sandbox:
  1. the first apply of 2,000 servers + 50,000 users + 10,000 query rules;
  2. `pxc plan` with no changes on that config: in-process and end to end (the CLI);
  3. apply of one changed rule: the write statements it sends;
  4. apply of 10,000 new users: write statements, and time against the mysql client sending
     the same multi-row SQL script (when a `mysql` client is installed);
  5. how soon after the last peer matches the convergence wait reports.

Run: .venv/bin/python benchmarks/plan_apply_large.py   (takes about a minute)
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from proxysql_iac.apply.executor import ApplyReport, execute
from proxysql_iac.planning import make_plan
from proxysql_iac.sandbox import Sandbox


def spec_text(ports: list[int], users: int, extra_users: int = 0, rule_20_digest: str = "x") -> str:
    out = [
        "version: 1",
        "cluster:",
        "  primary: p1",
        "  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}",
        "  nodes:",
    ]
    out += [f"    - {{name: p{k}, host: 127.0.0.1, port: {p}}}" for k, p in enumerate(ports, 1)]
    out.append("hostgroups: {" + ", ".join(f"hg{i}: {i}" for i in range(1, 21)) + "}")
    out.append("admin_variables: {cluster_check_interval_ms: 200}")
    out.append("mysql_servers:")
    out += [
        f"  - {{hostgroup_id: hg{i % 20 + 1}, hostname: db{i}.example.com}}" for i in range(2000)
    ]
    out.append("mysql_users:")
    out += [
        f"  - {{username: user{i}, password: {{env: APP_PW}}, default_hostgroup: hg{i % 20 + 1}}}"
        for i in range(users + extra_users)
    ]
    out.append("mysql_query_rules:")
    for i in range(1, 10001):
        digest = rule_20_digest if i == 20 else f"^SELECT .* FROM t{i}$"
        out.append(
            f"  - {{rule_id: {i}, active: 1, match_digest: '{digest}', "
            f"destination_hostgroup: hg{i % 20 + 1}, apply: 1}}"
        )
    return "\n".join(out) + "\n"


def writes(report: ApplyReport) -> Counter[str]:
    return Counter(s.split(" ")[0] for s in report.writes)


def timed_apply(spec: Path) -> tuple[float, ApplyReport, float]:
    t0 = time.perf_counter()
    ctx = make_plan([spec])
    t1 = time.perf_counter()
    report = execute(ctx, lambda line: None)
    return t1 - t0, report, time.perf_counter() - t1


def main() -> int:
    os.environ["PXC_ADMIN_PASSWORD"] = "radmin"
    os.environ["APP_PW"] = "app-password"
    with Sandbox(nodes=3) as sb, tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "large.yaml"
        spec.write_text(spec_text(sb.ports, 50_000))
        plan_s, report, apply_s = timed_apply(spec)
        print(f"1. first apply: plan {plan_s:.2f}s, apply {apply_s:.2f}s")
        print(f"   writes {dict(writes(report))}")

        t0 = time.perf_counter()
        ctx = make_plan([spec])
        in_process = time.perf_counter() - t0
        assert not ctx.plan.has_changes, "expected no changes"
        exe = Path(sys.executable).with_name("pxc")
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(exe), "plan", str(spec), "--detailed-exitcode"], capture_output=True
        )
        cli = time.perf_counter() - t0
        print(f"2. plan, no changes: in-process {in_process:.2f}s")
        print(f"   `pxc plan` end to end {cli:.2f}s (exit {done.returncode})")

        spec.write_text(spec_text(sb.ports, 50_000, rule_20_digest="^SELECT changed"))
        _, report, apply_s = timed_apply(spec)
        print(f"3. one changed rule: writes {dict(writes(report))} in {apply_s:.2f}s")

        spec.write_text(
            spec_text(sb.ports, 50_000, extra_users=10_000, rule_20_digest="^SELECT changed")
        )
        plan_s, report, apply_s = timed_apply(spec)
        converge = [c.seconds for c in report.convergence if c.seconds is not None]
        print(
            f"4. 10,000 new users: writes {dict(writes(report))}; plan {plan_s:.2f}s, "
            f"apply incl. convergence {apply_s:.2f}s (peers converged after {max(converge):.2f}s)"
        )
        t0 = time.perf_counter()
        ctx = make_plan([spec])
        execute(ctx, lambda line: None, wait=False)
        mysql = shutil.which("mysql")
        if mysql:
            host, port, user, password = sb.endpoints()[0]
            script = Path(tmp) / "users.sql"
            rows = [f"('bench{i}','app-password',1)" for i in range(10_000)]
            lines = [
                "INSERT INTO mysql_users (username,password,default_hostgroup) VALUES "
                + ",".join(rows[i : i + 250])
                + ";"
                for i in range(0, len(rows), 250)
            ]
            lines += ["LOAD MYSQL USERS TO RUNTIME;", "SAVE MYSQL USERS TO DISK;"]
            script.write_text("\n".join(lines) + "\n")
            t0 = time.perf_counter()
            with script.open() as fh:
                subprocess.run(
                    [mysql, f"-h{host}", f"-P{port}", f"-u{user}", f"-p{password}", "--skip-ssl"],
                    stdin=fh,
                    check=True,
                    capture_output=True,
                )
            client = time.perf_counter() - t0
            users_report = report
            dml_load_save = sum(writes(users_report).values())
            print(
                f"   mysql client, same 40 INSERTs + LOAD + SAVE: {client:.2f}s "
                f"(pxc sent {dml_load_save} writes)"
            )
        else:
            print("   (no mysql client installed: comparison skipped)")

    print(empty_node_users())
    return 0


def empty_node_users() -> str:
    """10,000 users into an empty node: pxc's apply (no peers to wait for) against the mysql
    client sending the same 40 multi-row INSERTs, LOAD and SAVE."""
    mysql = shutil.which("mysql")
    with Sandbox(nodes=1) as sb, tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "users.yaml"
        out = ["version: 1", "cluster:", "  primary: p1"]
        out += ["  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}", "  nodes:"]
        out += [f"    - {{name: p1, host: 127.0.0.1, port: {sb.ports[0]}}}", "mysql_users:"]
        out += [f"  - {{username: u{i}, password: {{env: APP_PW}}}}" for i in range(10_000)]
        spec.write_text("\n".join(out) + "\n")
        ctx = make_plan([spec])
        t0 = time.perf_counter()
        report = execute(ctx, lambda line: None)
        pxc = time.perf_counter() - t0
        line = f"6. 10,000 users into an empty node: pxc apply {pxc:.2f}s"
        line += f", writes {dict(writes(report))}"
        if not mysql:
            return line + " (no mysql client: comparison skipped)"
        host, port, user, password = sb.endpoints()[0]
        rows = [f"('v{i}','app-password')" for i in range(10_000)]
        lines = [
            "INSERT INTO mysql_users (username,password) VALUES "
            + ",".join(rows[i : i + 250])
            + ";"
            for i in range(0, len(rows), 250)
        ]
        script = Path(tmp) / "users.sql"
        script.write_text(
            "\n".join([*lines, "LOAD MYSQL USERS TO RUNTIME;", "SAVE MYSQL USERS TO DISK;"])
        )
        t0 = time.perf_counter()
        with script.open() as fh:
            subprocess.run(
                [mysql, f"-h{host}", f"-P{port}", f"-u{user}", f"-p{password}", "--skip-ssl"],
                stdin=fh,
                check=True,
                capture_output=True,
            )
        client = time.perf_counter() - t0
        return line + f"; mysql client, same script: {client:.2f}s (ratio {pxc / client:.1f}x)"


if __name__ == "__main__":
    sys.exit(main())
