"""`pxc export` over TCP against the test cluster: export, validate, plan shows no changes."""

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_variables
from proxysql_iac.admin.sql import SqlValue, insert_rows, raw_query, set_variable
from proxysql_iac.apply.run import run_apply
from proxysql_iac.errors import PxcError
from proxysql_iac.export import Export, run_export
from proxysql_iac.export_yaml import dump
from proxysql_iac.findings import Severity
from proxysql_iac.plan.render import render_text
from proxysql_iac.planning import make_plan
from proxysql_iac.secrets import caching_sha2_hash, native_password_hash
from proxysql_iac.spec.source import parse_text
from proxysql_iac.spec.tables import MODULES, PROXYSQL_SERVERS, TABLE_BY_NAME, tables_on
from proxysql_iac.validate import validate_files
from tests.cluster import load
from tests.integration.conftest import cluster_block, connect, run_pxc, settle
from tests.test_examples import SPECS

Node = tuple[str, int, str, str]

APP_PW = "s3cr3t 'app' \"pw\" \\ é"
HASHED_PW = "h4shed-Passw0rd"
SHA2_PW = "sha2-Passw0rd"
SHA2_HASH = caching_sha2_hash(SHA2_PW, "AbCdEfGhIjKlMnOpQrSt")
SPLIT_PW = "split-Passw0rd"
MONITOR_PW = "M0n!tor pw"
STATS_CREDENTIALS = "stats:st4ts-Passw0rd"

# Validate findings the hand-configured node's export may show as warnings: restart-only
# variables (the sandbox boots with its own mysql-interfaces and mysql-threads).
EXPECTED_WARNINGS = {"PXC115"}

# the MySQL side: the cluster these tests run on is ProxySQL 2.7
RESET_TABLES = [t for t in tables_on("2.7") if t.module is not PROXYSQL_SERVERS]
RESET_MODULES = [m.keyword for m in MODULES if m is not PROXYSQL_SERVERS and "2.7" in m.versions]


def _load_and_save(conn: AdminConnection, modules: Sequence[str]) -> None:
    """Each LOAD in a second of its own (equal epochs would split the cluster)."""
    for module in modules:
        load(conn, module, save=True)


def reset_node(node: Node, variables: dict[str, str]) -> None:
    """Every table but proxysql_servers empty, the variables as they were; loaded and saved."""
    with connect(node) as conn:
        for table in RESET_TABLES:
            conn.execute(raw_query(f"DELETE FROM {table.name}", "test reset"))
        current = read_variables(conn, "global_variables")
        for name, value in variables.items():
            if current.get(name) != value:
                conn.execute(set_variable(name, value))
        _load_and_save(conn, RESET_MODULES)


@dataclass(frozen=True)
class Baseline:
    nodes: list[Node]  # the primary first
    variables: dict[str, str]  # the primary's variables before these tests

    @property
    def node(self) -> Node:
        return self.nodes[0]


@pytest.fixture(scope="module")
def baseline(proxysql_cluster: Any) -> Iterator[Baseline]:
    node: Node = proxysql_cluster.nodes[0]
    with connect(node) as conn:
        variables = read_variables(conn, "global_variables")
    yield Baseline(proxysql_cluster.nodes, variables)
    reset_node(node, variables)
    settle(proxysql_cluster.nodes)  # the peers pull the clean state before the next tests


@pytest.fixture
def clean(baseline: Baseline, monkeypatch: pytest.MonkeyPatch) -> Node:
    reset_node(baseline.node, baseline.variables)
    # a peer still pulling the reset is a lagging peer, and apply refuses a cluster in which
    # a peer lags on a module the spec manages
    settle(baseline.nodes)
    monkeypatch.setenv("PXC_ADMIN_PASSWORD", baseline.node[3])
    return baseline.node


def _insert(conn: AdminConnection, table: str, rows: list[dict[str, SqlValue]]) -> None:
    columns = list(rows[0])
    conn.execute(insert_rows(table, columns, [[r[c] for c in columns] for r in rows]))


def _sql(conn: AdminConnection, sql: str) -> None:
    conn.execute(raw_query(sql, "test setup"))


