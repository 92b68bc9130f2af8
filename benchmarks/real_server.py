"""Whole `pxc` processes against a real ProxySQL pair, each figure beside its floor.

Starts a 2-node ProxySQL cluster from PXC_PROXYSQL_BIN (or uses the pair given with
--endpoints) and times, with the wall clock around a subprocess, exactly what a user runs:

- apply of a config into an empty node (`pxc apply --auto-approve --no-wait`, and again
  waiting for the peer), beside the FLOOR: the same rows sent as multi-row INSERTs (250 rows
  each) + LOAD + SAVE by the `mysql` client (or, without one, by a bare mysql-connector
  script in its own interpreter), into the same empty node, in the same run;
- `pxc plan --detailed-exitcode` and `pxc status` when nothing changed;
- `pxc validate` (offline) of the same files;

for a config of 10,000 users + 1,000 query rules, the same at twice the size (to see how cost
grows), 50 users, and the large config: 2,000 servers + 50,000 users + 10,000 rules. Every
figure is the median of --runs runs (5 by default, 1 for the large config's applies: on a
shared 2-core VM one run in three can be 20% off) and peak RSS is the process's own (wait4).
Nothing is asserted: the JSON goes to --json, and benchmarks/report.py writes
docs/performance.md from it.

The 50 users are also applied by the PEER, the Ansible collection community.proxysql
(benchmarks/ansible/users.yml, a whole `ansible-playbook` process from the venv that
benchmarks/ansible/setup.sh makes), into the same empty node in the same run. Without that
venv the peer is skipped with the reason printed, and the rest runs. Every apply, pxc's and
the peer's, is checked afterwards: the node's runtime holds exactly the config's rows.

    .venv/bin/python benchmarks/real_server.py --json /tmp/bench.json [--runs 5] [--quick]
    .venv/bin/python benchmarks/report.py /tmp/bench.json
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mysql.connector

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.realserver import RealCluster  # noqa: E402  (the harness the suite uses)

PXC = Path(sys.executable).with_name("pxc")
ANSIBLE_DIR = ROOT / "benchmarks" / "ansible"
ANSIBLE_VENV = ROOT / "benchmarks" / ".venv-ansible"
APP_PASSWORD = "app-password"
BATCH = 250
TABLES = ("mysql_servers", "mysql_users", "mysql_query_rules")
MODULES = {"mysql_servers": "SERVERS", "mysql_users": "USERS", "mysql_query_rules": "QUERY RULES"}


@dataclass(frozen=True)
class Config:
    """A config by its row counts; the spec and the floor's SQL are made from the same rows."""

    name: str
    servers: int
    users: int
    rules: int

    def rows(self) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
        hostgroups = 20
        return {
            "mysql_servers": (
                ["hostgroup_id", "hostname"],
                [(i % hostgroups + 1, f"db{i}.example.com") for i in range(self.servers)],
            ),
            "mysql_users": (
                ["username", "password", "default_hostgroup"],
                [(f"user{i}", APP_PASSWORD, i % hostgroups + 1) for i in range(self.users)],
            ),
            "mysql_query_rules": (
                ["rule_id", "active", "match_digest", "destination_hostgroup", "apply"],
                [
                    (i, 1, f"^SELECT .* FROM t{i}$", i % hostgroups + 1, 1)
                    for i in range(1, self.rules + 1)
                ],
            ),
        }

    def spec(self, endpoints: list[tuple[str, int, str, str]]) -> str:
        out = ["version: 1", "cluster:", "  primary: p1"]
        out.append("  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}")
        out.append("  nodes:")
        out += [
            f"    - {{name: p{k}, host: {h}, port: {p}}}"
            for k, (h, p, _, _) in enumerate(endpoints, 1)
        ]
        for table, (columns, rows) in self.rows().items():
            if not rows:
                continue
            out.append(f"{table}:")
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                if table == "mysql_users":
                    values["password"] = "{env: APP_PW}"
                if table == "mysql_query_rules":
                    values["match_digest"] = f"'{values['match_digest']}'"
                out.append("  - {" + ", ".join(f"{k}: {v}" for k, v in values.items()) + "}")
        return "\n".join(out) + "\n"

    def floor_sql(self) -> str:
        lines = []
        for table, (columns, rows) in self.rows().items():
            for i in range(0, len(rows), BATCH):
                values = ",".join(
                    "(" + ",".join(_literal(v) for v in row) + ")" for row in rows[i : i + BATCH]
                )
                lines.append(f"INSERT INTO {table} ({','.join(columns)}) VALUES {values};")
            if rows:
                lines += [f"LOAD MYSQL {MODULES[table]} TO RUNTIME;"]
                lines += [f"SAVE MYSQL {MODULES[table]} TO DISK;"]
        return "\n".join(lines) + "\n"


