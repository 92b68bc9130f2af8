"""pxc render: the bootstrap SQL script and the proxysql.cnf mean exactly what the spec means.

The script is applied statement by statement (one statement per line, split on the line-ending
`;`) to a fresh sandbox node, and the cnf boots a fresh sandbox node; then `pxc plan` against
the same spec must find nothing to change.
"""

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import libconf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from proxysql_iac.admin import sql
from proxysql_iac.admin.connection import AdminConnection, Endpoint
from proxysql_iac.cli import app
from proxysql_iac.planning import make_plan
from proxysql_iac.render import RenderFormat, cnf_string, render
from proxysql_iac.sandbox import Sandbox
from proxysql_iac.sandbox.configfile import read_config
from tests.realserver import RealNode, free_port_block

runner = CliRunner()
APP_PW = "app-s3cr3t-pw"
MONITOR_PW = "mon-s3cr3t-pw"


# -- one statement per line, read the same way by SQLite and by the mysql client ---------


def client_statements(script: str) -> list[str]:
    """Statements as the mysql command-line client delimits them (mysql.cc `add_line`, the
    parts that matter here): quotes in which a backslash escapes the next character, `;` as
    the delimiter, `-- ` and `#` comments outside quotes."""
    statements: list[str] = []
    buf: list[str] = []
    quote = ""
    i = 0
    while i < len(script):
        ch = script[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and i + 1 < len(script):
                buf.append(script[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif ch == ";":
            statements.append("".join(buf).strip())
            buf = []
        elif ch == "#" or script.startswith("-- ", i):
            end = script.find("\n", i)
            i = len(script) if end < 0 else end
            continue
        else:
            buf.append(ch)
        i += 1
    assert not quote and not "".join(buf).strip(), "the client would wait for more input"
    return [s for s in statements if s]


def line_statements(script: str) -> list[str]:
    """What a line-based reader does with the script: one statement per non-comment line."""
    out = []
    for line in script.split("\n"):
        if not line or line.startswith("-- "):
            continue
        assert line.endswith(";"), line
        out.append(line[:-1])
    return out


TRICKY = st.text(
    alphabet=st.one_of(
        st.sampled_from(["\\", "'", '"', "`", ";", "\n", "\r", "-", "#", "\u2028", "\x85"]),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(TRICKY)
def test_one_line_literal_round_trips_and_the_client_splits_it_like_sqlite(text: str) -> None:
    rendered = sql.literal(text, one_line=True)
    assert not set(rendered) & sql.LINE_BREAKS
    line = f"SELECT {rendered};"
    assert client_statements(line + "\n-- next\n" + line) == [line[:-1], line[:-1]]
    with sqlite3.connect(":memory:") as db:
        assert db.execute(f"SELECT {rendered}").fetchone()[0] == text


def test_one_line_literal_keeps_ordinary_regexes_readable() -> None:
    assert sql.literal("^SELECT .* FROM t\\b", one_line=True) == "'^SELECT .* FROM t\\b'"
    assert sql.literal("a\nb", one_line=True) == "'a'||char(10)||'b'"
    assert sql.literal("ends with \\", one_line=True) == "'ends with '||char(92)"
    assert sql.literal("", one_line=True) == "''"


# -- a spec that uses every table ---------------------------------------------------------

EVERY_TABLE = """
hostgroups: {writer: 10, reader: 20, aurora-writer: 30, aurora-reader: 31}
mysql_servers:
  - hostgroup_id: writer
    hostname: db1.example.com
    comment: "line one\\nline two; it's a \\\\ test\\\\"
  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100, status: OFFLINE_SOFT}
  - {hostgroup_id: aurora-writer, hostname: db.cluster-x.eu-west-1.rds.amazonaws.com, use_ssl: 1}
mysql_replication_hostgroups:
  - {writer_hostgroup: writer, reader_hostgroup: reader, check_type: 'read_only|innodb_read_only'}
mysql_galera_hostgroups:
  - {writer_hostgroup: 40, backup_writer_hostgroup: 41, reader_hostgroup: 42,
     offline_hostgroup: 43, active: 0}
mysql_aws_aurora_hostgroups:
  - {writer_hostgroup: aurora-writer, reader_hostgroup: aurora-reader,
     domain_name: .x.eu-west-1.rds.amazonaws.com, writer_is_also_reader: 1}
mysql_hostgroup_attributes:
  - {hostgroup_id: aurora-writer, servers_defaults: {use_ssl: 1}}
  - {hostgroup_id: aurora-reader, servers_defaults: {use_ssl: 1}, comment: "it's"}
mysql_servers_ssl_params:
  - {hostname: db1.example.com, ssl_ca: /etc/proxysql/ca.pem}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
  - {username: split, password: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',
     default_hostgroup: reader, frontend: 0}
mysql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT .* FOR UPDATE\\b',
     destination_hostgroup: writer, apply: 1}
  - {rule_id: 20, match_pattern: "x\\"y'z\\\\", replace_pattern: q,
     destination_hostgroup: reader, comment: "multi\\nline"}
mysql_query_rules_fast_routing:
  - {username: app, schemaname: shop, destination_hostgroup: reader, comment: ''}
scheduler:
  - {id: 1, interval_ms: 10000, filename: /usr/bin/true, arg1: "a b"}
mysql_firewall_whitelist_users:
  - {username: app, client_address: 10.0.0.1, mode: DETECTING, comment: ''}
mysql_firewall_whitelist_rules:
  - {username: app, client_address: 10.0.0.1, schemaname: shop, digest: '0x1234', comment: ''}
mysql_firewall_whitelist_sqli_fingerprints:
  - {fingerprint: 'Sos'}
restapi_routes:
  - {id: 1, timeout_ms: 1000, method: GET, uri: metrics, script: /usr/bin/true}
mysql_variables:
  max_connections: 3000
  monitor_password: {env: PXC_TEST_MONITOR_PW}
admin_variables:
  cluster_check_interval_ms: 200
"""


@pytest.fixture
def fresh_node(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "radmin")
    monkeypatch.setenv("PXC_TEST_APP_PW", APP_PW)
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", MONITOR_PW)
    with Sandbox(nodes=1, cluster=False) as sb:
        host, port, _, _ = sb.endpoints()[0]
        yield host, port


def _spec(path: Path, node: tuple[str, int], body: str, version: str = "") -> Path:
    host, port = node
    path.write_text(
        "version: 1\n"
        "cluster:\n"
        + (f"  proxysql_version: '{version}'\n" if version else "")
        + "  primary: fresh\n"
        "  admin: {user: radmin, password: {env: PXC_TEST_ADMIN_PASSWORD}}\n"
        f"  nodes: [{{name: fresh, host: '{host}', port: {port}}}]\n"
        "proxysql_servers:\n  - {hostname: 192.0.2.7, port: 6032, comment: a peer}\n" + body
    )
    return path


def _assert_no_changes(spec: Path) -> None:
    ctx = make_plan([spec])
    assert not ctx.plan.has_changes, [(c.table, c.action, c.key) for c in ctx.plan.changes.rows]
    assert [s.reason for s in ctx.plan.steps] == []  # runtime and disk match memory too


@pytest.mark.sandbox
def test_sql_script_applied_line_by_line_to_a_fresh_node_equals_the_spec(
    fresh_node: tuple[str, int], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "spec.yaml", fresh_node, EVERY_TABLE)
    script = render([spec], RenderFormat.sql, reveal_secrets=True).text
    statements = line_statements(script)
    assert statements == client_statements(script)  # the mysql client splits it the same way
    assert sum(s.startswith("LOAD ") for s in statements) == 9  # every module, once
    assert sum(s.startswith("SAVE ") for s in statements) == 9
    assert not [s for s in statements if s.upper().startswith("SET ")]
    host, port = fresh_node
    with AdminConnection(Endpoint("fresh", host, port, "radmin", "radmin")) as conn:
        for statement in statements:
            conn.execute(sql.raw_query(statement, "bootstrap script"))
    _assert_no_changes(spec)


@pytest.mark.sandbox
@pytest.mark.skipif(shutil.which("mysql") is None, reason="no mysql command-line client")
def test_sql_script_runs_as_is_with_the_mysql_client(
    fresh_node: tuple[str, int], tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "spec.yaml", fresh_node, EVERY_TABLE)
    script = render([spec], RenderFormat.sql, reveal_secrets=True).text
    host, port = fresh_node
    done = subprocess.run(
        ["mysql", "-h", host, "-P", str(port), "-uradmin", "-pradmin"],
        input=script.encode(),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    _assert_no_changes(spec)


def test_secrets_are_placeholders_unless_revealed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", APP_PW)
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", MONITOR_PW)
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), EVERY_TABLE)
    for fmt in RenderFormat:
        hidden = render([spec], fmt)
        assert APP_PW not in hidden.text and MONITOR_PW not in hidden.text
        assert hidden.placeholders == 2  # the app password and mysql-monitor_password
        assert hidden.text.count("<secret>") == 3  # and the header says so
        if fmt is RenderFormat.sql:  # (the cnf cannot hold that user: frontend=0)
            # a password hash is not a secret: it is written as is
            assert "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19" in hidden.text
        shown = render([spec], fmt, reveal_secrets=True)
        assert APP_PW in shown.text and MONITOR_PW in shown.text
        assert shown.placeholders == 0


def test_cli_render_sql_to_stdout_and_cnf_to_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", APP_PW)
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", MONITOR_PW)
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), EVERY_TABLE)
    result = runner.invoke(app, ["render", str(spec), "--format", "sql"])
    assert result.exit_code == 0, result.output
    assert "LOAD MYSQL SERVERS TO RUNTIME;" in result.output
    assert APP_PW not in result.output
    out = tmp_path / "proxysql.cnf"
    result = runner.invoke(
        app, ["render", str(spec), "--format", "cnf", "--reveal-secrets", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o077 == 0
    assert "not representable in proxysql.cnf: mysql_query_rules_fast_routing" in result.output


# -- proxysql.cnf ---------------------------------------------------------------------

CNF_REPRESENTABLE = """
hostgroups: {writer: 10, reader: 20, aurora-writer: 30, aurora-reader: 31}
mysql_servers:
  - hostgroup_id: writer
    hostname: db1.example.com
    comment: "line one\\nline two; it's a \\\\ \\"test\\"\\ttab"
  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100, status: OFFLINE_SOFT}
  - {hostgroup_id: aurora-writer, hostname: db.cluster-x.eu-west-1.rds.amazonaws.com}
mysql_replication_hostgroups:
  - {writer_hostgroup: writer, reader_hostgroup: reader, check_type: innodb_read_only,
     comment: repl}
mysql_aws_aurora_hostgroups:
  - {writer_hostgroup: aurora-writer, reader_hostgroup: aurora-reader,
     domain_name: .x.eu-west-1.rds.amazonaws.com, comment: aurora}
mysql_galera_hostgroups:
  - {writer_hostgroup: 40, backup_writer_hostgroup: 41, reader_hostgroup: 42,
     offline_hostgroup: 43, comment: galera}
mysql_servers_ssl_params:
  - {hostname: db1.example.com, ssl_ca: /etc/proxysql/ca.pem}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer,
     default_schema: shop, attributes: {spiffe_id: x}}
mysql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT .* FOR UPDATE\\b',
     destination_hostgroup: writer, apply: 1}
  - {rule_id: 20, match_digest: '^SELECT', destination_hostgroup: reader, comment: inactive}
scheduler:
  - {id: 1, interval_ms: 10000, filename: /usr/bin/true, arg1: "a b"}
restapi_routes:
  - {id: 1, timeout_ms: 1000, method: GET, uri: metrics, script: /usr/bin/true}
mysql_variables:
  max_connections: 3000
  monitor_password: {env: PXC_TEST_MONITOR_PW}
admin_variables:
  cluster_check_interval_ms: 200
  cluster_mysql_servers_save_to_disk: false
"""


@pytest.mark.sandbox
def test_cnf_boots_a_fresh_node_into_the_spec(fresh_node: tuple[str, int], tmp_path: Path) -> None:
    spec = _spec(tmp_path / "spec.yaml", fresh_node, CNF_REPRESENTABLE)
    rendered = render([spec], RenderFormat.cnf, reveal_secrets=True)
    assert rendered.not_representable == []
    path = tmp_path / "proxysql.cnf"
    path.write_text(rendered.text)
    parsed = libconf.loads(rendered.text)
    rules = {r["rule_id"]: r for r in parsed["mysql_query_rules"]}
    assert rules[20]["active"] == 0  # stated: the file's own default is 1
    (aurora,) = parsed["mysql_aws_aurora_hostgroups"]
    assert aurora["check_timeout_ms"] == 800  # stated: the file's own default is 1000
    assert "active" not in aurora  # not read by ProxySQL: always 1
    assert parsed["mysql_servers"][0]["comment"] == 'line one\nline two; it\'s a \\ "test"\ttab'
    assert parsed["admin_variables"]["cluster_mysql_servers_save_to_disk"] == "false"
    with Sandbox(nodes=1, cluster=False, config=read_config(str(path))) as booted:
        host, port, _, _ = booted.endpoints()[0]
        _assert_no_changes(_spec(tmp_path / "booted.yaml", (host, port), CNF_REPRESENTABLE))


CNF_NOT_REPRESENTABLE = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
mysql_replication_hostgroups:
  - {writer_hostgroup: writer, reader_hostgroup: reader, check_type: 'read_only|innodb_read_only'}
mysql_galera_hostgroups:
  - {writer_hostgroup: 40, backup_writer_hostgroup: 41, reader_hostgroup: 42,
     offline_hostgroup: 43, active: 0, comment: off}
  - {writer_hostgroup: 50, backup_writer_hostgroup: 51, reader_hostgroup: 52,
     offline_hostgroup: 53}
mysql_hostgroup_attributes:
  - {hostgroup_id: writer, multiplex: 0}
mysql_users:
  - {username: fe, password: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19', default_hostgroup: 10,
     backend: 0}
  - {username: nopw, default_hostgroup: 10}
mysql_query_rules:
  - {rule_id: 1, active: 1, match_digest: 'say "hi"', apply: 1}
  - {rule_id: 2, active: 1, match_digest: '^SELECT', next_query_flagIN: -1, apply: 1}
  - {rule_id: 3, active: 1, match_digest: '^UPDATE', re_modifiers: null, apply: 1}
mysql_query_rules_fast_routing:
  - {username: app, schemaname: shop, destination_hostgroup: 20, comment: ''}
mysql_firewall_whitelist_sqli_fingerprints:
  - {fingerprint: Sos}
mysql_variables:
  monitor_username: 'a"b'
"""


def test_cnf_leaves_out_and_names_what_it_cannot_state(tmp_path: Path) -> None:
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), CNF_NOT_REPRESENTABLE)
    rendered = render([spec], RenderFormat.cnf)
    notes = "\n".join(rendered.not_representable)
    for expected in (
        "mysql_query_rules_fast_routing (1 row(s)): the config file has no section for it",
        "mysql_firewall_whitelist_sqli_fingerprints (1 row(s))",
        "mysql_hostgroup_attributes (1 row(s)): ProxySQL 2.7.1 does not read it",
        "mysql-monitor_username: its value holds '\"'",
        "mysql_replication_hostgroups: check_type 'read_only|innodb_read_only' becomes read_only",
        "mysql_galera_hostgroups: active=0: the config file does not read active (always 1)",
        "mysql_galera_hostgroups.comment NULL becomes '' when read from the config file",
        "mysql_users: backend=0: the config file does not read backend (always 1)",
        "mysql_users.password NULL becomes ''",
        "mysql_query_rules: match_digest holds '\"'",
        "mysql_query_rules: next_query_flagIN -1 reads as NULL",
    ):
        assert expected in notes, expected
    # compile writes NULL default_schema and re_modifiers as '', the form runtime shows them
    # in, which the config file states exactly: no note for them
    assert "default_schema" not in notes and "re_modifiers" not in notes
    assert all("\n" not in note for note in rendered.not_representable)
    parsed = libconf.loads(rendered.text)
    assert "mysql_replication_hostgroups" in parsed and not parsed["mysql_replication_hostgroups"]
    assert [g["writer_hostgroup"] for g in parsed["mysql_galera_hostgroups"]] == [50]
    assert [u["username"] for u in parsed["mysql_users"]] == ["nopw"]
    assert [r["rule_id"] for r in parsed["mysql_query_rules"]] == [3]
    assert "mysql_variables" not in parsed
    assert "mysql_query_rules_fast_routing" not in parsed
    for note in rendered.not_representable:
        assert f"#   - {note}" in rendered.text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_cnf_strings_parse_back_exactly(text: str) -> None:
    assert libconf.loads(f"a={cnf_string(text)}\n")["a"] == text


def test_every_table_says_how_the_config_file_states_it() -> None:
    """A table either has a config section whose named columns are its own, or a reason why
    the file cannot state it (render lists it as not representable)."""
    from proxysql_iac.spec.tables import TABLES

    for table in TABLES:
        section = table.cnf
        if section is None:
            assert table.cnf_unreadable, table.name
            continue
        named = {
            *section.forced,
            *section.null_becomes,
            *section.accepted,
            *section.double_quoted,
            *section.single_quoted,
        }
        assert named <= set(table.column_names), table.name


# -- a 2.7 spec renders as it always did -------------------------------------------------

GOLDEN = Path(__file__).parent / "data" / "render"


@pytest.mark.parametrize("fmt", list(RenderFormat))
def test_a_27_spec_renders_exactly_as_recorded_and_names_nothing_pgsql(
    fmt: RenderFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 2.7 output is pinned byte for byte (regenerate the file only on purpose)."""
    monkeypatch.chdir(tmp_path)
    _spec(Path("spec.yaml"), ("127.0.0.1", 6032), EVERY_TABLE)
    text = render(["spec.yaml"], fmt).text
    assert text == (GOLDEN / f"every-table-2.7.{fmt.value}").read_text()
    assert "pgsql" not in text.lower()


# -- ProxySQL 3.0: a real 3.0.1 binary (PXC_PROXYSQL_BIN_30) ------------------------------

PROXYSQL_30 = os.environ.get("PXC_PROXYSQL_BIN_30", "")
needs_30 = pytest.mark.skipif(
    not os.access(PROXYSQL_30, os.X_OK),
    reason="PXC_PROXYSQL_BIN_30 does not name a ProxySQL 3.0.1 binary, so render's "
    "3.0 output is not proven against a server (there is no 3.0 sandbox to use instead)",
)


def _first_boot_config(rendered: str, data_dir: Path, base: int) -> str:
    """The rendered file plus what a node on loopback needs and a spec does not hold: the
    datadir, the admin user and every interface, with the Monitors off."""
    settings = {
        "admin_variables": (
            'admin_credentials="radmin:radmin"',
            f'mysql_ifaces="127.0.0.1:{base}"',
            f'pgsql_ifaces="127.0.0.1:{base + 3}"',
        ),
        "mysql_variables": (f'interfaces="127.0.0.1:{base + 1}"', "monitor_enabled=false"),
        "pgsql_variables": (f'interfaces="127.0.0.1:{base + 2}"', "monitor_enabled=false"),
    }
    text = rendered
    for group, lines in settings.items():
        body = "".join(f"\t{line}\n" for line in lines)
        opening = f"\n{group}=\n{{\n"
        if opening in text:
            text = text.replace(opening, opening + body, 1)
        else:
            text += f"{opening}{body}}}\n"
    return f'datadir="{data_dir}"\n{text}'


@contextlib.contextmanager
def real_30_node(directory: Path, rendered: str = "") -> Iterator[tuple[str, int]]:
    """A fresh ProxySQL 3.0.1 process whose first boot reads `rendered` (a proxysql.cnf)."""
    for attempt in range(3):
        base = free_port_block(4)
        node = RealNode(1, base, base + 1, directory / f"node{attempt}")
        node.data_dir.mkdir(parents=True)
        config = _first_boot_config(rendered, node.data_dir, base)
        (node.directory / "proxysql.cnf").write_text(config)
        try:
            node.start(PROXYSQL_30)
        except RuntimeError:  # a port taken meanwhile: again on others
            node.stop()
            if attempt == 2:
                raise
            continue
        try:
            yield "127.0.0.1", base
        finally:
            node.stop()
        return


PGSQL_EVERY_TABLE = """
hostgroups: {writer: 10, reader: 20, pg-writer: 100, pg-reader: 110}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
pgsql_servers:
  - hostgroup_id: pg-writer
    hostname: pg1.example.com
    comment: "line one\\nline two; it's a \\\\ \\"test\\"\\\\"
  - {hostgroup_id: pg-reader, hostname: pg2.example.com, port: 5433, weight: 100,
     status: OFFLINE_SOFT}
pgsql_replication_hostgroups:
  - {writer_hostgroup: pg-writer, reader_hostgroup: pg-reader,
     check_type: 'read_only|innodb_read_only', comment: billing}
pgsql_hostgroup_attributes:
  - {hostgroup_id: pg-writer, multiplex: 0, servers_defaults: {use_ssl: 1}, comment: "it's"}
pgsql_users:
  - {username: billing, password: {env: PXC_TEST_APP_PW}, default_hostgroup: pg-writer,
     attributes: {a: 1}}
  - {username: reporting, password: plain-but-fine, default_hostgroup: pg-reader, frontend: 0}
pgsql_query_rules:
  - {rule_id: 10, active: 1, match_digest: '^SELECT .* FOR (UPDATE|SHARE)\\b',
     destination_hostgroup: pg-writer, apply: 1}
  - {rule_id: 20, match_pattern: "x\\"y'z\\\\", replace_pattern: q, re_modifiers: null,
     destination_hostgroup: pg-reader, comment: "multi\\nline"}
pgsql_query_rules_fast_routing:
  - {username: billing, database: billing, destination_hostgroup: pg-reader, comment: ''}
pgsql_firewall_whitelist_users:
  - {username: billing, client_address: 10.0.0.1, mode: DETECTING, comment: ''}
pgsql_firewall_whitelist_rules:
  - {username: billing, client_address: 10.0.0.1, database: billing, digest: '0x1234',
     comment: ''}
pgsql_firewall_whitelist_sqli_fingerprints:
  - {fingerprint: 'Sos'}
pgsql_ldap_mapping:
  - {priority: 1, frontend_entity: cn=dba, backend_entity: dba}
pgsql_variables:
  max_connections: 3000
  monitor_username: pgmon
  monitor_password: {env: PXC_TEST_MONITOR_PW}
mysql_variables:
  max_connections: 3000
admin_variables:
  cluster_check_interval_ms: 200
"""


def _statements_applied(node: tuple[str, int], statements: list[str]) -> None:
    host, port = node
    with AdminConnection(Endpoint("fresh", host, port, "radmin", "radmin")) as conn:
        for statement in statements:
            conn.execute(sql.raw_query(statement, "bootstrap script"))


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_ADMIN_PASSWORD", "radmin")
    monkeypatch.setenv("PXC_TEST_APP_PW", APP_PW)
    monkeypatch.setenv("PXC_TEST_MONITOR_PW", MONITOR_PW)


def test_30_sql_script_loads_and_saves_every_pgsql_module_but_ldap_mapping(
    secrets_env: None, tmp_path: Path
) -> None:
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), PGSQL_EVERY_TABLE, "3.0")
    rendered = render([spec], RenderFormat.sql)
    script = rendered.text
    assert script.startswith("-- Bootstrap script for an EMPTY ProxySQL 3.0 node")
    statements = line_statements(script)
    assert statements == client_statements(script)
    loads = [s for s in statements if s.startswith("LOAD ")]
    assert loads == [
        f"LOAD {m} TO RUNTIME"
        for m in (
            "MYSQL VARIABLES",
            "ADMIN VARIABLES",
            "MYSQL SERVERS",
            "MYSQL USERS",
            "PROXYSQL SERVERS",
            "PGSQL VARIABLES",
            "PGSQL SERVERS",
            "PGSQL USERS",
            "PGSQL QUERY RULES",
            "PGSQL FIREWALL",
        )
    ]
    assert sum(s.startswith("SAVE ") for s in statements) == len(loads)
    assert not [s for s in statements if "ldap" in s.lower()]  # no statement: no LOAD exists
    assert (
        "-- pgsql_ldap_mapping: 1 row(s) NOT rendered: ProxySQL 3.0 has no LOAD or SAVE "
        "command for it, so they would never take effect (PXC144)" in script.split("\n")
    )
    # the app password, the pgsql user's plaintext password and pgsql-monitor_password
    assert rendered.placeholders == 4 and MONITOR_PW not in script
    assert "'pgsql-max_connections','3000'" in script.replace(" ", "")


@pytest.mark.parametrize("fmt", list(RenderFormat))
def test_30_plaintext_pgsql_monitor_password_is_a_secret(fmt: RenderFormat, tmp_path: Path) -> None:
    body = "pgsql_variables: {monitor_username: pgmon, monitor_password: pg-pl4in-pw}\n"
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), body, "3.0")
    hidden = render([spec], fmt)
    assert "pg-pl4in-pw" not in hidden.text and hidden.placeholders == 1
    assert "pg-pl4in-pw" in render([spec], fmt, reveal_secrets=True).text