HAND_CONFIGURED: dict[str, list[dict[str, SqlValue]]] = {
    "mysql_servers": [
        {"hostgroup_id": 10, "hostname": "db-1.shop.internal", "comment": "primary"},
        {
            "hostgroup_id": 20,
            "hostname": "db-2.shop.internal",
            "max_replication_lag": 30,
            "use_ssl": 1,
            "comment": 'it\'s a "replica"\\n, naïve ✓',
        },
        {
            "hostgroup_id": 20,
            "hostname": "db-3.shop.internal",
            "port": 3307,
            "weight": 100,
            "status": "OFFLINE_SOFT",
            "comment": "line one\nline two",
        },
        {"hostgroup_id": 30, "hostname": "10.0.0.7", "max_connections": 50, "comment": ""},
    ],
    "mysql_replication_hostgroups": [
        {
            "writer_hostgroup": 10,
            "reader_hostgroup": 20,
            "check_type": "read_only|innodb_read_only",
            "comment": "shop",
        },
    ],
    "mysql_group_replication_hostgroups": [
        {
            "writer_hostgroup": 40,
            "backup_writer_hostgroup": 41,
            "reader_hostgroup": 42,
            "offline_hostgroup": 43,
            "max_transactions_behind": 5,
        },
    ],
    "mysql_hostgroup_attributes": [
        {
            "hostgroup_id": 20,
            "multiplex": 0,
            "init_connect": "SET @x='a;b'",
            "servers_defaults": '{"use_ssl":1,"weight":100,"max_connections":1000}',
            "hostgroup_settings": '{"handle_warnings":1}',
            "comment": "readers",
        },
    ],
    "mysql_servers_ssl_params": [
        {
            "hostname": "db-2.shop.internal",
            "port": 3306,
            "username": "",
            "ssl_ca": "/etc/proxysql/ca.pem",
            "ssl_cipher": "ECDHE-RSA-AES256-GCM-SHA384",
        },
    ],
    "mysql_users": [
        {
            "username": "app",
            "password": APP_PW,
            "default_hostgroup": 10,
            "default_schema": "shop",
            "max_connections": 2000,
            "attributes": '{"default-transaction_isolation":"READ-COMMITTED"}',
        },
        {
            "username": "hashed",
            "password": native_password_hash(HASHED_PW),
            "default_hostgroup": 20,
            "transaction_persistent": 0,
        },
        {"username": "sha2", "password": SHA2_HASH, "default_hostgroup": 20, "active": 0},
        {"username": "split", "password": SPLIT_PW, "default_hostgroup": 10, "frontend": 0},
        {"username": "split", "password": SPLIT_PW, "default_hostgroup": 10, "backend": 0},
        {"username": "nopw", "password": None, "default_hostgroup": 30, "comment": "no pw"},
    ],
    "mysql_query_rules": [
        {
            "rule_id": 5,
            "active": 1,
            "match_digest": r"^SELECT .* FOR UPDATE\s*$",
            "destination_hostgroup": 10,
            "apply": 1,
            "comment": "locking reads",
        },
        {
            "rule_id": 10,
            "active": 1,
            "match_pattern": r"^SELECT (\w+) FROM `t` WHERE a='\d'",
            "replace_pattern": "SELECT \\1 FROM t\n-- rewritten 'by' \"pxc\"",
            "re_modifiers": None,
            "destination_hostgroup": 20,
            "mirror_hostgroup": 30,
            "multiplex": 2,
            "apply": 1,
        },
        {
            "rule_id": 20,
            "active": 0,
            "username": "app",
            "match_digest": "^SELECT SLEEP",
            "error_msg": "no sleeping: ☕",
            "attributes": '{"a":[1,"two",null,true]}',
        },
        {
            "rule_id": 30,
            "active": 1,
            "schemaname": "yes",
            "flagIN": 1,
            "digest": "0x1234",
            "OK_msg": "",
            "cache_ttl": 5000,
            "comment": "null",
        },
    ],
    "mysql_query_rules_fast_routing": [
        {
            "username": "app",
            "schemaname": "shop",
            "flagIN": 0,
            "destination_hostgroup": 20,
            "comment": "shop reads",
        },
        {
            "username": "app",
            "schemaname": "on",
            "flagIN": 1,
            "destination_hostgroup": 10,
            "comment": "0o17",
        },
    ],
    "mysql_firewall_whitelist_users": [
        {
            "username": "app",
            "client_address": "10.0.0.1",
            "mode": "PROTECTING",
            "comment": "app servers",
        },
    ],
    "mysql_firewall_whitelist_rules": [
        {
            "username": "app",
            "client_address": "10.0.0.1",
            "schemaname": "shop",
            "flagIN": 0,
            "digest": "0xD9AB6B4B1E4B2D4F",
            "comment": "",
        },
    ],
    "mysql_firewall_whitelist_sqli_fingerprints": [{"active": 0, "fingerprint": "s&1c"}],
    "scheduler": [
        {
            "id": 1,
            "interval_ms": 5000,
            "filename": "/usr/local/bin/check.sh",
            "arg1": "--mode 'fast'",
            "arg2": "",
            "comment": "health",
        },
    ],
    "restapi_routes": [
        {
            "id": 1,
            "timeout_ms": 2000,
            "method": "GET",
            "uri": "metrics",
            "script": "/usr/local/bin/metrics.py",
        },
    ],
}
HAND_VARIABLES = {
    "mysql-max_connections": "4096",
    "mysql-monitor_password": MONITOR_PW,
    "mysql-ssl_p2s_ca": "/etc/proxysql/ca.pem",
    "mysql-have_ssl": "false",
    "mysql-init_connect": "SET NAMES utf8mb4; -- 'quoted'",
    "admin-stats_credentials": STATS_CREDENTIALS,
    "admin-refresh_interval": "1500",
}
HAND_MODULES = [
    "MYSQL SERVERS",
    "MYSQL USERS",
    "MYSQL QUERY RULES",
    "MYSQL VARIABLES",
    "ADMIN VARIABLES",
    "SCHEDULER",
    "MYSQL FIREWALL",
    "RESTAPI",
]


