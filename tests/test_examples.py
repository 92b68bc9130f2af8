"""The specs in examples/ are what people copy: each one validates clean.

"Clean" means no errors and no warnings (info findings, which explain a deliberate ProxySQL
behaviour, are allowed). An overlay pair is validated the way it is used: merged in order.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from proxysql_iac.cli import app
from proxysql_iac.findings import Severity
from proxysql_iac.spec.models import SecretRef
from proxysql_iac.spec.tables import TABLES
from proxysql_iac.validate import validate_files

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OVERLAY = (EXAMPLES / "overlay" / "base.yaml", EXAMPLES / "overlay" / "production.yaml")

# Every spec users can run, as the list of files merged in order. Single files are found by
# globbing, so a new example is tested without touching this file.
SPECS: dict[str, tuple[Path, ...]] = {
    **{p.name: (p,) for p in sorted(EXAMPLES.glob("*.yaml"))},
    "overlay/base.yaml": (OVERLAY[0],),
    "overlay/base.yaml + overlay/production.yaml": OVERLAY,
}


def test_the_documented_topologies_are_all_there() -> None:
    assert {
        "aurora-two-proxysql.yaml",
        "rds-multi-az.yaml",
        "async-replication.yaml",
        "rw-split-mirroring.yaml",
        "overlay/base.yaml + overlay/production.yaml",
        "pgsql-primary-replica.yaml",
        "mysql-and-postgresql.yaml",
    } <= set(SPECS)


@pytest.mark.parametrize("name", list(SPECS))
def test_example_validates_without_errors_or_warnings(name: str) -> None:
    result = validate_files(SPECS[name])
    loud = [f for f in result.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    assert loud == [], "\n".join(f"{f.location} {f.code} {f.path}: {f.message}" for f in loud)
    assert result.ok


@pytest.mark.parametrize("name", list(SPECS))
def test_example_keeps_every_password_out_of_the_file(name: str) -> None:
    desired = validate_files(SPECS[name]).desired
    passwords = [
        row.values[column.name]
        for table in TABLES
        for column in table.columns
        if column.secret
        for row in desired.rows(table.name)
    ]
    variables = [v.value for n, v in desired.variables.items() if n.endswith("password")]
    cluster = desired.cluster
    admins = [cluster.admin.password] if cluster is not None and cluster.admin else []
    for value in [*passwords, *variables, *admins]:
        assert isinstance(value, SecretRef) and value.env, value


def test_aurora_example_gives_discovered_instances_tls_through_servers_defaults() -> None:
    desired = validate_files(SPECS["aurora-two-proxysql.yaml"]).desired
    aurora = desired.rows("mysql_aws_aurora_hostgroups")
    assert len(aurora) == 1
    writer = aurora[0].values["writer_hostgroup"]
    reader = aurora[0].values["reader_hostgroup"]
    assert 80 <= int(str(aurora[0].values["check_timeout_ms"])) <= 3000
    assert str(aurora[0].values["domain_name"]).startswith(".")

    defaults = {
        row.values["hostgroup_id"]: row.values["servers_defaults"]
        for row in desired.rows("mysql_hostgroup_attributes")
    }
    expected = '{"use_ssl":1,"weight":100,"max_connections":1000}'
    assert defaults == {writer: expected, reader: expected}
    assert json.loads(expected)["use_ssl"] == 1

    seed = desired.rows("mysql_servers")
    assert [(r.values["hostgroup_id"], r.values["use_ssl"]) for r in seed] == [(writer, 1)]
    assert desired.variables["mysql-ssl_p2s_ca"].text
    assert desired.cluster is not None and len(desired.cluster.nodes) == 2
    assert len(desired.rows("proxysql_servers")) == 2


def test_overlay_production_replaces_tables_and_overrides_variables() -> None:
    desired = validate_files(OVERLAY).desired
    hostnames = [r.values["hostname"] for r in desired.rows("mysql_servers")]
    assert "127.0.0.1" not in hostnames  # base's development server is gone
    assert len(hostnames) == 4
    assert desired.variables["mysql-max_connections"].value == 4096  # overridden
    assert desired.variables["mysql-monitor_username"].value == "proxysql_monitor"  # kept
    assert desired.hostgroups == {"writer": 10, "reader": 20, "reporting": 30}  # merged
    assert [r.values["rule_id"] for r in desired.rows("mysql_query_rules")] == [10, 20]


def test_pxc_validate_accepts_the_overlay_pair_on_the_command_line() -> None:
    result = CliRunner().invoke(app, ["validate", *map(str, OVERLAY)])
    assert result.exit_code == 0, result.output