@needs_30
def test_30_sql_script_applied_to_a_fresh_real_301_equals_the_spec(
    secrets_env: None, tmp_path: Path
) -> None:
    with real_30_node(tmp_path / "real") as node:
        spec = _spec(tmp_path / "spec.yaml", node, PGSQL_EVERY_TABLE, "3.0")
        script = render([spec], RenderFormat.sql, reveal_secrets=True).text
        _statements_applied(node, line_statements(script))
        _assert_no_changes(spec)


# (No mirror_flagOUT / mirror_hostgroup: ProxySQL 3.0.1's runtime_pgsql_query_rules shows the
# two swapped, whatever wrote memory, so memory and runtime never compare equal.)
PGSQL_CNF_REPRESENTABLE = """
hostgroups: {writer: 10, reader: 20, pg-writer: 100, pg-reader: 110}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com, comment: "it's"}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
mysql_query_rules:
  - {rule_id: 1, match_digest: '^SELECT', destination_hostgroup: writer, comment: inactive}
pgsql_servers:
  - hostgroup_id: pg-writer
    hostname: pg1.example.com
    comment: "line one\\nline two; it's a \\\\ \\"test\\"\\ttab"
  - {hostgroup_id: pg-reader, hostname: pg2.example.com, port: 5433, weight: 100,
     status: OFFLINE_SOFT, max_replication_lag: 30, use_ssl: 1, compression: 1,
     max_connections: 50, max_latency_ms: 20}
pgsql_replication_hostgroups:
  - {writer_hostgroup: pg-writer, reader_hostgroup: pg-reader, check_type: innodb_read_only,
     comment: "it's billing"}
pgsql_users:
  - {username: billing, password: {env: PXC_TEST_APP_PW}, default_hostgroup: pg-writer,
     attributes: {a: 1}, comment: "it's", use_ssl: 1, transaction_persistent: 0,
     fast_forward: 1, max_connections: 20}
  - {username: off, password: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',
     default_hostgroup: pg-reader, active: 0}
pgsql_query_rules:
  - {rule_id: 10, active: 1, username: billing, database: billing, flagIN: 1,
     client_addr: 10.0.0.1, proxy_addr: 10.0.0.2, proxy_port: 6133,
     match_digest: '^SELECT .* FOR (UPDATE|SHARE)\\b', negate_match_pattern: 1,
     re_modifiers: 'CASELESS,GLOBAL', flagOUT: 2, destination_hostgroup: pg-writer,
     cache_ttl: 100, cache_empty_result: 0, cache_timeout: 10, reconnect: 1, timeout: 1000,
     retries: 2, delay: 5, next_query_flagIN: 3, sticky_conn: 1, multiplex: 2, log: 1,
     apply: 1, attributes: {x: "y"}, comment: plain}
  - {rule_id: 20, match_pattern: 'a\\tb', replace_pattern: 'c', digest: '0x1234',
     error_msg: 'no: \\\\ here', destination_hostgroup: pg-reader}
  - {rule_id: 30, active: 1, match_digest: '^UPDATE', OK_msg: done, re_modifiers: ''}
pgsql_variables:
  max_connections: 3000
  monitor_username: pgmon
  monitor_password: {env: PXC_TEST_MONITOR_PW}
  default_query_timeout: 3600000
mysql_variables:
  max_connections: 2000
admin_variables:
  cluster_check_interval_ms: 200
"""