@pytest.fixture
def hand_configured(clean: Node) -> Node:
    """A node configured by hand over the admin interface, loaded and saved."""
    with connect(clean) as conn:
        for table, rows in HAND_CONFIGURED.items():
            for row in rows:  # rows differ in columns: one INSERT each
                _insert(conn, table, [row])
        for name, value in HAND_VARIABLES.items():
            conn.execute(set_variable(name, value))
        _load_and_save(conn, HAND_MODULES)
    return clean


def export(node: Node, **kwargs: Any) -> Export:
    host, port, user, password = node
    return run_export(host=host, port=port, user=user, password=password, **kwargs)


def node_secret_values(node: Node, result: Export) -> dict[str, str]:
    """Each env name the export asks for, with what the node holds for it (stored form)."""
    with connect(node) as conn:
        variables = read_variables(conn, "global_variables")
        stored = {
            (table, u, b): p or ""
            for table in {s.source[0] for s in result.secrets} - {"admin", "variable"}
            for u, b, p in conn.query(
                raw_query(f"SELECT username,backend,password FROM {table}", "t")
            )
        }
    values = {}
    for secret in result.secrets:
        kind, *rest = secret.source
        if kind == "admin":
            values[secret.env] = node[3]
        elif kind == "variable":
            values[secret.env] = variables[rest[0]]
        else:
            values[secret.env] = stored[(kind, rest[0], rest[1])]
    return values


def plan_exported(path: Path, env: dict[str, str]) -> Any:
    with mock.patch.dict(os.environ, env):
        ctx = make_plan([path])
    return ctx.plan


def write(tmp_path: Path, result: Export, name: str = "exported.yaml") -> Path:
    path = tmp_path / name
    path.write_text(result.text, encoding="utf-8")
    return path


def loud(findings: list[Any]) -> list[Any]:
    return [f for f in findings if f.severity in (Severity.ERROR, Severity.WARNING)]


