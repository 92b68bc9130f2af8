"""Replay recorded ProxySQL 2.7.1 / 3.0.1 probes against a sandbox and compare the answers.

A recording of a 3.0.1 node (its file name ends in `-3.0.1.json`) is replayed against a
sandbox speaking 3.0; one of two clustered nodes (`meta.cluster`) against two clustered
sandbox nodes; `meta.config` is the libconfig text the recorded node booted from, given to
the sandbox nodes too.

Per step it compares ok, error
errno/SQLSTATE/message, columns, wire types, rows, rowcount, OK-packet info, insert_id,
warning_count and server status; step hints `skip`, `no_rows` and `ignore_columns` are
honoured. Answers that carry the node's port or data directory are normalised to the values of
the recording (6032/6042, `<datadir>`).
"""

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mysql.connector
from mysql.connector import FieldType

from proxysql_iac.sandbox import Sandbox
from proxysql_iac.sandbox.configfile import parse_config_text

DATA_DIR = Path(__file__).parent / "data"
PROBES = DATA_DIR / "probes-public-2.7.1.json"
NORMALIZATION = DATA_DIR / "normalization-public-2.7.1.json"
PROBES_30 = DATA_DIR / "probes-public-3.0.1.json"
GRAMMAR_30 = DATA_DIR / "grammar-3.0.1.json"
NORMALIZATION_30 = DATA_DIR / "normalization-public-3.0.1.json"
CLUSTER_30 = DATA_DIR / "cluster-3.0.1.json"
FIELDS = (
    "ok",
    "errno",
    "sqlstate",
    "msg",
    "columns",
    "types",
    "rows",
    "rowcount",
    "info",
    "insert_id",
    "warning_count",
    "server_status",
    "extra_results",
)
RECORDED_PORTS = {1: 6032, 2: 6042}


@dataclass
class Outcome:
    cases: int = 0
    cases_matched: int = 0
    steps: int = 0
    steps_matched: int = 0
    mismatched_cases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _jval(v: Any) -> Any:
    if isinstance(v, bytes | bytearray):
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": bytes(v).hex()}
    return v