def test_30_cnf_states_every_pgsql_column_explicitly(secrets_env: None, tmp_path: Path) -> None:
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), PGSQL_CNF_REPRESENTABLE, "3.0")
    rendered = render([spec], RenderFormat.cnf, reveal_secrets=True)
    assert rendered.not_representable == []
    parsed = libconf.loads(rendered.text)
    assert parsed["pgsql_variables"]["monitor_password"] == MONITOR_PW  # no pgsql- prefix
    assert parsed["pgsql_variables"]["max_connections"] == "3000"
    rules = {r["rule_id"]: r for r in parsed["pgsql_query_rules"]}
    assert rules[20]["active"] == 0  # stated: the file's own default is 1
    assert "comment" not in rules[20]  # NULL: left out, and the reader writes NULL
    assert parsed["pgsql_users"][0]["attributes"] == '{"a":1}'
    assert "frontend" not in parsed["pgsql_users"][0]  # not read: always 1
    assert parsed["pgsql_servers"][0]["comment"] == 'line one\nline two; it\'s a \\ "test"\ttab'
    assert "pgsql_hostgroup_attributes" not in parsed
    assert "Of the PostgreSQL side, ProxySQL 3.0.1 reads only pgsql_servers" in rendered.text


@needs_30
def test_30_cnf_boots_a_fresh_real_301_into_the_spec(secrets_env: None, tmp_path: Path) -> None:
    offline = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), PGSQL_CNF_REPRESENTABLE, "3.0")
    rendered = render([offline], RenderFormat.cnf, reveal_secrets=True)
    assert rendered.not_representable == []
    with real_30_node(tmp_path / "real", rendered.text) as node:
        _assert_no_changes(_spec(tmp_path / "booted.yaml", node, PGSQL_CNF_REPRESENTABLE, "3.0"))