def test_hand_configured_node_exports_to_a_spec_that_plans_no_changes(
    hand_configured: Node, tmp_path: Path
) -> None:
    result = export(hand_configured)
    path = write(tmp_path, result)
    validation = validate_files([path])
    assert validation.ok, validation.findings
    unexpected = [f for f in loud(validation.findings) if f.code not in EXPECTED_WARNINGS]
    assert unexpected == []
    assert result.overrides == {}

    env = {
        "PXC_ADMIN_PASSWORD": hand_configured[3],
        "PXC_USER_APP_PASSWORD": APP_PW,
        "PXC_USER_HASHED_PASSWORD": HASHED_PW,  # the clear text of a stored hash
        "PXC_USER_SHA2_PASSWORD": SHA2_PW,
        "PXC_USER_SPLIT_PASSWORD": SPLIT_PW,  # one name for both of split's rows
        "PXC_MYSQL_MONITOR_PASSWORD": MONITOR_PW,
        "PXC_ADMIN_STATS_CREDENTIALS": STATS_CREDENTIALS,
    }
    assert set(env) <= {s.env for s in result.secrets}
    env = {**node_secret_values(hand_configured, result), **env}
    plan = plan_exported(path, env)
    assert not plan.has_changes, render_text(plan)

    desired = validation.desired
    assert desired.hostgroups == {
        "writer-10": 10,
        "reader-20": 20,
        "hg30": 30,
        "writer-40": 40,
        "backup-writer-41": 41,
        "reader-42": 42,
        "offline-43": 43,
    }
    text = result.text
    assert "hostgroup_id: writer-10" in text and "destination_hostgroup: reader-20" in text
    assert "servers_defaults:\n      use_ssl: 1\n      weight: 100" in text
    assert "password: {env: PXC_USER_APP_PASSWORD}" in text
    assert "port: 3306" not in text  # defaults are not written
    assert "  - rule_id: 20\n    active: 0\n" in text  # `active` is always stated
    assert "    re_modifiers: null\n" in text
    exported = {t: [r.values for r in desired.rows(t)] for t in HAND_CONFIGURED}
    rule_10 = next(r for r in exported["mysql_query_rules"] if r["rule_id"] == 10)
    assert rule_10["replace_pattern"] == HAND_CONFIGURED["mysql_query_rules"][1]["replace_pattern"]
    assert desired.variables["mysql-init_connect"].value == HAND_VARIABLES["mysql-init_connect"]
    assert desired.variables["mysql-max_connections"].value == 4096
    assert desired.variables["mysql-have_ssl"].value is False
    for table in TABLE_BY_NAME:
        if table in HAND_CONFIGURED:
            assert len(exported[table]) == len(HAND_CONFIGURED[table]), table


def test_keep_hashes_writes_user_passwords_as_hashes_and_plans_no_changes(
    hand_configured: Node, tmp_path: Path
) -> None:
    result = export(hand_configured, keep_hashes=True)
    assert not any(s.source[0] == "mysql_users" for s in result.secrets)
    path = write(tmp_path, result)
    users = {
        r.values["username"]: r.values["password"]
        for r in validate_files([path]).desired.rows("mysql_users")
    }
    assert users == {
        "app": native_password_hash(APP_PW),
        "hashed": native_password_hash(HASHED_PW),
        "sha2": SHA2_HASH,  # a caching_sha2 hash stays as stored
        "split": native_password_hash(SPLIT_PW),
        "nopw": None,
    }
    plan = plan_exported(path, node_secret_values(hand_configured, result))
    assert not plan.has_changes, render_text(plan)


def test_cli_output_and_messages_never_hold_a_password_of_the_node(
    hand_configured: Node, tmp_path: Path
) -> None:
    host, port, user, _ = hand_configured
    out = tmp_path / "spec.yaml"
    code, output = run_pxc(
        "export", "--host", host, "--port", str(port), "--user", user, "-o", str(out)
    )
    assert code == 0, output
    assert "PXC_USER_APP_PASSWORD" in output  # the names to set are printed...
    with connect(hand_configured) as conn:
        variables = read_variables(conn, "global_variables")
        stored = [p for (p,) in conn.query(raw_query("SELECT password FROM mysql_users", "t"))]
    secrets = {p for p in stored if p} | {APP_PW, HASHED_PW, SHA2_PW, SPLIT_PW}
    secrets |= {
        variables[n]
        for n in (
            "mysql-monitor_password",
            "admin-stats_credentials",
            "admin-admin_credentials",
            "admin-cluster_password",
        )
    }
    secrets.discard(user)  # the sandbox's cluster password is its admin user's name
    for value in secrets:  # ...never the values
        assert value not in out.read_text(encoding="utf-8"), value
        assert value not in output, value
    code, stdout = run_pxc("export", "--host", host, "--port", str(port), "--user", user)
    assert code == 0 and "version: 1" in stdout
    for value in secrets:
        assert value not in stdout, value


