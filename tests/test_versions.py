"""What each ProxySQL version has, as validate and plan see it: tables and variables."""

from pathlib import Path

import pytest

from proxysql_iac.spec.tables import MYSQL_TABLES, PGSQL_TABLES, TABLES
from proxysql_iac.spec.variables import catalog_for, is_secret_variable
from proxysql_iac.validate import validate_files

CONFIG_TABLES_3_0_1 = {
    # the config tables a fresh 3.0.1 shows in `main` (each also has a runtime_ twin)
    *(t.name for t in TABLES),
    "pgsql_servers",
    "pgsql_users",
    "pgsql_query_rules",
    "pgsql_query_rules_fast_routing",
    "pgsql_replication_hostgroups",
    "pgsql_hostgroup_attributes",
    "pgsql_ldap_mapping",
    "pgsql_firewall_whitelist_users",
    "pgsql_firewall_whitelist_rules",
    "pgsql_firewall_whitelist_sqli_fingerprints",
}


def test_every_3_0_config_table_is_described_once_and_only_3_0_has_pgsql() -> None:
    names = [t.name for t in TABLES]
    assert len(names) == len(set(names))
    assert set(names) == CONFIG_TABLES_3_0_1
    assert all(t.versions == ("3.0",) for t in PGSQL_TABLES)
    assert all(t.versions == ("2.7", "3.0") for t in MYSQL_TABLES)


def test_3_0_1_catalog_has_pgsql_variables_and_the_pgsql_admin_listener() -> None:
    v27, v30 = catalog_for("2.7"), catalog_for("3.0")
    assert len(v27.names) == 212 and len(v30.names) == 373
    assert sum(n.startswith("pgsql-") for n in v30.names) == 160
    assert not any(n.startswith("pgsql-") for n in v27.names)
    assert set(v27.names) <= set(v30.names)
    ifaces = v30.get("admin-pgsql_ifaces")
    assert ifaces is not None and ifaces.default == "0.0.0.0:6132"
    assert "admin-pgsql_ifaces" not in v27
    threads = v30.get("pgsql-threads")
    assert threads is not None and threads.restart_only
    assert is_secret_variable("pgsql-monitor_password")


@pytest.mark.parametrize(
    ("version", "errors"),
    [("2.7", {"PXC142", "PXC113"}), ("3.0", set())],
)
def test_one_spec_is_checked_against_the_version_it_declares(
    tmp_path: Path, version: str, errors: set[str]
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "version: 1\n"
        "cluster:\n"
        f'  proxysql_version: "{version}"\n'
        "  primary: p1\n"
        "  nodes: [{name: p1, host: 10.0.0.1}]\n"
        "hostgroups: {pg_writer: 1, pg_reader: 2}\n"
        "admin_variables: {pgsql_ifaces: 127.0.0.1:6132}\n"
        "pgsql_servers:\n"
        "  - {hostgroup_id: pg_writer, hostname: pg1}\n"
        "  - {hostgroup_id: pg_reader, hostname: pg2}\n"
        "pgsql_replication_hostgroups:\n"
        "  - {writer_hostgroup: pg_writer, reader_hostgroup: pg_reader}\n"
        "pgsql_users:\n"
        "  - {username: app, password: {env: APP_PG_PASSWORD}, default_hostgroup: pg_writer}\n"
        "pgsql_query_rules:\n"
        "  - {rule_id: 1, active: 1, match_digest: '^SELECT', destination_hostgroup: pg_reader,"
        " apply: 1}\n"
        "pgsql_variables: {max_connections: 2000, monitor_username: monitor}\n"
    )
    result = validate_files([spec])
    found = {f.code for f in result.findings if f.severity.value == "error"}
    assert found == errors, [f.message for f in result.findings]
    assert result.ok is (not errors)