PGSQL_CNF_NOT_REPRESENTABLE = """
hostgroups: {pg-writer: 100, pg-reader: 110}
pgsql_servers:
  - {hostgroup_id: pg-writer, hostname: pg1.example.com}
pgsql_replication_hostgroups:
  - {writer_hostgroup: pg-writer, reader_hostgroup: pg-reader,
     check_type: 'read_only|innodb_read_only'}
pgsql_hostgroup_attributes:
  - {hostgroup_id: pg-writer, multiplex: 0}
pgsql_users:
  - {username: fe, password: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',
     default_hostgroup: 100, backend: 0}
  - {username: quote, password: {env: PXC_TEST_QUOTE_PW}, default_hostgroup: 100}
  - {username: nopw, default_hostgroup: 100}
pgsql_query_rules:
  - {rule_id: 1, active: 1, match_digest: 'say "hi"', apply: 1}
  - {rule_id: 2, active: 1, match_digest: '^SELECT', next_query_flagIN: -1, apply: 1}
  - {rule_id: 3, active: 1, match_digest: '^UPDATE', comment: "it's", apply: 1}
  - {rule_id: 4, active: 1, match_digest: '^DELETE', re_modifiers: null, apply: 1}
pgsql_query_rules_fast_routing:
  - {username: app, database: shop, destination_hostgroup: 110, comment: ''}
pgsql_firewall_whitelist_sqli_fingerprints:
  - {fingerprint: Sos}
pgsql_ldap_mapping:
  - {priority: 1, frontend_entity: cn=dba, backend_entity: dba}
pgsql_variables:
  monitor_username: 'a"b'
"""

