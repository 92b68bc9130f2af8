"""The README's main job: a sandbox cluster, then validate -> plan -> apply -> change -> apply.

Runs pxc exactly as a user would (the `pxc` console script) against a 3-node sandbox.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from proxysql_iac.sandbox import Sandbox

SPEC = """version: 1
cluster:
  name: demo
  primary: proxysql-1
  admin: {{user: radmin, password: {{env: PXC_ADMIN_PASSWORD}}}}
  nodes:
{nodes}
hostgroups: {{writer: 10, reader: 20}}
mysql_servers:
  - {{hostgroup_id: writer, hostname: db-primary.demo.internal, comment: primary}}
  - {{hostgroup_id: reader, hostname: db-replica-1.demo.internal, weight: {weight}}}
  - {{hostgroup_id: reader, hostname: db-replica-2.demo.internal, weight: 100}}
mysql_replication_hostgroups:
  - {{writer_hostgroup: writer, reader_hostgroup: reader, comment: demo}}
mysql_users:
  - {{username: app, password: {{env: APP_DB_PASSWORD}}, default_hostgroup: writer}}
mysql_query_rules:
  - {{rule_id: 10, active: 1, match_digest: '^SELECT .* FOR UPDATE$', destination_hostgroup: writer, apply: 1}}
  - {{rule_id: 20, active: 1, match_digest: '^SELECT', destination_hostgroup: reader, apply: 1}}
mysql_variables:
  monitor_username: monitor
  monitor_password: {{env: MONITOR_PASSWORD}}
admin_variables:
  cluster_check_interval_ms: 200
"""


def pxc(*args: str) -> int:
    exe = Path(sys.executable).with_name("pxc")
    print(f"\n$ pxc {' '.join(args)}", flush=True)
    return subprocess.run([str(exe), *args], check=False).returncode


def main() -> int:
    os.environ.setdefault("PXC_ADMIN_PASSWORD", "radmin")
    os.environ.setdefault("APP_DB_PASSWORD", "demo-app-password")
    os.environ.setdefault("MONITOR_PASSWORD", "demo-monitor-password")
    started = time.monotonic()
    with Sandbox(nodes=3) as sandbox, tempfile.TemporaryDirectory() as tmp:
        print(f"sandbox: 3 nodes on ports {sandbox.ports} ({time.monotonic() - started:.2f}s)")
        nodes = "\n".join(  # each node's certificate checked against the CA it wrote
            f"    - {{name: proxysql-{k}, host: 127.0.0.1, port: {port}, "
            f"tls: {{mode: verify_ca, ca: '{sandbox.node(k).data_dir}/proxysql-ca.pem'}}}}"
            for k, port in enumerate(sandbox.ports, 1)
        )
        spec = Path(tmp) / "demo.yaml"
        spec.write_text(SPEC.format(nodes=nodes, weight=100))
        steps = [
            ("validate", str(spec)),
            ("plan", str(spec)),
            ("apply", str(spec), "--auto-approve"),
            ("plan", str(spec), "--detailed-exitcode"),
        ]
        for step in steps:
            if pxc(*step) != 0:
                print(f"demo failed at: pxc {' '.join(step)}", file=sys.stderr)
                return 1
        print("\n# change the spec: give replica 1 less weight")
        spec.write_text(SPEC.format(nodes=nodes, weight=10))
        code = pxc("plan", str(spec), "--detailed-exitcode")
        if code != 2:
            print("demo failed: expected the plan to show one change", file=sys.stderr)
            return 1
        if pxc("plan", str(spec), "--format", "markdown") != 0:
            return 1
        if pxc("apply", str(spec), "--auto-approve") != 0:
            return 1
        if pxc("plan", str(spec), "--detailed-exitcode") != 0:
            return 1
    print("\ndemo finished: the sandbox is stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
