"""`pxc plan` reads each node's ProxySQL version and refuses what the node does not have.

Runs on the sandbox (2.7.1) and on a real 2.7.1 or 3.0.1 cluster (PXC_TEST_PROXYSQL): the
expected answer follows the version the primary reports.
"""

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.conftest import rows, run_pxc

PG_SPEC = """\
hostgroups: {pg_writer: 71}
admin_variables: {pgsql_ifaces: '127.0.0.1:6132'}
pgsql_servers:
  - {hostgroup_id: pg_writer, hostname: pg-primary.example}
"""


def _version(cluster: object) -> str:
    answer = rows(cluster.primary, "SELECT @@version")  # type: ignore[attr-defined]
    return str(answer[0][0])


def _declare_3_0(path: Path) -> Path:
    text = path.read_text().replace("cluster:\n", 'cluster:\n  proxysql_version: "3.0"\n', 1)
    path.write_text(text)
    return path


def test_pgsql_tables_are_refused_before_any_write(
    proxysql_cluster: object, write_spec: Callable[[str], Path]
) -> None:
    version = _version(proxysql_cluster)
    spec = _declare_3_0(write_spec(PG_SPEC))
    code, output = run_pxc("plan", str(spec))
    assert code != 0, output
    assert "nothing was written" in output
    if version.startswith("2."):
        assert "PXC145" in output
        assert f"node node1 runs ProxySQL {version}, which has no pgsql_servers" in output
        assert "admin-pgsql_ifaces: LOAD would delete it" in output
    else:
        assert "do not manage pgsql_servers yet" in output
        assert rows(proxysql_cluster.primary, "SELECT COUNT(*) FROM pgsql_servers") == [("0",)]  # type: ignore[attr-defined]


def test_a_3_0_variable_is_refused_on_a_2_7_node_and_planned_on_3_0(
    proxysql_cluster: object, write_spec: Callable[[str], Path]
) -> None:
    version = _version(proxysql_cluster)
    ifaces = rows(
        proxysql_cluster.primary,  # type: ignore[attr-defined]
        "SELECT variable_value FROM global_variables WHERE variable_name='admin-pgsql_ifaces'",
    )
    current = str(ifaces[0][0]) if ifaces else "127.0.0.1:6132"
    spec = _declare_3_0(write_spec(f"admin_variables: {{pgsql_ifaces: '{current}'}}\n"))
    code, output = run_pxc("plan", str(spec))
    if version.startswith("2."):
        assert code != 0, output
        assert "which has no variable admin-pgsql_ifaces" in output
    else:
        assert code == 0, output
        assert "PXC145" not in output


@pytest.mark.parametrize("declared", ["2.7", "3.0"])
def test_a_mysql_only_spec_plans_on_every_version(
    proxysql_cluster: object, write_spec: Callable[[str], Path], declared: str
) -> None:
    spec = write_spec("mysql_variables: {max_connections: 2048}\n")
    if declared == "3.0":
        _declare_3_0(spec)
    code, output = run_pxc("plan", str(spec))
    assert code == 0, output
    assert "PXC145" not in output