def _literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


FLOOR_SCRIPT = """
import sys, mysql.connector
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
conn = mysql.connector.connect(host=host, port=port, user=user, password=password,
                               use_pure=True, autocommit=True, ssl_disabled=True)
cur = conn.cursor()
for statement in sys.stdin.read().split(";\\n"):
    if statement.strip():
        cur.execute(statement)
conn.close()
"""


@dataclass
class Run:
    seconds: float
    rss_mb: float
    exit_code: int


def timed(argv: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> Run:
    """Wall clock around a whole process, with that process's own peak RSS. Its output
    goes to a file (as a CI log would take it)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 2):
            out.seek(0)
            raise RuntimeError(f"{argv[:3]} exited {proc.returncode}: {out.read()[-3000:]}")
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode)


class AnsiblePeer:
    """The Ansible collection community.proxysql, run as `ansible-playbook` from its own venv
    (benchmarks/ansible/setup.sh), the way a user of the collection runs it."""

    def __init__(self, venv: Path) -> None:
        self.playbook = venv / "bin" / "ansible-playbook"
        site = "lib/python*/site-packages"
        manifests = sorted(
            venv.glob(f"{site}/ansible_collections/community/proxysql/MANIFEST.json")
        )
        cores = sorted(venv.glob(f"{site}/ansible_core-*.dist-info"))
        self.name = ""
        self.missing = ""
        if not self.playbook.exists() or not manifests or not cores:
            self.missing = (
                f"no ansible-playbook with community.proxysql in {venv} "
                "(bash benchmarks/ansible/setup.sh makes it)"
            )
            return
        collection = json.loads(manifests[0].read_text())["collection_info"]["version"]
        core = cores[0].name.removeprefix("ansible_core-").removesuffix(".dist-info")
        self.name = f"Ansible community.proxysql {collection} (ansible-core {core})"

    def argv_env(
        self, config: Config, endpoint: tuple[str, int, str, str], work: Path
    ) -> tuple[list[str], dict[str, str]]:
        host, port, user, password = endpoint
        columns, rows = config.rows()["mysql_users"]
        users = [dict(zip(columns, row, strict=True)) for row in rows]
        extra = {
            "proxysql_admin_host": host,
            "proxysql_admin_port": port,
            "proxysql_admin_user": user,
            "proxysql_users": [
                {"username": u["username"], "default_hostgroup": u["default_hostgroup"]}
                for u in users
            ],
        }
        variables = work / "ansible-vars.json"
        variables.write_text(json.dumps(extra))
        env = {
            **os.environ,
            "ANSIBLE_CONFIG": str(ANSIBLE_DIR / "ansible.cfg"),
            "ANSIBLE_LOCAL_TEMP": str(work / "ansible-tmp"),
            "PROXYSQL_ADMIN_PASSWORD": password,
            "APP_PW": APP_PASSWORD,
        }
        return [str(self.playbook), str(ANSIBLE_DIR / "users.yml"), "-e", f"@{variables}"], env


class Bench:
    def __init__(self, endpoints: list[tuple[str, int, str, str]], work: Path, runs: int) -> None:
        self.endpoints = endpoints
        self.work = work
        self.runs = runs
        self.results: list[dict[str, object]] = []
        self.peer: AnsiblePeer | None = None
        self.peer_skipped = ""
        mysql = shutil.which("mysql")
        host, port, user, password = endpoints[0]
        if mysql:
            self.floor_name = "mysql client"
            self.floor_argv = [mysql, f"-h{host}", f"-P{port}", f"-u{user}", f"-p{password}"]
            self.floor_argv.append("--skip-ssl")
        else:
            self.floor_name = "mysql-connector script"
            self.floor_argv = [sys.executable, "-c", FLOOR_SCRIPT, host, str(port), user, password]

    def admin(self, index: int = 0) -> "mysql.connector.MySQLConnection":
        host, port, user, password = self.endpoints[index]
        return mysql.connector.connect(  # type: ignore[return-value]
            host=host,
            port=port,
            user=user,
            password=password,
            use_pure=True,
            autocommit=True,
            ssl_disabled=True,
        )

    def empty(self) -> None:
        """Empty the managed tables on the primary (every layer), and wait for the peer.
        A LOAD in the same second as the previous one (the floor's, pxc's) would give the peer
        an equal epoch with another checksum, which ProxySQL never syncs: wait a second."""
        time.sleep(1.1)
        conn = self.admin()
        cur = conn.cursor()
        for table in TABLES:
            cur.execute(f"DELETE FROM {table}")
            cur.execute(f"LOAD MYSQL {MODULES[table]} TO RUNTIME")
            cur.execute(f"SAVE MYSQL {MODULES[table]} TO DISK")
        conn.close()
        self.wait_for_peers()
        time.sleep(1.1)  # so that pxc's own guard against a same-second LOAD does not wait

    def version(self) -> str:
        conn = self.admin()
        cur = conn.cursor()
        cur.execute(
            "SELECT variable_value FROM global_variables WHERE variable_name='admin-version'"
        )
        (version,) = cur.fetchone()  # type: ignore[misc]
        conn.close()
        return str(version)

    def wait_for_peers(self, timeout: float = 60.0) -> None:
        """Until every peer's runtime checksums equal the primary's (the cluster has settled)."""
        query = (
            "SELECT name, checksum FROM runtime_checksums_values "
            "WHERE name IN ('mysql_servers','mysql_users','mysql_query_rules') ORDER BY name"
        )
        deadline = time.monotonic() + timeout
        while True:
            seen = []
            for index in range(len(self.endpoints)):
                conn = self.admin(index)
                cur = conn.cursor()
                cur.execute(query)
                seen.append(cur.fetchall())
                conn.close()
            if all(s == seen[0] for s in seen):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the peers did not settle within {timeout:.0f}s: {seen}")
            time.sleep(0.1)

    def pxc(self, *args: str) -> Run:
        return timed([str(PXC), *args])

    def ansible(self, config: Config) -> Run:
        assert self.peer is not None
        argv, env = self.peer.argv_env(config, self.endpoints[0], self.work)
        return timed(argv, env=env)

    def check(self, config: Config) -> None:
        """The primary's runtime holds exactly the config's rows (the apply timed did its
        work): each table's columns that the config sets, as a multiset."""
        conn = self.admin()
        cur = conn.cursor()
        for table, (columns, rows) in config.rows().items():
            # runtime_mysql_users has a row per frontend and backend: one per user here.
            distinct = "DISTINCT " if table == "mysql_users" else ""
            cur.execute(f"SELECT {distinct}{','.join(columns)} FROM runtime_{table}")
            found = sorted(tuple(str(v) for v in row) for row in cur.fetchall())
            expected = sorted(tuple(str(v) for v in row) for row in rows)
            if found != expected:
                raise RuntimeError(
                    f"after the apply of {config.name}, runtime_{table} has {len(found)} rows, "
                    f"the config {len(expected)} (or their values differ)"
                )
        conn.close()

    def floor(self, config: Config) -> Run:
        return timed(self.floor_argv, stdin=config.floor_sql())

    def record(
        self,
        work: str,
        runs: list[Run],
        floor: list[Run] | None = None,
        peer: list[Run] | None = None,
        **extra: object,
    ) -> None:
        entry: dict[str, object] = {
            "work": work,
            "seconds": statistics.median(r.seconds for r in runs),
            "all_seconds": [round(r.seconds, 3) for r in runs],
            "rss_mb": max(r.rss_mb for r in runs),
            **extra,
        }
        if floor:
            entry["floor"] = self.floor_name
            entry["floor_seconds"] = statistics.median(r.seconds for r in floor)
            entry["ratio"] = entry["seconds"] / entry["floor_seconds"]  # type: ignore[operator]
        if peer:
            assert self.peer is not None
            entry["peer"] = self.peer.name
            entry["peer_seconds"] = statistics.median(r.seconds for r in peer)
            entry["all_peer_seconds"] = [round(r.seconds, 3) for r in peer]
            entry["peer_rss_mb"] = max(r.rss_mb for r in peer)
            # how many times faster pxc is than the peer
            entry["speedup"] = entry["peer_seconds"] / entry["seconds"]  # type: ignore[operator]
        self.results.append(entry)
        print(json.dumps(entry), flush=True)
        if peer:
            print(
                f"pxc {entry['seconds']:.2f} s, {entry['peer']} {entry['peer_seconds']:.2f} s: "
                f"pxc is {entry['speedup']:.1f}x faster",
                flush=True,
            )

    def repeat(
        self,
        n: int,
        before: Callable[[], None],
        run: Callable[[], Run],
        after: Callable[[], None] = lambda: None,
    ) -> list[Run]:
        out = []
        for _ in range(n):
            before()
            out.append(run())
            after()
        return out

    def config(
        self,
        config: Config,
        *,
        runs: int,
        wait_runs: int,
        extra_plan: bool,
        peer: bool = False,
        read_runs: int | None = None,
    ) -> None:
        """`read_runs` (default `runs`): of plan, status and validate, which cost seconds
        where an apply from empty, with its floor, costs tens."""
        read_runs = runs if read_runs is None else read_runs
        spec = self.work / f"{config.name}.yaml"
        spec.write_text(config.spec(self.endpoints))
        parts = [(config.servers, "servers"), (config.users, "users"), (config.rules, "rules")]
        size = " + ".join(f"{n:,} {what}" for n, what in parts if n)

        def check() -> None:
            self.check(config)

        floor = self.repeat(runs, self.empty, lambda: self.floor(config), check)
        applies = self.repeat(
            runs,
            self.empty,
            lambda: self.pxc("apply", str(spec), "--auto-approve", "--no-wait"),
            check,
        )
        self.record(
            f"apply {size} into an empty node (--no-wait)", applies, floor, config=config.name
        )
        if peer and self.peer is not None:
            peers = self.repeat(runs, self.empty, lambda: self.ansible(config), check)
            self.record(
                f"apply {size} into an empty node (--no-wait), beside the Ansible collection",
                applies,
                peer=peers,
                config=config.name,
            )
        if wait_runs:
            waited = self.repeat(
                wait_runs,
                self.empty,
                lambda: self.pxc("apply", str(spec), "--auto-approve"),
                check,
            )
            self.record(
                f"apply {size} into an empty node, waiting for the peer",
                waited,
                floor,
                config=config.name,
            )
        self.wait_for_peers()
        plans = self.repeat(
            read_runs, lambda: None, lambda: self.pxc("plan", str(spec), "--detailed-exitcode")
        )
        assert all(r.exit_code == 0 for r in plans), "plan found changes after apply"
        self.record(f"plan, no changes, {size}", plans, config=config.name)
        if extra_plan:
            status = self.repeat(read_runs, lambda: None, lambda: self.pxc("status", str(spec)))
            self.record(f"status, no changes, {size}", status, config=config.name)
            validate = self.repeat(read_runs, lambda: None, lambda: self.pxc("validate", str(spec)))
            self.record(f"validate (offline), {size}", validate, config=config.name)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, required=True, help="where to write the results")
    parser.add_argument(
        "--endpoints", help="user:password@host:port,... of a running pair (primary first)"
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="skip the large config")
    parser.add_argument(
        "--ansible-venv",
        type=Path,
        default=ANSIBLE_VENV,
        help="the venv of the Ansible peer (default: benchmarks/.venv-ansible, made by "
        "benchmarks/ansible/setup.sh); without it the peer is skipped",
    )
    args = parser.parse_args()
    os.environ["PXC_ADMIN_PASSWORD"] = "radmin"
    os.environ["APP_PW"] = APP_PASSWORD
    load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = None
        if args.endpoints:
            endpoints = []
            for item in args.endpoints.split(","):
                cred, _, addr = item.rpartition("@")
                user, _, password = cred.partition(":")
                host, _, port = addr.rpartition(":")
                endpoints.append((host, int(port), user, password))
            os.environ["PXC_ADMIN_PASSWORD"] = endpoints[0][3]
        else:
            binary = os.environ.get("PXC_PROXYSQL_BIN", "")
            if not binary:
                parser.error("set PXC_PROXYSQL_BIN to a proxysql binary, or pass --endpoints")
            cluster = RealCluster(binary, Path(tmp) / "cluster", size=2).start()
            endpoints = cluster.endpoints()
        # pxc runs from byte-compiled modules, as an installed package does (with
        # PYTHONDONTWRITEBYTECODE set, an editable install would compile them in every run).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "proxysql_iac")])
        try:
            bench = Bench(endpoints, Path(tmp), args.runs)
            server = f"ProxySQL {bench.version()}"
            peer = AnsiblePeer(args.ansible_venv)
            if peer.missing:
                bench.peer_skipped = peer.missing
                print(f"skipping the Ansible peer: {peer.missing}", flush=True)
            else:
                bench.peer = peer
            bench.config(
                Config("50 users", 0, 50, 0),
                runs=args.runs,
                wait_runs=0,
                extra_plan=False,
                peer=True,
            )
            bench.config(
                Config("10k", 0, 10_000, 1_000), runs=args.runs, wait_runs=1, extra_plan=True
            )
            bench.config(
                Config("20k", 0, 20_000, 2_000), runs=args.runs, wait_runs=0, extra_plan=False
            )
            if not args.quick:
                large = Config("large", 2_000, 50_000, 10_000)
                bench.config(large, runs=1, wait_runs=1, extra_plan=True, read_runs=args.runs)
        finally:
            if cluster is not None:
                cluster.stop()
    args.json.write_text(
        json.dumps(
            {
                "server": server,
                "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
                "date": time.strftime("%Y-%m-%d"),
                "floor": bench.floor_name,
                "peer_skipped": bench.peer_skipped,
                "load_average": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
                "results": bench.results,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
