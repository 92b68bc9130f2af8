"""One validate run reports every finding the files have; a value in error hides nothing else,
and a secret written with the wrong type is never quoted back."""

from pathlib import Path

from proxysql_iac.validate import validate_files


def _findings(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    return [(f.code, f.path) for f in validate_files([path]).findings]


def test_a_type_error_does_not_hide_undefined_names_or_checks_in_the_same_row(
    tmp_path: Path,
) -> None:
    found = _findings(
        tmp_path,
        "version: 1\n"
        "mysql_servers:\n"
        "  - {hostgroup_id: writer, hostname: db1, weight: 'x', port: 99999, gtid_port: 70000}\n",
    )
    assert ("PXC117", "mysql_servers[0].weight") in found
    assert ("PXC140", "mysql_servers[0].hostgroup_id") in found
    assert ("PXC002", "mysql_servers[0].port") in found
    assert ("PXC002", "mysql_servers[0].gtid_port") in found


def test_every_undefined_hostgroup_name_of_a_row_is_reported(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "version: 1\n"
        "mysql_query_rules:\n"
        "  - {rule_id: 1, active: 1, destination_hostgroup: nowhere,"
        " mirror_hostgroup: elsewhere}\n",
    )
    assert ("PXC140", "mysql_query_rules[0].destination_hostgroup") in found
    assert ("PXC140", "mysql_query_rules[0].mirror_hostgroup") in found


def test_an_error_in_one_server_row_does_not_empty_its_hostgroup(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "version: 1\n"
        "mysql_servers:\n"
        "  - {hostgroup_id: 10, hostname: db1, weight: 'x'}\n"
        "mysql_users:\n"
        "  - {username: app, password: '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19',"
        " default_hostgroup: 10}\n",
    )
    assert found == [("PXC117", "mysql_servers[0].weight")]


def test_a_string_port_in_cluster_does_not_hide_the_cluster_rules(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "version: 1\n"
        "cluster:\n"
        "  primary: p3\n"
        "  admin: {user: admin, password: s3cret-pw}\n"
        "  nodes:\n"
        "    - {name: p1, host: 10.0.0.1, port: '6032'}\n"
        "    - {name: p2, host: 10.0.0.2}\n",
    )
    assert ("PXC117", "cluster.nodes[0].port") in found
    assert ("PXC101", "cluster.primary") in found
    assert ("PXC133", "cluster.admin.user") in found
    assert ("PXC130", "cluster.admin.password") in found


def test_an_error_elsewhere_keeps_the_rules_overrides(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        "version: 1\n"
        "rules: {PXC112: off}\n"
        "mysql_servers:\n"
        "  - {hostgroup_id: 10, hostname: db1, weight: 'x'}\n"
        "mysql_query_rules:\n"
        "  - {rule_id: 1, destination_hostgroup: 10}\n",
    )
    assert found == [("PXC117", "mysql_servers[0].weight")]


def test_a_secret_of_the_wrong_type_is_not_quoted(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(
        "version: 1\n"
        "cluster:\n"
        "  primary: p1\n"
        "  admin: {user: radmin, password: 73910248}\n"
        "  nodes: [{name: p1, host: 127.0.0.1}]\n"
        "mysql_users:\n"
        "  - {username: app, password: 55512345}\n"
        "mysql_variables:\n"
        "  monitor_password: 88812345\n"
    )
    findings = validate_files([path]).findings
    shown = "\n".join(f"{f.message} {f.hint}" for f in findings)
    assert {f.path for f in findings if f.code == "PXC117"} == {
        "cluster.admin.password",
        "mysql_users[0].password",
    }, shown
    assert [f.path for f in findings if f.code == "PXC130"] == [
        "mysql_variables.monitor_password"
    ], shown
    for value in ("73910248", "55512345", "88812345"):
        assert value not in shown