def test_without_password_or_terminal_export_exits_1(
    baseline: Baseline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PXC_ADMIN_PASSWORD", raising=False)
    host, port = baseline.node[:2]
    code, output = run_pxc("export", "--host", host, "--port", str(port))
    assert code == 1
    assert "PXC_ADMIN_PASSWORD is not set and there is no terminal" in output


def test_export_to_a_file_that_cannot_be_written_is_a_clear_error(
    clean: Node, tmp_path: Path
) -> None:
    host, port, user, _ = clean
    target = tmp_path / "missing-directory" / "live.yaml"
    code, output = run_pxc(
        "export", "--host", host, "--port", str(port), "--user", user, "-o", str(target)
    )
    assert code == 1, output
    assert f"cannot write {target}: No such file or directory" in output
    assert "Traceback" not in output


def test_live_problems_become_warnings_in_rules_with_the_reason_in_the_header(
    clean: Node, tmp_path: Path
) -> None:
    with connect(clean) as conn:
        _insert(conn, "mysql_servers", [{"hostgroup_id": 10, "hostname": "db1"}])
        _insert(conn, "mysql_users", [{"username": "lost", "default_hostgroup": 99}])
        _load_and_save(conn, ["MYSQL SERVERS", "MYSQL USERS"])
    result = export(clean, tables=["mysql_servers", "mysql_users"])
    assert result.overrides == {"PXC140": "warning"}
    assert "\nrules:\n  PXC140: warning\n" in result.text
    assert re.search(
        r"^#   PXC140: user 'lost' sends queries to default_hostgroup 99", result.text, re.M
    )
    assert result.ok
    plan = plan_exported(write(tmp_path, result), node_secret_values(clean, result))
    assert not plan.has_changes, render_text(plan)


def test_requested_tables_are_written_even_when_empty(clean: Node, tmp_path: Path) -> None:
    result = export(clean, tables=["scheduler", "mysql_users", "mysql_variables"])
    assert "\nscheduler: []\n" in result.text and "\nmysql_users: []\n" in result.text
    assert "mysql_servers" not in result.text and "admin_variables" not in result.text
    plan = plan_exported(write(tmp_path, result), node_secret_values(clean, result))
    assert not plan.has_changes, render_text(plan)
    with pytest.raises(PxcError, match="unknown table 'mysql_server'"):
        export(clean, tables=["mysql_server"])


def test_export_from_a_spec_reads_the_named_node(
    hand_configured: Node, proxysql_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_text("version: 1\n" + cluster_block(proxysql_cluster.nodes), encoding="utf-8")
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", proxysql_cluster.nodes[0][3])
    result = run_export(spec_files=[spec], tables=["scheduler"])
    assert result.node == "node1"
    assert "- name: node2" in result.text  # the primary keeps the whole cluster block
    assert "password: {env: PXC_TEST_ADMIN_PASSWORD}" in result.text
    peer = run_export(spec_files=[spec], node="node2", tables=["scheduler"])
    assert "primary: node2" in peer.text and "node1" not in peer.text
    assert "\nscheduler: []\n" in peer.text  # scheduler is not synced: node2 has none


STRINGS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))


@settings(max_examples=300, deadline=None)
@given(value=STRINGS, key=STRINGS.filter(lambda k: k != "<<"))
def test_any_string_reads_back_exactly_from_the_exported_yaml(value: str, key: str) -> None:
    text = dump({"rows": [{"comment": value, "attributes": {key: [value]}}]})
    row = parse_text(text, "export.yaml").data["rows"][0]
    assert row["comment"] == value
    assert dict(row["attributes"]) == {key: [value]}