PGSQL_NOT_REPRESENTABLE_NOTES = (
    "pgsql_query_rules_fast_routing (1 row(s)): the config file has no section for it",
    "pgsql_firewall_whitelist_sqli_fingerprints (1 row(s)): the config file has no section",
    "pgsql_hostgroup_attributes (1 row(s)): ProxySQL 3.0.1 does not read it",
    "pgsql_ldap_mapping (1 row(s)): ProxySQL 3.0.1 has no config file section for it, nor a "
    "LOAD command: pxc does not write its rows at all (PXC144)",
    "pgsql-monitor_username: its value holds '\"'",
    "pgsql_replication_hostgroups: check_type 'read_only|innodb_read_only' becomes read_only",
    "pgsql_users: backend=0: the config file does not read backend (always 1)",
    'pgsql_users: password holds "\'"',
    "pgsql_users.password NULL becomes ''",
    "pgsql_query_rules: match_digest holds '\"'",
    "pgsql_query_rules: next_query_flagIN -1 reads as NULL",
    'pgsql_query_rules: comment holds "\'"',
)


def test_30_cnf_leaves_out_and_names_what_the_pgsql_reader_cannot_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PXC_TEST_QUOTE_PW", "it's")
    spec = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), PGSQL_CNF_NOT_REPRESENTABLE, "3.0")
    rendered = render([spec], RenderFormat.cnf, reveal_secrets=True)
    notes = "\n".join(rendered.not_representable)
    for expected in PGSQL_NOT_REPRESENTABLE_NOTES:
        assert expected in notes, expected
    parsed = libconf.loads(rendered.text)
    assert "pgsql_replication_hostgroups" in parsed and not parsed["pgsql_replication_hostgroups"]
    assert [u["username"] for u in parsed["pgsql_users"]] == ["nopw"]
    assert [r["rule_id"] for r in parsed["pgsql_query_rules"]] == [4]
    for absent in (
        "pgsql_variables",
        "pgsql_query_rules_fast_routing",
        "pgsql_hostgroup_attributes",
        "pgsql_ldap_mapping",
        "pgsql_firewall_whitelist_sqli_fingerprints",
    ):
        assert absent not in parsed, absent
    for note in rendered.not_representable:
        assert f"#   - {note}" in rendered.text


