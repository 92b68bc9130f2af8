"""pxc explain: plain numbers derived from the spec (offline)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from proxysql_iac.cli import app
from proxysql_iac.explain import explain, render_text
from proxysql_iac.plan.health import propagation_deadline

runner = CliRunner()


def _spec(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text("version: 1\n" + body)
    return path


FAST = """
admin_variables:
  cluster_check_interval_ms: 200
  cluster_mysql_query_rules_diffs_before_sync: 3
mysql_query_rules:
  - {rule_id: 1, active: 1, match_digest: '^SELECT', apply: 1}
"""


def test_200_ms_times_3_is_a_600_ms_floor_and_apply_waits_6_8_s(tmp_path: Path) -> None:
    result = explain([_spec(tmp_path, FAST)])
    rules = next(p for p in result.propagation if p.module == "MYSQL QUERY RULES")
    assert (rules.interval.value, rules.interval.source) == (200, "spec")
    assert (rules.diffs.value, rules.diffs.source) == (3, "spec")
    assert rules.floor_ms == 600
    assert rules.earliest_ms == 400
    # the documented deadline: 3 x floor + 5 s, the same function apply uses
    assert rules.deadline_s == 3 * 0.6 + 5 == 6.8
    assert rules.deadline_s == propagation_deadline(
        {
            "admin-cluster_check_interval_ms": "200",
            "admin-cluster_mysql_query_rules_diffs_before_sync": "3",
        },
        ["MYSQL QUERY RULES"],
    )
    assert rules.managed
    text = render_text(result)
    assert "admin-cluster_check_interval_ms = 200 (spec)" in text
    assert "MYSQL QUERY RULES *  3 (spec)" in text
    assert "600 ms" in text and "400-600 ms + pull" in text and "6.8 s" in text
    assert "459-612 ms at 200 ms x 3" in text  # the field figure next to the formula


def test_without_cluster_variables_the_2_7_1_defaults_apply(tmp_path: Path) -> None:
    result = explain([_spec(tmp_path, "mysql_servers: []\n")])
    servers = next(p for p in result.propagation if p.module == "MYSQL SERVERS")
    assert (servers.interval.value, servers.interval.source) == (1000, "default")
    assert (servers.diffs.value, servers.diffs.source) == (3, "default")
    assert servers.floor_ms == 3000
    assert servers.deadline_s == 14.0
    assert servers.checksums == ("mysql_servers", "mysql_servers_v2")
    assert [m for m, managed in result.unsynced] == ["SCHEDULER", "MYSQL FIREWALL", "RESTAPI"]


def test_diffs_before_sync_0_never_propagates(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "admin_variables:\n  cluster_mysql_users_diffs_before_sync: 0\n")
    result = explain([spec])
    users = next(p for p in result.propagation if p.module == "MYSQL USERS")
    assert users.floor_ms is None
    assert users.deadline_s == 5.0  # nothing to wait for: apply skips the module's peers
    assert "no wait" in render_text(result)
    assert "disables sync: peers never pull it (PXC107)" in render_text(result)


AURORA = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db.cluster-x.eu-west-1.rds.amazonaws.com}
mysql_aws_aurora_hostgroups:
  - writer_hostgroup: writer
    reader_hostgroup: reader
    domain_name: .x.eu-west-1.rds.amazonaws.com
    check_interval_ms: 5000
    check_timeout_ms: 3000
    max_lag_ms: 60000
    lag_num_checks: 2
mysql_hostgroup_attributes:
  - {hostgroup_id: reader}
mysql_variables:
  threads: 8
"""


def test_aurora_detection_window_and_restart_variables(tmp_path: Path) -> None:
    result = explain([_spec(tmp_path, AURORA)])
    (window,) = result.aurora
    assert (window.writer_hostgroup, window.reader_hostgroup) == (10, 20)
    assert window.names == ("writer", "reader")
    assert window.detect_ms == 8000  # check_interval_ms + check_timeout_ms
    assert window.shun_ms == 5000
    assert window.recover_ms == 10000  # lag_num_checks x check_interval_ms
    assert [r.name for r in result.restart] == ["mysql-threads"]
    text = render_text(result)
    assert "within 8000 ms = check_interval_ms 5000 + check_timeout_ms 3000" in text
    assert "writer SHUNNED at +8.7 s" in text
    assert "mysql-threads = 8" in text


def test_cli_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", str(_spec(tmp_path, FAST)), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["format_version"] == 1
    rules = next(p for p in data["propagation"] if p["module"] == "MYSQL QUERY RULES")
    assert rules["floor_ms"] == 600
    assert rules["expected_ms"] == [400, 600]
    assert rules["apply_deadline_s"] == 6.8
    assert data["interval"] == {
        "name": "admin-cluster_check_interval_ms",
        "value": 200,
        "source": "spec",
    }


def test_cli_refuses_an_invalid_spec(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", str(_spec(tmp_path, "mysql_servers: [{}]\n"))])
    assert result.exit_code == 1


def test_a_module_whose_checksum_is_off_never_propagates(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "admin_variables:\n  checksum_mysql_servers: false\n")
    servers = next(p for p in explain([spec]).propagation if p.module == "MYSQL SERVERS")
    assert servers.floor_ms is None


def test_min_lag_above_max_lag_is_called_out_as_permanently_shunned(tmp_path: Path) -> None:
    body = AURORA.replace("lag_num_checks: 2", "lag_num_checks: 2\n    min_lag_ms: 70000")
    body += "rules: {PXC127: warning}\n"  # validate's error (PXC127), let through to explain
    text = render_text(explain([_spec(tmp_path, body)]))
    assert "min_lag_ms 70000 > max_lag_ms 60000" in text
    assert "estimated lag, max(lag + add_lag_ms 30, min_lag_ms 70000)" in text


def test_a_3_0_spec_lists_its_pgsql_modules_as_unsynced_and_managed(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        'cluster: {proxysql_version: "3.0", primary: p1, nodes: [{name: p1, host: h}]}\n'
        "admin_variables: {pgsql_ifaces: 127.0.0.1:6132}\n"
        "pgsql_variables: {max_connections: 100}\n",
    )
    result = explain([spec])
    unsynced = dict(result.unsynced)
    assert unsynced["PGSQL VARIABLES"] is True  # managed by the spec
    assert unsynced["PGSQL SERVERS"] is False
    assert "PGSQL LDAP MAPPING" not in unsynced  # no LOAD: nothing to sync
    assert all(m != "MYSQL VARIABLES" for m, _ in result.unsynced)
    managed = {p.module for p in result.propagation if p.managed}
    assert "MYSQL VARIABLES" not in managed