# Random configurations: rows within the tables' constraints, strings of every kind.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t'\"\\`%_;#:- "),
    max_size=12,
)
NAME = st.text(st.sampled_from("abcXYZ019_-. '\"\\é✓"), min_size=1, max_size=8)
HOSTGROUP = st.integers(0, 6)
JSON_OBJECT = st.dictionaries(
    st.text(max_size=5).filter(lambda k: k != "<<" and "\x00" not in k),
    st.none() | st.booleans() | st.integers(-5, 2**40) | TEXT,
    max_size=3,
)


def _password() -> st.SearchStrategy[str | None]:
    clear = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10)
    return st.one_of(
        st.none(),
        st.just(""),
        clear,
        clear.map(native_password_hash),
        clear.map(lambda p: caching_sha2_hash(p, "SaltSaltSaltSaltSalt")),
    )


@st.composite
def configurations(draw: st.DrawFn) -> dict[str, list[dict[str, SqlValue]]]:
    servers = draw(
        st.dictionaries(
            st.tuples(HOSTGROUP, NAME, st.sampled_from([3306, 3307, 0])),
            st.fixed_dictionaries(
                {
                    "weight": st.integers(0, 1000),
                    # not OFFLINE_HARD: the sandbox leaves it out of runtime and plan then asks
                    # for a LOAD (a plan/sandbox question, not an export one)
                    "status": st.sampled_from(["ONLINE", "OFFLINE_SOFT", "SHUNNED"]),
                    "use_ssl": st.integers(0, 1),
                    "comment": TEXT,
                }
            ),
            max_size=4,
        )
    )
    replication = draw(
        st.lists(st.tuples(HOSTGROUP, HOSTGROUP), max_size=2).map(
            lambda pairs: {w: r for w, r in pairs if w != r}
        )
    )
    users = draw(
        st.dictionaries(
            NAME,
            st.fixed_dictionaries(
                {
                    "password": _password(),
                    "default_hostgroup": HOSTGROUP,
                    "active": st.integers(0, 1),
                    "default_schema": st.none() | TEXT,
                    "fb": st.sampled_from([(1, 1), (1, 0), (0, 1)]),
                    "comment": TEXT,
                }
            ),
            max_size=3,
        )
    )
    rules = draw(
        st.dictionaries(
            st.integers(1, 1000),
            st.fixed_dictionaries(
                {
                    "active": st.integers(0, 1),
                    "match_digest": st.none() | TEXT,
                    "destination_hostgroup": st.none() | HOSTGROUP,
                    "re_modifiers": st.sampled_from([None, "CASELESS", ""]),
                    "apply": st.integers(0, 1),
                    "attributes": st.just("") | JSON_OBJECT.map(_json),
                    "comment": st.none() | TEXT,
                }
            ),
            max_size=3,
        )
    )
    attributes = draw(
        st.dictionaries(
            HOSTGROUP,
            st.fixed_dictionaries(
                {
                    "init_connect": TEXT,
                    "servers_defaults": st.fixed_dictionaries(
                        {}, optional={"weight": st.integers(0, 100), "use_ssl": st.integers(0, 1)}
                    ).map(_json),
                    "comment": TEXT,
                }
            ),
            max_size=2,
        )
    )
    return {
        "mysql_servers": [
            {"hostgroup_id": hg, "hostname": host, "port": port, **rest}
            for (hg, host, port), rest in servers.items()
        ],
        "mysql_replication_hostgroups": [
            {"writer_hostgroup": w, "reader_hostgroup": r}
            for w, r in replication.items()
            if list(replication.values()).count(r) == 1 and r not in replication
        ],
        "mysql_users": [
            {
                "username": name,
                "frontend": u["fb"][0],
                "backend": u["fb"][1],
                **{k: v for k, v in u.items() if k != "fb"},
            }
            for name, u in users.items()
        ],
        "mysql_query_rules": [{"rule_id": rid, **rest} for rid, rest in rules.items()],
        "mysql_hostgroup_attributes": [
            {"hostgroup_id": hg, **rest} for hg, rest in attributes.items()
        ],
    }


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