@needs_30
def test_30_cnf_of_what_it_cannot_state_boots_a_real_301_missing_exactly_those_rows(
    secrets_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the file leaves out or changes is exactly what plan then finds to do."""
    monkeypatch.setenv("PXC_TEST_QUOTE_PW", "it's")
    offline = _spec(tmp_path / "spec.yaml", ("127.0.0.1", 6032), PGSQL_CNF_NOT_REPRESENTABLE, "3.0")
    rendered = render([offline], RenderFormat.cnf, reveal_secrets=True)
    with real_30_node(tmp_path / "real", rendered.text) as node:
        booted = _spec(tmp_path / "booted.yaml", node, PGSQL_CNF_NOT_REPRESENTABLE, "3.0")
        changes = make_plan([booted]).plan.changes
    assert {c.action for c in changes.rows} == {"add"}  # nothing stated differently
    assert {(c.table, c.key) for c in changes.rows} == {
        ("pgsql_replication_hostgroups", (100,)),  # combined check_type
        ("pgsql_hostgroup_attributes", (100,)),  # not read
        ("pgsql_users", ("fe", 0)),  # backend-only
        ("pgsql_users", ("quote", 1)),  # ' in the password
        ("pgsql_query_rules", (1,)),  # " in match_digest
        ("pgsql_query_rules", (2,)),  # negative next_query_flagIN
        ("pgsql_query_rules", (3,)),  # ' in the comment
        ("pgsql_query_rules_fast_routing", ("app", "shop", 0)),  # no section
        ("pgsql_firewall_whitelist_sqli_fingerprints", ("Sos",)),  # no section
    }  # and not pgsql_ldap_mapping, which plan never writes either (PXC144)
    assert [v.name for v in changes.variables] == ["pgsql-monitor_username"]  # " in its value