class Replayer:
    def __init__(
        self,
        sandbox: Sandbox,
        honour_sleeps: bool = False,
        ports: dict[int, int] | None = None,
        user: str = "admin",
    ) -> None:
        self.sb = sandbox
        self.user = user  # the password is the user name (admin/admin, radmin/radmin)
        self.recorded_ports = ports or RECORDED_PORTS
        # The sandbox runs no Monitor and the probes ignore epochs, so waiting changes nothing
        # (except between clustered nodes).
        self.honour_sleeps = honour_sleeps
        self.conns: dict[tuple[int, str], Any] = {}

    def _port(self, node: int) -> int:
        return self.sb.node(node).port

    def conn(self, key: tuple[int, str]) -> Any:
        c = self.conns.get(key)
        if c is None:
            c = mysql.connector.connect(
                host="127.0.0.1",
                port=self._port(key[0]),
                user=self.user,
                password=self.user,
                use_pure=True,
                autocommit=True,
                connection_timeout=5,
            )
            self.conns[key] = c
        return c

    def close_all(self) -> None:
        for c in self.conns.values():
            with contextlib.suppress(Exception):
                c.close()
        self.conns = {}

    def fresh(self) -> None:
        self.close_all()
        for h in self.sb.handles:
            h.start(fresh=True)

    def _normalise(self, value: Any) -> Any:
        if isinstance(value, str):
            for k, h in enumerate(self.sb.handles, 1):
                value = value.replace(
                    f"127.0.0.1:{h.port}", f"127.0.0.1:{self.recorded_ports.get(k, 0)}"
                )
                value = value.replace(h.data_dir, "<datadir>")
                if value == str(h.port):  # a port column (stats_proxysql_servers_checksums)
                    value = str(self.recorded_ports.get(k, 0))
            return value
        if isinstance(value, list):
            return [self._normalise(v) for v in value]
        return value

    def run_step(self, node: int, step: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"sql": step.get("sql")}
        if step.get("sleep_ms") and self.honour_sleeps:
            time.sleep(step["sleep_ms"] / 1000.0)
        if step.get("sql") is None:
            return out
        key = (int(step.get("node", node)), str(step.get("session", "a")))
        try:
            cx = self.conn(key)
            if step.get("prepared"):
                cur = cx.cursor(prepared=True)
                try:
                    cur.execute(step["sql"], tuple(step.get("params") or ()))
                finally:
                    cur.close()
                sets: list[dict[str, Any]] = [{}]
            else:
                sets = self.run_query(cx, step["sql"])
            out["ok"] = True
            out.update(sets[0])
            if len(sets) > 1:
                out["extra_results"] = sets[1:]
        except mysql.connector.Error as e:
            out["ok"] = False
            out["error"] = {"errno": e.errno, "sqlstate": e.sqlstate, "msg": self._normalise(e.msg)}
            if e.errno in (2013, 2055, 2006, 2003, -1, None):
                self.drop(key)
        except Exception as e:
            out["ok"] = False
            out["error"] = {"errno": None, "sqlstate": None, "msg": f"{type(e).__name__}: {e}"}
            self.drop(key)
        return out

    def drop(self, key: tuple[int, str]) -> None:
        c = self.conns.pop(key, None)
        if c is not None:
            with contextlib.suppress(Exception):
                c.disconnect()

    def run_query(self, cx: Any, sql: str) -> list[dict[str, Any]]:
        sets = []
        for res in cx.cmd_query_iter(sql.encode("utf-8")):
            rs: dict[str, Any] = {}
            if "columns" in res:
                rows, eof = cx.get_rows(raw=True)
                rs["columns"] = [c[0] for c in res["columns"]]
                rs["types"] = [FieldType.get_info(c[1]) for c in res["columns"]]
                rs["rows"] = [[self._normalise(_jval(v)) for v in row] for row in rows]
                rs["rowcount"] = len(rows)
                st = (eof or {}).get("status_flag")
                w = (eof or {}).get("warning_count")
            else:
                rs["rowcount"] = res.get("affected_rows")
                if res.get("insert_id"):
                    rs["insert_id"] = res["insert_id"]
                if res.get("info_msg"):
                    rs["info"] = res["info_msg"]
                st, w = res.get("status_flag"), res.get("warning_count")
            if w:
                rs["warning_count"] = w
            if st is not None:
                rs["server_status"] = st
            sets.append(rs)
        return sets

    def run_case(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        if case.get("setup", "keep") == "fresh" or not all(h.running for h in self.sb.handles):
            self.fresh()
        else:
            self.close_all()
        node = int(case.get("node", 1))
        steps = [self.run_step(node, s) for s in case["steps"]]
        self.close_all()
        return steps


def norm_step(st: dict[str, Any]) -> dict[str, Any]:
    hint = st.get("compare")
    err = st.get("error") or {}
    d = {
        "ok": st.get("ok"),
        "errno": err.get("errno"),
        "sqlstate": err.get("sqlstate"),
        "msg": err.get("msg"),
        "columns": st.get("columns"),
        "types": st.get("types"),
        "rows": st.get("rows"),
        "rowcount": st.get("rowcount"),
        "info": st.get("info"),
        "insert_id": st.get("insert_id"),
        "warning_count": st.get("warning_count"),
        "server_status": st.get("server_status"),
        "extra_results": st.get("extra_results"),
    }
    if hint == "no_rows" and d["rows"] is not None:
        d["rows"] = f"<{len(d['rows'])} rows>"
        d["rowcount"] = None
    elif isinstance(hint, dict) and hint.get("ignore_columns") and d["rows"] and d["columns"]:
        idx = [i for i, c in enumerate(d["columns"]) if c in hint["ignore_columns"]]
        d["rows"] = [["*" if i in idx else v for i, v in enumerate(r)] for r in d["rows"]]
    return d


def compare_case(
    expected: list[dict[str, Any]], actual: list[dict[str, Any]]
) -> tuple[int, int, list[dict[str, Any]]]:
    compared = matched = 0
    diffs: list[dict[str, Any]] = []
    for i, (s1, s2) in enumerate(zip(expected, actual, strict=True)):
        if s1.get("sql") is None or s1.get("compare") == "skip":
            continue
        s2 = dict(s2, compare=s1.get("compare"))
        compared += 1
        n1, n2 = norm_step(s1), norm_step(s2)
        bad = [f for f in FIELDS if n1[f] != n2[f]]
        if bad:
            diffs.append(
                {
                    "step": i,
                    "sql": s1["sql"][:200],
                    "fields": bad,
                    "expected": {f: n1[f] for f in bad},
                    "actual": {f: n2[f] for f in bad},
                }
            )
        else:
            matched += 1
    return compared, matched, diffs


def replay_all(only: list[str] | None = None, data_file: Path = PROBES) -> Outcome:
    data = json.loads(data_file.read_text("utf-8"))
    meta = data.get("meta", {})
    out = Outcome()
    version = "3.0" if data_file.name.endswith("-3.0.1.json") else "2.7"
    config = parse_config_text(meta["config"]) if meta.get("config") else None
    cluster = bool(meta.get("cluster"))
    with Sandbox(nodes=2, cluster=cluster, config=config, version=version) as sb:
        ports = meta.get("ports")
        r = Replayer(
            sb,
            ports=dict(enumerate(ports, 1)) if ports else None,
            user=str(meta.get("user", "admin")),
            honour_sleeps=cluster,  # "node 2 read 3 s later": its Cluster checks must run
        )
        for case in data["cases"]:
            if only and case["name"] not in only:
                continue
            actual = r.run_case(case)
            compared, matched, diffs = compare_case(case["steps"], actual)
            out.cases += 1
            out.steps += compared
            out.steps_matched += matched
            if diffs:
                out.mismatched_cases[case["name"]] = diffs
            else:
                out.cases_matched += 1
    return out


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    data_file = PROBES
    if args and args[0].endswith(".json"):
        data_file = Path(args.pop(0))
    res = replay_all(args or None, data_file)
    for name, diffs in res.mismatched_cases.items():
        for d in diffs:
            print(name, json.dumps(d, ensure_ascii=False)[:600])
    print(f"cases {res.cases_matched}/{res.cases}  steps {res.steps_matched}/{res.steps}")