RANDOM_MODULES = ["MYSQL SERVERS", "MYSQL USERS", "MYSQL QUERY RULES"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(config=configurations(), keep_hashes=st.booleans())
def test_random_configurations_export_to_specs_that_plan_no_changes(
    clean: Node, tmp_path: Path, config: dict[str, list[dict[str, SqlValue]]], keep_hashes: bool
) -> None:
    with connect(clean) as conn:
        for table in config:
            _sql(conn, f"DELETE FROM {table}")
        for table, rows in config.items():
            if rows:
                _insert(conn, table, rows)
        _load_and_save(conn, RANDOM_MODULES)
    result = export(clean, keep_hashes=keep_hashes)
    path = write(tmp_path, result)
    validation = validate_files([path])
    assert validation.ok, [f for f in validation.findings if f.severity is Severity.ERROR]
    plan = plan_exported(path, node_secret_values(clean, result))
    assert not plan.has_changes, result.text + "\n" + render_text(plan)
    for table, rows in config.items():
        assert len(validation.desired.rows(table)) == len(rows), table


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _target_version(name: str) -> str:
    return validate_files(SPECS[name]).desired.proxysql_version


SPECS_2_7 = [name for name in SPECS if _target_version(name) == "2.7"]


def _example_files(name: str, tmp_path: Path, nodes: list[Node]) -> list[Path]:
    """The example's files with the test cluster's block; proxysql_servers left alone
    (the example's peers do not exist, and the sandbox's cluster needs its own)."""
    version = _target_version(name)
    out = []
    for index, source in enumerate(SPECS[name]):
        data = _plain(parse_text(source.read_text(encoding="utf-8"), str(source)).data)
        body = {k: v for k, v in data.items() if k not in ("cluster", "proxysql_servers")}
        path = tmp_path / f"{index}-{source.name}"
        path.write_text("".join(dump({k: v}) for k, v in body.items()), encoding="utf-8")
        out.append(path)
    cluster = tmp_path / "zz-cluster.yaml"
    block = cluster_block(nodes, version="" if version == "2.7" else version)
    cluster.write_text("version: 1\n" + block, encoding="utf-8")
    return [*out, cluster]


EXAMPLE_SECRETS = (
    "APP_DB_PASSWORD",
    "REPORTING_DB_PASSWORD",
    "MONITOR_PASSWORD",
    "BILLING_DB_PASSWORD",
    "BILLING_REPORTS_DB_PASSWORD",
)


def apply_example(
    name: str, tmp_path: Path, nodes: list[Node], monkeypatch: pytest.MonkeyPatch
) -> list[Path]:
    """Apply an example (its secrets set to test values) to the test cluster; its files."""
    for env in EXAMPLE_SECRETS:
        monkeypatch.setenv(env, f"{env.lower()}-Value'1")
    files = _example_files(name, tmp_path, nodes)
    lines: list[str] = []
    try:
        code = run_apply(
            files,
            auto_approve=True,
            allow_destructive=True,
            wait=True,
            converge_timeout=None,
            interactive=False,
            echo=lines.append,
            confirm=lambda _question: False,
        )
    except PxcError as error:  # a refusal: the plan above it says why
        pytest.fail("\n".join([*lines, str(error)]))
    assert code == 0, "\n".join(lines)
    return files


@pytest.mark.parametrize("name", SPECS_2_7)
def test_example_applied_then_exported_plans_no_changes(
    name: str,
    clean: Node,
    proxysql_cluster: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", clean[3])
    files = apply_example(name, tmp_path, proxysql_cluster.nodes, monkeypatch)
    result = run_export(spec_files=files)
    assert result.ok and result.overrides == {}, result.findings
    path = write(tmp_path, result)
    plan = plan_exported(path, node_secret_values(clean, result))
    assert not plan.has_changes, result.text + "\n" + render_text(plan)
    written = validate_files(files).desired
    exported = validate_files([path]).desired
    for table in written.tables:
        assert len(exported.rows(table)) == len(written.rows(table)), table
    assert re.search(r"^# ProxySQL \S+, at \d{4}-\d\d-\d\d ", result.text, re.M)
