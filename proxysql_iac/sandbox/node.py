"""One emulated ProxySQL (2.7.1 or 3.0.1) admin node: SQLite layers and commands.

Everything here is synchronous and protocol-free: `SandboxNode.execute(sql)` takes the raw text
of one COM_QUERY and returns a `Result` or raises `AdminError` / `Crash`. The wire protocol lives
in `protocol.py`, the cluster in `cluster.py`.
"""

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import commands, ddl, sqlfuncs
from .tls import ServerTls
from .variables import NOT_SYNCED, parse_credentials, validate
from .versions import DEFAULT_VERSION, server_version

if TYPE_CHECKING:
    from .aurora import AuroraMonitor

Row = tuple[Any, ...]

SERVER_TABLES = commands.TABLE_MODULES["MYSQL SERVERS"]
PGSQL_SERVER_TABLES = commands.PGSQL_TABLE_MODULES["PGSQL SERVERS"]
# LOADs that count a checksum row (the variable modules count `<prefix>_variables`)
# ProxySQL stamps a LOAD's epoch with time(NULL), which on Linux reads the kernel's coarse
# clock: it lags the clock that queries read by up to a scheduler tick. On ProxySQL 2.7.1, a LOAD
# sent 6 ms after the node's `strftime('%s','now')` turned a second got the previous second's
# epoch 40 times out of 40 (a 250 Hz kernel: 4 ms a tick).
EPOCH_CLOCK_LAG_S = 0.004

COUNTED_BY = {
    "MYSQL USERS": "mysql_users",
    "MYSQL QUERY RULES": "mysql_query_rules",
    "PROXYSQL SERVERS": "proxysql_servers",
    "PGSQL SERVERS": "pgsql_servers",
    "PGSQL USERS": "pgsql_users",
    "PGSQL QUERY RULES": "pgsql_query_rules",
}
INT32_MAX = 2**31 - 1


class AdminError(Exception):
    """An error packet: errno 1045, SQLSTATE 28000 unless told otherwise."""

    def __init__(self, msg: str, errno: int = 1045, sqlstate: str = "28000") -> None:
        super().__init__(msg)
        self.msg = msg
        self.errno = errno
        self.sqlstate = sqlstate


class Crash(Exception):
    """The input would crash a real ProxySQL 2.7.1: the node drops the connection and stops."""


@dataclass
class Result:
    columns: list[str] | None = None
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    affected: int = 0
    info: str | None = None


@dataclass
class Checksum:
    version: int
    epoch: int
    checksum: str


def hash64(rows: Sequence[Sequence[Any]]) -> str:
    """64-bit checksum of a result set, formatted like ProxySQL's (0x + 16 hex digits).

    ProxySQL uses SpookyHash over its own row serialisation; the sandbox uses BLAKE2b, so the
    values differ from a real server but change exactly when the content changes.
    """
    if not rows:
        return "0x0000000000000000"
    h = hashlib.blake2b(digest_size=8)
    for row in rows:
        for v in row:
            h.update(b"\x00N" if v is None else b"\x01" + str(v).encode("utf-8", "replace"))
        h.update(b"\x02")
    return "0x" + h.hexdigest().upper()


def atoi(value: Any) -> int:
    """C atoi over SQLite's text rendering of a value (what ProxySQL does at LOAD)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = sqlfuncs.render(value)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    m = re.match(r"\s*([+-]?\d+)", text or "")
    return int(m.group(1)) if m else 0


_NUMERIC = re.compile(r"\s*[+-]?\d")
_WRITES_ROWS = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
ADMIN_THREAD_STACK = 8 * 1024 * 1024  # bytes of stack ProxySQL gives each admin session's thread


def _text_in(values: Sequence[Any]) -> bool:
    return any(isinstance(v, str) for v in values)


def _replication_runtime(rows: list[Row]) -> list[Row]:
    """Replication rows are copied as stored (6.7 stays 6.7), except rows with a non-numeric
    hostgroup and rows whose writer is another row's reader."""
    repl = [r for r in rows if not _text_in(r[:2])]
    readers = {atoi(r[1]) for r in repl}
    return [r for r in repl if atoi(r[0]) not in readers]


def _server_order(row: Row, key: tuple[int, int, int]) -> tuple[int, str, int]:
    return (atoi(row[key[0]]), str(row[key[1]]), atoi(row[key[2]]))


def _re_modifiers(value: Any) -> str:
    items = [str(m).upper() for m in str(value or "").split(",")]
    flags = [f for f in ("CASELESS", "GLOBAL") if any(m.startswith(f) for m in items)]
    return ",".join(flags)


def _digest(value: Any) -> str | None:
    """strtoull(value, 0) as ProxySQL reads a digest; values past 2^64-2 read as none."""
    if value is None:
        return None
    text = sqlfuncs.render(value)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    m = re.match(r"\s*(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9]\d*))", str(text))
    if not m:
        return None
    hexa, octal, decimal = m.groups()
    number = int(hexa, 16) if hexa else int(octal, 8) if octal else int(decimal)
    if number == 0 or number >= 2**64 - 1:
        return None
    return f"0x{number:016X}"


def first_statement(sql: str) -> str | None:
    """The text SQLite would compile first (the rest of a multi-statement query is dropped).

    Returns None when nothing but whitespace, comments and semicolons is left.
    """
    rest = sql
    while True:
        stmt = rest
        for i, ch in enumerate(rest):
            if ch == ";" and sqlite3.complete_statement(rest[: i + 1]):
                stmt = rest[: i + 1]
                break
        if _has_code(stmt):
            return stmt
        if stmt is rest:
            return None
        rest = rest[len(stmt) :]


_COMMENTS = re.compile(r"--[^\n]*(\n|$)|/\*.*?(\*/|$)", re.S)


def _has_code(stmt: str) -> bool:
    return bool(_COMMENTS.sub(" ", stmt).replace(";", " ").strip())


class _NullParams(dict[str, None]):
    """Unbound named parameters (@x, :x, $x) read as NULL, as in SQLite's C API."""

    def __missing__(self, key: str) -> None:
        return None


_NULL_PARAMS = _NullParams()


class SandboxNode:
    """State and command handling of one admin node."""

    def __init__(
        self,
        index: int,
        port: int,
        data_dir: str,
        peers: Sequence[tuple[str, int]] = (),
        config: dict[str, Any] | None = None,
        host: str = "127.0.0.1",
        version: str = DEFAULT_VERSION,
    ) -> None:
        self.server = server_version(version)
        self.grammar = self.server.grammar
        self.tables = ddl.config_tables(self.server.pgsql)
        self.index = index
        self.port = port
        self.host = host
        self.data_dir = data_dir
        self.peers = list(peers)
        self.config = config
        self.lock = threading.RLock()
        # SQLite's changes() as the last client statement left it: a statement that changes
        # no rows (VACUUM, ANALYZE, ATTACH) reports it, as on ProxySQL, even when the
        # sandbox's own background work (Cluster stats, pulls) wrote rows in between
        self._client_changes = 0
        self._count_kept = False  # this statement reported `_client_changes`: keep it
        self.db: sqlite3.Connection | None = None
        self.runtime_vars: dict[str, str] = {}
        self.runtime: dict[str, list[Row]] = {}
        self._int_column_cache: dict[str, list[int]] = {}
        self.servers_v2: list[Row] = []
        self.checksums: dict[str, Checksum] = {}
        # open admin sessions, as the server that serves this node counts them
        self.admin_sessions: Callable[[], int] = lambda: 0
        self.defaults = dict(ddl.default_variables(self.server.variables_file))
        self.started_at = 0.0
        # set by the cluster: other nodes of the process, for cluster-internal reads
        self.listeners: list[Callable[[str], None]] = []
        # fault injection
        self.fail_rules: list[tuple[re.Pattern[str], AdminError]] = []
        self.drop_after: int | None = None
        self.frozen = False
        self.held_epoch: int | None = None  # the epoch the next LOADs get, whatever the clock
        self.held_loads = 0  # how many LOADs more get it
        # this node's Aurora Monitor (set by the Sandbox before boot; None: no discovery)
        self.aurora: AuroraMonitor | None = None
        self.tls: ServerTls | None = None  # the admin port's certificate, read at boot

    # ------------------------------------------------------------------ boot
    @property
    def disk_path(self) -> str:
        return os.path.join(self.data_dir, "proxysql.db")

    def boot(self) -> None:
        """Open the layers with ProxySQL's start-up semantics."""
        os.makedirs(self.data_dir, exist_ok=True)
        self.tls = ServerTls(self.data_dir)
        first_boot = not os.path.exists(self.disk_path)
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.db = db
        db.execute("ATTACH DATABASE ? AS disk", (self.disk_path,))
        db.execute("PRAGMA disk.synchronous=OFF")
        db.execute("PRAGMA disk.journal_mode=MEMORY")
        for schema in ("stats", "monitor"):
            db.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
        stats_path = os.path.join(self.data_dir, "proxysql_stats.db")
        if os.path.exists(stats_path):
            os.remove(stats_path)
        db.execute("ATTACH DATABASE ? AS stats_history", (stats_path,))
        db.execute("PRAGMA stats_history.synchronous=OFF")
        self._register_functions(db)
        for name, body in self.tables.items():
            db.execute(ddl.create("main", name, body))
            if name not in ddl.NO_RUNTIME:
                db.execute(ddl.create("main", "runtime_" + name, body))
        if self.server.pgsql:
            # a fresh 3.0.1 shows sqlite_sequence rows (0) for its AUTOINCREMENT tables at once
            for name in ("mysql_query_rules", "pgsql_query_rules", "scheduler", "restapi_routes"):
                db.execute(f"INSERT INTO main.{name} SELECT * FROM main.{name} WHERE 0")
        db.execute(ddl.create("main", "runtime_checksums_values", ddl.RUNTIME_CHECKSUMS_VALUES))
        existing = {r[0] for r in db.execute("SELECT name FROM disk.sqlite_master")}
        for name, body in self.tables.items():
            if name not in ddl.NO_DISK and name not in existing:
                db.execute(ddl.create("disk", name, body))
        if "global_settings" not in existing:
            db.execute(ddl.create("disk", "global_settings", ddl.GLOBAL_SETTINGS))
        for schema, _table, create in ddl.aux_schemas(self.server.pgsql):
            db.execute(create.replace("CREATE TABLE ", f"CREATE TABLE {schema}.", 1))
        refs = ddl.reference_rows()
        collations = refs["collations"]
        assert isinstance(collations, list)
        db.executemany("INSERT INTO main.mysql_collations VALUES (?,?,?,?)", collations)
        status = refs["mysql_status_3.0" if self.server.pgsql else "mysql_status"]
        assert isinstance(status, list)
        db.executemany("INSERT INTO stats.stats_mysql_global VALUES (?,?)", status)
        modules = self.grammar.table_modules
        if first_boot:
            self._first_boot_memory()
            for module in modules:
                self._copy_tables(modules[module], "main", "disk")
            db.execute(
                "INSERT OR REPLACE INTO disk.global_variables SELECT * FROM main.global_variables"
            )
        else:
            for module in modules:
                self._copy_tables(modules[module], "disk", "main")
            db.execute(
                "INSERT OR REPLACE INTO main.global_variables SELECT * FROM disk.global_variables"
            )
        self.started_at = time.time()
        epoch = int(self.started_at)
        self.runtime_vars = {}
        for prefix in ("admin-", "mysql-", "pgsql-") if self.server.pgsql else ("admin-", "mysql-"):
            self._load_variables(prefix, boot=True)
        for module in (
            "MYSQL SERVERS",
            "MYSQL USERS",
            "MYSQL QUERY RULES",
            "PROXYSQL SERVERS",
            "SCHEDULER",
            "RESTAPI",
            "MYSQL FIREWALL",
            *commands.PGSQL_TABLE_MODULES,
        ):
            if module in modules:
                self._load_module(module, count_version=False, discover=False)
        for name in self.server.checksum_modules:
            self.checksums[name] = Checksum(1, epoch, self._compute_checksum(name))
        for name in self.server.uncounted_checksums:
            self.checksums[name] = Checksum(0, 0, "")
        self._aurora_after_load(bump=True)  # the Monitor starts after the boot load
        db.execute("DELETE FROM main.runtime_checksums_values WHERE 0")  # changes() -> 0

    def _first_boot_memory(self) -> None:
        assert self.db is not None
        values = dict(self.defaults)
        if self.config is not None:
            from .configfile import apply_config

            apply_config(self, self.config, values)
        # the node listens where the sandbox put it, whatever the config file says
        values["admin-mysql_ifaces"] = f"{self.host}:{self.port}"
        self.db.executemany(
            "INSERT OR REPLACE INTO main.global_variables VALUES (?,?)", sorted(values.items())
        )
        if self.config is None or "proxysql_servers" not in self.config:
            self.db.executemany(
                "INSERT OR REPLACE INTO main.proxysql_servers (hostname, port, weight, comment) "
                "VALUES (?,?,0,?)",
                [(h, p, f"node{i + 1}") for i, (h, p) in enumerate(self.peers)],
            )

    def close(self) -> None:
        with self.lock:
            if self.db is not None:
                self.db.close()
                self.db = None

    def _register_functions(self, db: sqlite3.Connection) -> None:
        db.create_function("MYSQL_NATIVE_PASSWORD", 1, sqlfuncs.mysql_native_password)
        db.create_function("CACHING_SHA2_PASSWORD", 1, sqlfuncs.caching_sha2_password)
        db.create_function("CACHING_SHA2_PASSWORD", 2, sqlfuncs.caching_sha2_password)
        db.create_function("GLOBAL_CHECKSUM", 0, self.global_checksum)
        db.create_function("sqlite_version", 0, lambda: "3.43.2")

    # ------------------------------------------------------------ helpers
    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        assert self.db is not None
        return list(self.db.execute(sql, params))

    def _columns(self, schema: str, table: str) -> list[str]:
        return [r[1] for r in self._q(f"PRAGMA {schema}.table_info({table})")]

    def _copy_tables(self, tables: Sequence[str], src: str, dst: str) -> None:
        assert self.db is not None
        for t in tables:
            self.db.execute(f"DELETE FROM {dst}.{t}")
            self.db.execute(f"INSERT INTO {dst}.{t} SELECT * FROM {src}.{t}")

    def var(self, name: str) -> str:
        return self.runtime_vars.get(name, self.defaults.get(name, ""))

    def var_int(self, name: str, default: int = 0) -> int:
        try:
            return int(self.var(name))
        except ValueError:
            return default

    def var_bool(self, name: str) -> bool:
        return self.var(name) == "true"

    def credentials(self) -> dict[str, tuple[str, str]]:
        """username -> (password, kind) for admin and stats users at runtime."""
        out: dict[str, tuple[str, str]] = {}
        for u, p in parse_credentials(self.var("admin-stats_credentials")).items():
            out[u] = (p, "stats")
        for u, p in parse_credentials(self.var("admin-admin_credentials")).items():
            out[u] = (p, "admin")
        return out

    # -------------------------------------------------------- runtime build
    def _load_module(
        self,
        module: str,
        count_version: bool = True,
        discover: bool = True,
        runtime_servers: list[Row] | None = None,
    ) -> None:
        """memory -> runtime for one module, then bump its checksum row.

        After `MYSQL SERVERS` the Aurora Monitor checks at once (`discover`); what it changes
        is a separate Monitor commit (new checksum and epoch, same version), as in ProxySQL.
        `runtime_servers`: a peer's runtime servers, used as ours (cluster sync algorithm 1).
        """
        epoch = self._epoch_of_this_load() if count_version else None
        if module in self.grammar.variable_modules:
            prefix = self.grammar.variable_modules[module]
            if prefix != "sqliteserver-":
                self._load_variables(prefix)
                name = prefix[:-1] + "_variables"
                if count_version and name not in self.server.uncounted_checksums:
                    self._bump(name, epoch)
            return
        if module == "MYSQL SERVERS":
            self._build_servers()
            if runtime_servers is not None:
                self.runtime["mysql_servers"] = list(runtime_servers)
            if count_version:
                self._bump("mysql_servers", epoch)
                self._bump("mysql_servers_v2", epoch)
            if discover:
                self._aurora_after_load(bump=count_version)
            return
        if module == "PGSQL SERVERS":
            self._build_pgsql_servers()
        else:
            for t in self.grammar.table_modules.get(module, ()):
                rows = self._q(f"SELECT * FROM main.{t}")
                if t in ("mysql_users", "pgsql_users"):
                    rows = self._runtime_users(t, rows)
                elif t in ("mysql_query_rules", "pgsql_query_rules"):
                    rows = self._runtime_rules(t, rows)
                else:
                    rows = self._as_loaded(t, rows)
                self.runtime[t] = rows
        if count_version and module in COUNTED_BY:
            self._bump(COUNTED_BY[module], epoch)

    def _runtime_users(self, table: str, rows: list[Row]) -> list[Row]:
        """Active users with a default hostgroup >= 0, split into a frontend row and a backend
        row; integers read with atoi, a NULL password (and default_schema) as ''."""
        at = {c: i for i, c in enumerate(self._columns("main", table))}
        fe, be = at["frontend"], at["backend"]
        ints = [i for i in self._int_columns(table) if i not in (fe, be)]
        texts = [at[c] for c in ("password", "default_schema") if c in at]
        front: list[Row] = []
        back: list[Row] = []
        for r in sorted(rows, key=lambda r: str(r[0])):
            if atoi(r[at["active"]]) != 1 or atoi(r[at["default_hostgroup"]]) < 0:
                continue
            base = list(r)
            for i in texts:
                base[i] = "" if base[i] is None else base[i]
            for i in ints:
                base[i] = atoi(base[i])
            if atoi(r[fe]) == 1:
                f = list(base)
                f[be], f[fe] = 0, 1
                front.append(tuple(f))
            if atoi(r[be]) == 1:
                b = list(base)
                b[be], b[fe] = 1, 0
                back.append(tuple(b))
        return front + back

    def _int_columns(self, table: str) -> list[int]:
        """Positions of the INT columns of a table (from its DDL): ProxySQL reads them with
        atoi at LOAD, so runtime shows whole numbers; NULL stays NULL."""
        cached = self._int_column_cache.get(table)
        if cached is None:
            info = self._q(f"PRAGMA main.table_info({table})")
            cached = [int(r[0]) for r in info if "INT" in str(r[2]).upper()]
            self._int_column_cache[table] = cached
        return cached

    def _as_loaded(self, table: str, rows: list[Row]) -> list[Row]:
        ints = self._int_columns(table)
        out = []
        for r in rows:
            row = list(r)
            for i in ints:
                if row[i] is not None:
                    row[i] = atoi(row[i])
            out.append(tuple(row))
        return out

    def _runtime_rules(self, table: str, rows: list[Row]) -> list[Row]:
        """Active rules only. A non-numeric cache_ttl drops the rule; re_modifiers keeps the
        comma-separated items that start with CASELESS or GLOBAL (any case), in that order;
        digest is read as a C number (base 0) and shown as 0x + 16 hex digits, 0 or an
        unreadable value as NULL. runtime_pgsql_query_rules (3.0.1) shows mirror_flagOUT
        and mirror_hostgroup each under the other's name (measured)."""
        at = {c: i for i, c in enumerate(self._columns("main", table))}
        swapped = table == "pgsql_query_rules"
        out = []
        for raw, r in zip(rows, self._as_loaded(table, rows), strict=True):
            ttl = raw[at["cache_ttl"]]
            if r[at["active"]] != 1 or (isinstance(ttl, str) and not _NUMERIC.match(ttl)):
                continue
            row = list(r)
            row[at["re_modifiers"]] = _re_modifiers(row[at["re_modifiers"]])
            row[at["digest"]] = _digest(row[at["digest"]])
            if swapped:
                flag_out, hostgroup = at["mirror_flagOUT"], at["mirror_hostgroup"]
                row[flag_out], row[hostgroup] = row[hostgroup], row[flag_out]
            out.append(tuple(row))
        return sorted(out, key=lambda r: r[0])

    def _build_pgsql_servers(self) -> None:
        """LOAD PGSQL SERVERS: as the MySQL side (no gtid_port, no v2 list, no Aurora); a
        pgsql_hostgroup_attributes row whose hostgroup_id is another row's once read as an
        integer ('' and 0) aborts the process (recorded on 3.0.1)."""
        hg = {t: self._q(f"SELECT * FROM main.{t}") for t in PGSQL_SERVER_TABLES}
        at = {c: i for i, c in enumerate(self._columns("main", "pgsql_servers"))}
        key = (at["hostgroup_id"], at["hostname"], at["port"])
        status, latency = at["status"], at["max_latency_ms"]
        servers = []
        for r in self._as_loaded(
            "pgsql_servers", sorted(hg["pgsql_servers"], key=lambda r: _server_order(r, key))
        ):
            row = list(r)
            row[status] = str(row[status]).upper()
            # kept in microseconds in an unsigned 32-bit integer: 2147483647 reads back 4294966
            row[latency] = (row[latency] * 1000) % 2**32 // 1000
            if row[status] != "OFFLINE_HARD":
                servers.append(tuple(row))
        self.runtime["pgsql_servers"] = servers
        self.runtime["pgsql_replication_hostgroups"] = _replication_runtime(
            hg["pgsql_replication_hostgroups"]
        )
        self.runtime["pgsql_hostgroup_attributes"] = self._as_loaded(
            "pgsql_hostgroup_attributes", hg["pgsql_hostgroup_attributes"]
        )
        self._crash_on_conflict("PGSQL SERVERS", ("pgsql_hostgroup_attributes",))

    def _crash_on_conflict(self, module: str, tables: Sequence[str]) -> None:
        """ProxySQL writes these runtime rows into tables with the same constraints; a row that
        breaks one once read as numbers aborts the process during LOAD."""
        assert self.db is not None
        for t in tables:
            try:
                self.db.execute("SAVEPOINT runtime_check")
                self._fill("runtime_" + t, self.runtime[t])
            except sqlite3.IntegrityError as exc:
                raise Crash(f"LOAD {module}: {exc}") from exc
            finally:
                self.db.execute("ROLLBACK TO runtime_check")
                self.db.execute("RELEASE runtime_check")

    def _build_servers(self) -> None:
        hg: dict[str, list[Row]] = {t: self._q(f"SELECT * FROM main.{t}") for t in SERVER_TABLES}
        servers: list[Row] = []
        v2: list[Row] = []
        for r in sorted(hg["mysql_servers"], key=lambda r: (atoi(r[0]), str(r[1]), atoi(r[2]))):
            status = str(r[4]).upper()
            row = (
                atoi(r[0]),
                r[1],
                atoi(r[2]),
                atoi(r[3]),
                status,
                atoi(r[5]),
                atoi(r[6]),
                atoi(r[7]),
                atoi(r[8]),
                atoi(r[9]),
                atoi(r[10]),
                r[11],
            )
            if status == "OFFLINE_HARD":
                continue
            servers.append(row)
            v2.append((*row[:4], "ONLINE" if status == "SHUNNED" else status, *row[5:]))
        self.runtime["mysql_servers"] = servers
        self.runtime["mysql_replication_hostgroups"] = _replication_runtime(
            hg["mysql_replication_hostgroups"]
        )
        for t in ("mysql_group_replication_hostgroups", "mysql_galera_hostgroups"):
            rows = self._as_loaded(t, hg[t])
            others = {x for r in rows for x in (r[1], r[2], r[3])}
            self.runtime[t] = [r for r in rows if r[0] not in others]
        self.runtime["mysql_aws_aurora_hostgroups"] = self._as_loaded(
            "mysql_aws_aurora_hostgroups", hg["mysql_aws_aurora_hostgroups"]
        )
        for t in ("mysql_hostgroup_attributes", "mysql_servers_ssl_params"):
            self.runtime[t] = self._as_loaded(t, hg[t])
        # two writers 'abc' and '0x1' are both 0, a reader '' is 0: the process aborts
        self._crash_on_conflict(
            "MYSQL SERVERS",
            (
                "mysql_group_replication_hostgroups",
                "mysql_galera_hostgroups",
                "mysql_aws_aurora_hostgroups",
            ),
        )
        self.servers_v2 = v2

    # ------------------------------------------------------------- Aurora
    def _monitor_commit(self, before: str) -> None:
        """A Monitor change of runtime servers: new checksum and epoch, same version.

        (`update_glovars_mysql_servers_checksum` without `update_version`: only LOADs and
        cluster pulls count versions, so peers pull a Monitor change only once a LOAD has put
        the node past version 1.)
        """
        after = self._compute_checksum("mysql_servers")
        old = self.checksums.get("mysql_servers")
        if old is None or after == before:
            return
        self.checksums["mysql_servers"] = Checksum(old.version, self.epoch_clock(), after)
        for cb in self.listeners:
            cb("mysql_servers")

    def _aurora_after_load(self, bump: bool) -> None:
        if self.aurora is None:
            return
        self.aurora.note_hostgroups(self)
        if not self.aurora.rows(self):  # no active Aurora row, or the Monitor is off
            self.aurora.forget_checks()
            return
        before = self._compute_checksum("mysql_servers")
        self.aurora.after_load(self)
        if bump:
            self._monitor_commit(before)

    def aurora_tick(self) -> float:
        """Run the Aurora checks that are due; seconds until the next one."""
        with self.lock:
            if self.aurora is None or self.db is None:
                return 0.25
            if not self.aurora.rows(self):
                self.aurora.forget_checks()
                return 0.25
            before = self._compute_checksum("mysql_servers")
            wait = self.aurora.tick(self)
            self._monitor_commit(before)
            return wait

    def aurora_check(self) -> None:
        """One Aurora check of every active row, now."""
        with self.lock:
            if self.aurora is None or self.db is None or not self.aurora.rows(self):
                return
            before = self._compute_checksum("mysql_servers")
            self.aurora.run(self, force=True)
            self._monitor_commit(before)

    def _load_variables(self, prefix: str, boot: bool = False) -> None:
        assert self.db is not None
        rows = self._q(
            "SELECT variable_name, variable_value FROM main.global_variables "
            "WHERE variable_name LIKE ?",
            (prefix + "%",),
        )
        for name, value in rows:
            if name not in self.defaults:
                self.db.execute("DELETE FROM main.global_variables WHERE variable_name=?", (name,))
                continue
            value = "" if value is None else str(value)
            current = self.runtime_vars.get(name)
            if boot and current is None:
                self.runtime_vars[name] = value
                continue
            if current is None:
                current = self.defaults[name]
            new = validate(name, value, current, self.defaults[name])
            if new is None:
                self.db.execute(
                    "UPDATE main.global_variables SET variable_value=? WHERE variable_name=?",
                    (current, name),
                )
                new = current
            self.runtime_vars[name] = new
        for name in self.defaults:
            if name.startswith(prefix) and name not in self.runtime_vars:
                self.runtime_vars[name] = self.defaults[name]

    # ------------------------------------------------------------- checksums
    def _compute_checksum(self, name: str) -> str:
        if name in ("admin_variables", "mysql_variables"):
            prefix = "admin-" if name == "admin_variables" else "mysql-"
            rows: list[Row] = sorted(
                (k, v)
                for k, v in self.runtime_vars.items()
                if k.startswith(prefix) and k not in NOT_SYNCED
            )
            return hash64(rows)
        if name in ("mysql_query_rules", "pgsql_query_rules"):
            rules = self.runtime.get(name, [])
            fast = self.runtime.get(name + "_fast_routing", [])
            return hash64([*rules, ("fast",), *fast]) if rules or fast else hash64([])
        if name in ("mysql_users", "pgsql_users", "proxysql_servers"):
            return hash64(self.runtime.get(name, []))
        if name == "pgsql_servers":
            parts = list(self.runtime.get(name, []))
            for t in PGSQL_SERVER_TABLES[1:]:
                rows_t = self.runtime.get(t, [])
                if rows_t:
                    parts += [(t,), *rows_t]
            return hash64(parts)
        if name == "mysql_servers":
            return hash64(
                [
                    (*r[:4], "ONLINE" if r[4] == "SHUNNED" else r[4], *r[5:])
                    for r in self.runtime.get("mysql_servers", [])
                ]
            )
        if name == "mysql_servers_v2":
            parts = list(self.servers_v2)
            for t in SERVER_TABLES[1:]:
                rows_t = self.runtime.get(t, [])
                if rows_t:
                    parts += [(t,), *rows_t]
            return hash64(parts)
        raise KeyError(name)

    def epoch_clock(self) -> int:
        return int(time.time() - EPOCH_CLOCK_LAG_S)

    def _epoch_of_this_load(self) -> int:
        if self.held_epoch is None or self.held_loads <= 0:
            return self.epoch_clock()
        self.held_loads -= 1
        return self.held_epoch

    def _bump(self, name: str, epoch: int | None = None) -> None:
        old = self.checksums.get(name)
        version = (old.version if old else 0) + 1
        self.checksums[name] = Checksum(
            version, self.epoch_clock() if epoch is None else epoch, self._compute_checksum(name)
        )
        for cb in self.listeners:
            cb(name)

    def global_checksum(self) -> int:
        h = hashlib.blake2b(digest_size=8)
        for name in sorted(self.checksums):
            c = self.checksums[name]
            h.update(f"{name}:{c.version}:{c.checksum};".encode())
        return int.from_bytes(h.digest(), "big") >> 1

    # ------------------------------------------------------------ execution
    def execute(
        self, sql: str, kind: str = "admin", user: str = "admin", client: str = "127.0.0.1"
    ) -> Result:
        with self.lock:
            if self.db is None:
                raise AdminError("node is stopped")
            for pattern, err in self.fail_rules:
                if pattern.search(sql):
                    raise err
            self._count_kept = False
            try:
                return self._execute(sql, kind, user, client)
            finally:
                if self.db is not None and not self._count_kept:
                    self._client_changes = self.db.execute("SELECT changes()").fetchone()[0]

    def _execute(self, sql: str, kind: str, user: str, client: str) -> Result:
        stripped = sql.strip()
        if stripped and not stripped.replace(";", "").strip():
            raise Crash("a query made only of ';' crashes ProxySQL 2.7.1")
        norm = commands.normalize(sql)
        upper = norm.upper()
        if kind == "admin":
            res = self._admin_command(sql, norm, upper)
            if res is not None:
                return res
        res = self._common_command(sql, norm, upper, user, client)
        if res is not None:
            return res
        return self._sqlite(sql, readonly=(kind == "stats"))

    def _admin_command(self, sql: str, norm: str, upper: str) -> Result | None:
        ls = self.grammar.parse_load_save(norm)
        if ls is not None:
            try:
                return self._load_save(ls)
            except sqlite3.Error:
                # ProxySQL ignores SQLite errors inside LOAD/SAVE (e.g. after DROP TABLE)
                return Result()
        if upper.startswith(("LOAD ", "SAVE ")):
            user_name = commands.parse_load_user(norm)
            if user_name is not None:
                self._load_module("MYSQL USERS")
                return Result()
        if upper.startswith("CHECKSUM"):
            ck = commands.parse_checksum(norm)
            if ck is not None:
                return self._checksum_command(*ck)
        if upper == "SELECT CONFIG FILE":
            from .configfile import export_config

            return Result(["Data"], [(export_config(self),)])
        m = re.fullmatch(r"SELECT CONFIG INTO OUTFILE (\S+)", norm, re.I)
        if m:
            from .configfile import export_config

            text = export_config(self)
            try:
                with open(m.group(1), "w", encoding="utf-8") as f:
                    f.write(text)
            except OSError as e:
                raise AdminError(f"ProxySQL Admin Error: {e}") from e
            return Result(affected=len(text), info=f"File {m.group(1)} is saved.")
        if upper.startswith("PROXYSQL "):
            return self._proxysql_command(upper)
        if upper.startswith("SET "):
            return self._set_command(sql, norm)
        return None

    def _proxysql_command(self, upper: str) -> Result | None:
        if upper in (
            "PROXYSQL FLUSH LOGS",
            "PROXYSQL FLUSH QUERY CACHE",
            "PROXYSQL FLUSH MYSQL CLIENT HOSTS",
            "PROXYSQL FLUSH CONFIGDB",
        ):
            return Result()
        if upper == "PROXYSQL RELOAD TLS" and self.tls is not None:
            try:
                self.tls.reload()
            except ValueError as exc:
                raise AdminError(f"ProxySQL Admin Error: {exc}") from None
            return Result()
        if upper in ("PROXYSQL READONLY", "PROXYSQL READWRITE"):
            self.runtime_vars["admin-read_only"] = "true" if upper.endswith("READONLY") else "false"
            return Result()
        if upper == "PROXYSQL START":
            raise AdminError("ProxySQL already started")
        if upper in ("PROXYSQL STOP", "PROXYSQL PAUSE", "PROXYSQL RESUME"):
            return Result()
        if upper in (
            "PROXYSQL SHUTDOWN",
            "PROXYSQL KILL",
            "PROXYSQL SHUTDOWN SLOW",
            "PROXYSQL RESTART",
        ):
            raise Crash(upper)
        return None

    _SET_ASSIGN = re.compile(r"SET\s+((?:mysql|admin|sqliteserver|ldap)-[A-Za-z0-9_]+)\s*=", re.I)
    _SET_ASSIGN_30 = re.compile(
        r"SET\s+((?:mysql|admin|sqliteserver|ldap|pgsql)-[A-Za-z0-9_]+)\s*=", re.I
    )

    def _set_command(self, sql: str, norm: str) -> Result:
        upper = norm.upper()
        for noop in (
            "SET AUTOCOMMIT",
            "SET NAMES",
            "SET CHARACTER_SET_RESULTS",
            "SET SQL_AUTO_IS_NULL",
            "SET SQL_SAFE_UPDATES",
            "SET SESSION AUTOCOMMIT",
            "SET FOREIGN_KEY_CHECKS",
            "SET CHARACTER_SET_CLIENT",
            "SET CHARACTER_SET_CONNECTION",
            "SET COLLATION_CONNECTION",
        ):
            if upper.startswith(noop):
                return self._no_sql()
        body = sql.strip()[3:].lstrip()
        m = (self._SET_ASSIGN_30 if self.server.pgsql else self._SET_ASSIGN).match(sql.strip())
        if m:
            name = m.group(1)
            value = sql.strip()[m.end() :].strip()
            while value.endswith(";"):
                value = value[:-1].rstrip()
            if name in self.defaults:
                if name == "mysql-init_connect":
                    raise AdminError('ProxySQL Admin Error: near "init_connect": syntax error')
                rewritten = (
                    f"UPDATE global_variables SET variable_value={value} "
                    f"WHERE variable_name='{name}'"
                )
                return self._sqlite(rewritten, readonly=False)
            label = name
        else:
            eq = body.find("=")
            label = (body[:eq] if eq >= 0 else body).strip()
            if "," in body[eq + 1 :] and "-" in body[eq + 1 :] and eq >= 0:
                # "SET a-b=1, c-d=2" reaches SQLite as an UPDATE with a bad expression
                raise AdminError('ProxySQL Admin Error: near "-": syntax error')
        label = label.rstrip(";").strip()
        self._count_kept = True
        return Result(info=f"ERROR: Unknown global variable: '{label}'.")

    def _no_sql(self) -> Result:
        """A statement ProxySQL answers without SQLite: changes() stays the client's last
        count, whatever the sandbox's background work wrote since."""
        self._count_kept = True
        return Result()

    def _common_command(
        self, sql: str, norm: str, upper: str, user: str, client: str
    ) -> Result | None:
        first = upper.split(" ", 1)[0].rstrip(";") if upper else ""
        if first in ("BEGIN", "COMMIT", "ROLLBACK") or upper.startswith("START TRANSACTION"):
            return self._no_sql()
        if first in ("USE", "LOCK", "UNLOCK"):
            return self._no_sql()
        if upper.startswith("/*!"):
            return self._no_sql()
        if upper == "SELECT @@VERSION_COMMENT LIMIT 1":
            return Result(["@@version_comment"], [("(ProxySQL Admin Module)",)])
        if upper.startswith("SELECT @@VERSION") or upper.startswith("SELECT VERSION()"):
            col = "@@version" if upper.startswith("SELECT @@") else "version()"
            return Result([col], [(self.server.version,)])
        if re.match(r"SELECT @@\w+\.", norm, re.I):
            raise AdminError('ProxySQL Admin Error: near ".": syntax error')
        m = re.fullmatch(r"SELECT @@([A-Za-z0-9_-]+)", norm, re.I)
        if m:
            name = m.group(1)
            rows = self._q(
                "SELECT variable_value FROM main.global_variables WHERE variable_name IN (?,?) "
                "LIMIT 1",
                (name, "mysql-" + name),
            )
            return Result([f"@@{name}"], rows)
        if upper == "SELECT DATABASE()":
            return Result(["DATABASE()"], [("admin",)])
        if upper in ("SELECT USER()", "SELECT CURRENT_USER()"):
            return Result([upper[7:].lower()], [(f"{user}@{client}",)])
        if upper == "SELECT CONNECTION_ID()":
            return Result(["CONNECTION_ID()"], [("0",)])
        if upper == "SELECT DATABASE(), USER() LIMIT 1" or upper == "SELECT DATABASE(), USER()":
            return Result(["DATABASE()", "USER()"], [("admin", user)])
        if upper.startswith("SHOW "):
            return self._show(norm, upper)
        return None

    def _show(self, norm: str, upper: str) -> Result | None:
        if upper in ("SHOW DATABASES", "SHOW SCHEMAS"):
            rows = [(str(seq), name, path) for seq, name, path in self._q("PRAGMA database_list")]
            return Result(["seq", "name", "file"], rows)
        m = re.fullmatch(r"SHOW TABLES(?: (?:FROM|IN) (\w+))?(?: LIKE '([^']*)')?", norm, re.I)
        if m:
            schema = m.group(1) or "main"
            like = m.group(2)
            sql = (
                f"SELECT name FROM {schema}.sqlite_master "
                "WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
            params: tuple[str, ...] = ()
            if like is not None:
                sql += " AND name LIKE ?"
                params = (like,)
            try:
                rows = self._q(sql + " ORDER BY name", params)
            except sqlite3.Error as e:
                raise AdminError(f"ProxySQL Admin Error: {e}") from e
            return Result(["tables"], rows)
        if upper in ("SHOW VARIABLES", "SHOW GLOBAL VARIABLES", "SHOW ALL VARIABLES"):
            return Result(
                ["Variable_name", "Value"],
                self._q("SELECT * FROM main.global_variables ORDER BY variable_name"),
            )
        if upper in ("SHOW MYSQL VARIABLES", "SHOW ADMIN VARIABLES"):
            prefix = "mysql-%" if "MYSQL" in upper else "admin-%"
            return Result(
                ["Variable_name", "Value"],
                self._q(
                    "SELECT * FROM main.global_variables WHERE variable_name LIKE ? "
                    "ORDER BY variable_name",
                    (prefix,),
                ),
            )
        if upper == "SHOW MYSQL STATUS":
            return Result(
                ["Variable_name", "Value"], self._q("SELECT * FROM stats.stats_mysql_global")
            )
        if upper == "SHOW MYSQL USERS":
            return Result(
                self._columns("main", "mysql_users"),
                self._q("SELECT * FROM main.mysql_users ORDER BY username"),
            )
        if upper == "SHOW MYSQL SERVERS":
            return Result(
                self._columns("main", "mysql_servers"),
                self._q("SELECT * FROM main.mysql_servers ORDER BY hostgroup_id, hostname"),
            )
        if upper == "SHOW PROCESSLIST":
            return Result(
                ["SessionID", "user", "db", "hostgroup", "command", "time_ms", "info"], []
            )
        if upper == "SHOW FULL PROCESSLIST":
            return Result(
                [
                    "ThreadID",
                    "SessionID",
                    "user",
                    "db",
                    "cli_host",
                    "cli_port",
                    "hostgroup",
                    "l_srv_host",
                    "l_srv_port",
                    "srv_host",
                    "srv_port",
                    "command",
                    "time_ms",
                    "info",
                    "status_flags",
                    "extended_info",
                ],
                [],
            )
        if upper in ("SHOW CHARSET", "SHOW CHARACTER SET"):
            return Result(
                ["Charset", "Default collation"],
                self._q(
                    "SELECT Charset, Collation FROM main.mysql_collations WHERE `Default`='Yes' "
                    "ORDER BY Id"
                ),
            )
        if upper == "SHOW COLLATION":
            return Result(
                ["Id", "Collation", "Charset", "Default"],
                self._q("SELECT * FROM main.mysql_collations ORDER BY Id"),
            )
        m = re.fullmatch(r"SHOW CREATE TABLE (?:(\w+)\.)?`?(\w+)`?", norm, re.I)
        if m:
            schema = m.group(1) or "main"
            rows = self._q(
                f"SELECT name, sql FROM {schema}.sqlite_master WHERE type='table' AND name=?",
                (m.group(2),),
            )
            return Result(["table", "Create Table"], rows)
        return None

    # -------------------------------------------------------------- sqlite
    def _refresh_runtime(self, sql: str) -> None:
        assert self.db is not None
        low = sql.lower()
        if "global_variables" in low:
            self.db.executemany(
                "INSERT OR IGNORE INTO main.global_variables VALUES (?,?)",
                sorted(self.runtime_vars.items()),
            )
        if "stats_memory_metrics" in low:
            # ProxySQL counts a thread per admin session, each with its stack (8 MiB)
            self.db.execute("DELETE FROM stats.stats_memory_metrics")
            self.db.execute(
                "INSERT INTO stats.stats_memory_metrics VALUES ('stack_memory_admin_threads',?)",
                (str(self.admin_sessions() * ADMIN_THREAD_STACK),),
            )
        if "stats_mysql_users" in low:
            users = [r for r in self.runtime.get("mysql_users", []) if r[10] == 1]
            self.db.execute("DELETE FROM stats.stats_mysql_users")
            self.db.executemany(
                "INSERT INTO stats.stats_mysql_users VALUES (?,0,?)", [(r[0], r[11]) for r in users]
            )
        if "mysql_server_aws_aurora" in low:
            monitor = self.aurora.monitor_rows() if self.aurora is not None else {}
            for table in (
                "mysql_server_aws_aurora_log",
                "mysql_server_aws_aurora_check_status",
                "mysql_server_aws_aurora_failovers",
            ):
                rows = monitor.get(table, [])
                self.db.execute(f"DELETE FROM monitor.{table}")
                if rows:
                    marks = ",".join("?" * len(rows[0]))
                    self.db.executemany(f"INSERT INTO monitor.{table} VALUES ({marks})", rows)
        if "runtime_" not in low:
            return
        if "runtime_mysql_servers" in low or any("runtime_" + t in low for t in SERVER_TABLES[1:]):
            for row in self.runtime.get("mysql_servers", []):
                if any(isinstance(v, int) and v > INT32_MAX for v in (row[0], row[7], row[10])):
                    raise Crash("32-bit overflow reading back runtime_mysql_servers")
            for t in SERVER_TABLES:
                self._fill("runtime_" + t, self.runtime.get(t, []))
        for t in (
            "mysql_users",
            "mysql_query_rules",
            "mysql_query_rules_fast_routing",
            "proxysql_servers",
            "scheduler",
            "restapi_routes",
            "coredump_filters",
            "mysql_firewall_whitelist_users",
            "mysql_firewall_whitelist_rules",
            "mysql_firewall_whitelist_sqli_fingerprints",
            *(self.PGSQL_RUNTIME if self.server.pgsql else ()),
        ):
            if "runtime_" + t in low:
                self._fill("runtime_" + t, self.runtime.get(t, []))
        if "runtime_global_variables" in low:
            self._fill("runtime_global_variables", sorted(self.runtime_vars.items()))
        if "runtime_checksums_values" in low:
            self.db.executemany(
                "INSERT OR REPLACE INTO main.runtime_checksums_values VALUES (?,?,?,?)",
                [(n, c.version, c.epoch, c.checksum) for n, c in self.checksums.items()],
            )

    # every pgsql table has a runtime_ twin; pgsql_ldap_mapping's stays empty (no LOAD)
    PGSQL_RUNTIME = tuple(ddl.PGSQL_TABLES)

    def _fill(self, table: str, rows: Sequence[Row]) -> None:
        assert self.db is not None
        self.db.execute(f"DELETE FROM main.{table}")
        if rows:
            marks = ",".join("?" * len(rows[0]))
            self.db.executemany(f"INSERT INTO main.{table} VALUES ({marks})", rows)

    def _sqlite(self, sql: str, readonly: bool) -> Result:
        assert self.db is not None
        stmt = first_statement(sql)
        if stmt is None:
            raise AdminError("ProxySQL Admin Error: not an error")
        try:
            self._refresh_runtime(stmt)
            if readonly:
                self.db.execute("PRAGMA query_only=ON")
            # SELECT, VACUUM, ATTACH ... leave the last count as it was
            self._count_kept = not _WRITES_ROWS.match(stmt)
            try:
                cur = self.db.execute(stmt, _NULL_PARAMS)
                if cur.description is not None:
                    cols = [d[0] for d in cur.description]
                    rows = [tuple(sqlfuncs.render(v) for v in r) for r in cur.fetchall()]
                    return Result(cols, rows)
                cur.close()
                if self._count_kept:  # VACUUM, ATTACH, CREATE ...: the last count
                    return Result(affected=self._client_changes)
                changes = self.db.execute("SELECT changes()").fetchone()[0]
                return Result(affected=int(changes))
            finally:
                if readonly:
                    self.db.execute("PRAGMA query_only=OFF")
        except sqlite3.Warning as e:  # e.g. "You can only execute one statement at a time."
            raise AdminError(f"ProxySQL Admin Error: {e}") from e
        except sqlite3.Error as e:
            msg = str(e)
            if msg == "database is locked":
                raise AdminError(f"ProxySQL Admin Error: {msg}", 1205, "HY000") from e
            raise AdminError(f"ProxySQL Admin Error: {msg}") from e

    # ------------------------------------------------------------ LOAD/SAVE
    def _load_save(self, ls: commands.LoadSave) -> Result:
        assert self.db is not None
        module, direction = ls.module, ls.direction
        if module in ("COREDUMP", "CLICKHOUSE VARIABLES"):
            return Result()
        prefix = self.grammar.variable_modules.get(module)
        tables = self.grammar.table_modules.get(module, ())
        if direction == "to_runtime":
            self._load_module(module)
        elif direction == "to_memory_from_disk":
            if prefix:
                self.db.execute(
                    "INSERT OR REPLACE INTO main.global_variables SELECT * FROM "
                    "disk.global_variables WHERE variable_name LIKE ?",
                    (prefix + "%",),
                )
                changes = self.db.execute("SELECT changes()").fetchone()[0]
                return Result(affected=int(changes))
            else:
                self._copy_tables(tables, "disk", "main")
        elif direction == "to_disk":
            if prefix:
                self.db.execute(
                    "INSERT OR REPLACE INTO disk.global_variables SELECT * FROM "
                    "main.global_variables WHERE variable_name LIKE ?",
                    (prefix + "%",),
                )
                changes = self.db.execute("SELECT changes()").fetchone()[0]
                return Result(affected=int(changes))
            self._copy_tables(tables, "main", "disk")
        elif direction == "from_runtime":
            self._save_from_runtime(module)
        elif direction == "from_config" and self.config is not None:
            from .configfile import load_from_config

            return Result(affected=load_from_config(self, module))
        return Result()

    def _save_from_runtime(self, module: str) -> None:
        assert self.db is not None
        db = self.db
        prefix = self.grammar.variable_modules.get(module)
        if prefix:
            db.executemany(
                "INSERT OR REPLACE INTO main.global_variables VALUES (?,?)",
                [(k, v) for k, v in sorted(self.runtime_vars.items()) if k.startswith(prefix)],
            )
            return
        if module in ("MYSQL USERS", "PGSQL USERS"):
            table = self.grammar.table_modules[module][0]
            db.execute(f"UPDATE main.{table} SET active=0")
            rows = self.runtime.get(table, [])
            if rows:
                marks = ",".join("?" * len(rows[0]))
                db.executemany(f"INSERT OR REPLACE INTO main.{table} VALUES ({marks})", rows)
            return
        if module in ("MYSQL SERVERS", "PGSQL SERVERS"):
            tables = self.grammar.table_modules[module]
            status = self._columns("main", tables[0]).index("status")
            for t in tables:
                rows = self.runtime.get(t, [])
                if t == tables[0]:
                    rows = [
                        (
                            *r[:status],
                            "ONLINE" if r[status] == "SHUNNED" else r[status],
                            *r[status + 1 :],
                        )
                        for r in rows
                        if r[status] != "OFFLINE_HARD"
                    ]
                self._fill(t, rows)
            return
        if module == "RESTAPI":
            # 2.7.1 bug: SAVE RESTAPI FROM RUNTIME saves the scheduler
            self._fill("scheduler", self.runtime.get("scheduler", []))
            return
        for t in self.grammar.table_modules.get(module, ()):
            self._fill(t, self.runtime.get(t, []))

    def _checksum_command(self, schema: str, table: str, label: str) -> Result:
        cols = self._columns(schema, table)
        if table == "global_variables":
            rows = self._q(
                f"SELECT * FROM {schema}.global_variables WHERE variable_name LIKE "
                "'mysql-%' ORDER BY variable_name"
            )
        else:
            pk = [
                r[1]
                for r in sorted(self._q(f"PRAGMA {schema}.table_info({table})"), key=lambda r: r[5])
                if r[5]
            ] or cols[:1]
            rows = self._q(f"SELECT * FROM {schema}.{table} ORDER BY {', '.join(pk)}")
        digest = hash64(rows)
        if digest == "0x0000000000000000":
            digest = "0x00"
        return Result(["table", "checksum"], [(label, digest)])

    # ----------------------------------------------------- cluster support
    def module_rows_for_peer(self, module: str) -> dict[str, list[Row]]:
        """What a peer fetches when it pulls `module` from this node."""
        with self.lock:
            if module == "mysql_users":
                # A user LOAD split into a frontend and a backend row arrives as one row
                # with both flags (as a real 2.7.1 peer holds it); one-role users as they are.
                merged: dict[Any, list[Any]] = {}
                for r in self.runtime.get("mysql_users", []):
                    row = merged.setdefault(r[0], [*r[:2], 1, *r[3:]])
                    row[9], row[10] = row[9] or r[9], row[10] or r[10]
                return {"mysql_users": [tuple(r) for r in merged.values()]}
            if module == "mysql_query_rules":
                return {
                    t: list(self.runtime.get(t, []))
                    for t in ("mysql_query_rules", "mysql_query_rules_fast_routing")
                }
            if module in ("mysql_servers", "mysql_servers_v2"):
                out = {"mysql_servers": list(self.servers_v2)}
                for t in SERVER_TABLES[1:]:
                    out[t] = list(self.runtime.get(t, []))
                # what sync algorithm 1 also fetches: runtime servers, SHUNNED read as ONLINE
                out["runtime_mysql_servers"] = [
                    (*r[:4], "ONLINE" if r[4] == "SHUNNED" else r[4], *r[5:])
                    for r in self.runtime.get("mysql_servers", [])
                ]
                return out
            if module == "proxysql_servers":
                return {"proxysql_servers": list(self.runtime.get("proxysql_servers", []))}
            prefix = "admin-" if module == "admin_variables" else "mysql-"
            return {
                "global_variables": [
                    (k, v)
                    for k, v in sorted(self.runtime_vars.items())
                    if k.startswith(prefix) and k not in NOT_SYNCED
                ]
            }

    def apply_pull(
        self, module: str, data: dict[str, list[Row]], peer_epoch: int, peer_checksum: str
    ) -> None:
        """Write a peer's rows into memory, LOAD them and maybe SAVE them."""
        with self.lock:
            assert self.db is not None
            data = dict(data)
            runtime_servers = data.pop("runtime_mysql_servers", None)
            if module in ("admin_variables", "mysql_variables"):
                self.db.executemany(
                    "INSERT OR REPLACE INTO main.global_variables VALUES (?,?)",
                    data["global_variables"],
                )
            else:
                for t, rows in data.items():
                    self._fill(t, rows)
            cmod = {
                "mysql_users": "MYSQL USERS",
                "mysql_query_rules": "MYSQL QUERY RULES",
                "mysql_servers": "MYSQL SERVERS",
                "mysql_servers_v2": "MYSQL SERVERS",
                "proxysql_servers": "PROXYSQL SERVERS",
                "admin_variables": "ADMIN VARIABLES",
                "mysql_variables": "MYSQL VARIABLES",
            }[module]
            names = ["mysql_servers", "mysql_servers_v2"] if cmod == "MYSQL SERVERS" else [module]
            self._load_module(cmod, count_version=False, runtime_servers=runtime_servers)
            for n in names:
                old = self.checksums[n]
                ck = self._compute_checksum(n)
                epoch = peer_epoch if ck == peer_checksum or n != module else self.epoch_clock()
                self.checksums[n] = Checksum(old.version + 1, epoch, ck)
            for cb in self.listeners:
                cb(module)
            save_var = {
                "MYSQL SERVERS": "admin-cluster_mysql_servers_save_to_disk",
                "MYSQL USERS": "admin-cluster_mysql_users_save_to_disk",
                "MYSQL QUERY RULES": "admin-cluster_mysql_query_rules_save_to_disk",
                "PROXYSQL SERVERS": "admin-cluster_proxysql_servers_save_to_disk",
                "ADMIN VARIABLES": "admin-cluster_admin_variables_save_to_disk",
                "MYSQL VARIABLES": "admin-cluster_mysql_variables_save_to_disk",
            }[cmod]
            if self.var_bool(save_var):
                self._load_save(commands.LoadSave(cmod, "to_disk"))

    def stats_checksum_rows(self, rows: list[Row]) -> None:
        with self.lock:
            if self.db is None:
                return
            self.db.execute("DELETE FROM stats.stats_proxysql_servers_checksums")
            self.db.executemany(
                "INSERT INTO stats.stats_proxysql_servers_checksums VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )

    def snapshot(self) -> dict[str, Any]:
        """Debug/test view of the node's layers (not part of the wire)."""
        with self.lock:
            return {
                "checksums": {k: vars(v) for k, v in self.checksums.items()},
                "runtime": {k: [list(r) for r in v] for k, v in self.runtime.items()},
            }

    def dump_json(self) -> str:
        return json.dumps(self.snapshot(), default=str)
