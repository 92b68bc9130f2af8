"""Plan IDs over TCP against the test cluster: what was reviewed is what apply runs."""

import json
import re
from pathlib import Path

import pytest

from proxysql_iac.admin.sql import raw_query
from tests.integration.conftest import connect, rows, run_pxc

SPEC = """
hostgroups: {writer: 10, reader: 20}
mysql_servers:
  - {hostgroup_id: writer, hostname: db1.example.com}
  - {hostgroup_id: reader, hostname: db2.example.com, weight: 100}
mysql_users:
  - {username: app, password: {env: PXC_TEST_APP_PW}, default_hostgroup: writer}
"""

REFUSED = "the plan changed since it was reviewed: re-plan"


@pytest.fixture(autouse=True)
def _app_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PXC_TEST_APP_PW", "s3cr3t-Pa55w0rd")


def reviewed_id(spec: Path) -> str:
    code, out = run_pxc("plan", str(spec))
    assert code == 0, out
    found = re.search(r"^Plan ID: ([0-9a-f]{16})$", out, re.MULTILINE)
    assert found, out
    return found.group(1)


def servers(
    node: tuple[str, int, str, str], table: str = "mysql_servers"
) -> list[tuple[str | None, ...]]:
    return rows(node, f"SELECT hostgroup_id,hostname FROM {table} ORDER BY 1,2")


def test_plan_prints_an_id_that_json_repeats_and_a_second_plan_keeps(write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    shown = reviewed_id(spec)
    code, out = run_pxc("plan", str(spec), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["plan_id"] == shown
    assert reviewed_id(spec) == shown
    code, out = run_pxc("plan", str(spec), "--format", "markdown")
    assert f"Plan ID: `{shown}`" in out


def test_apply_with_the_reviewed_id_applies(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--plan-id", reviewed_id(spec))
    assert code == 0, out
    assert servers(proxysql_cluster.primary, "runtime_mysql_servers") == [
        ("10", "db1.example.com"),
        ("20", "db2.example.com"),
    ]


def test_apply_refuses_when_the_cluster_changed_since_the_review(
    write_spec, proxysql_cluster
) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    reviewed = reviewed_id(spec)
    primary = proxysql_cluster.primary
    with connect(primary) as conn:  # someone edits the primary after the review
        conn.execute(
            raw_query("INSERT INTO mysql_servers (hostgroup_id,hostname) VALUES (20,'x')", "edit")
        )
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--plan-id", reviewed)
    assert code == 1
    assert REFUSED in out
    assert f"reviewed {reviewed}, now {reviewed_id(spec)}" in out
    assert servers(primary) == [("20", "x")]  # nothing written
    assert servers(primary, "runtime_mysql_servers") == []


def test_apply_refuses_when_the_spec_changed_since_the_review(write_spec, proxysql_cluster) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    reviewed = reviewed_id(spec)
    spec.write_text(spec.read_text().replace("weight: 100", "weight: 5"))
    code, out = run_pxc("apply", str(spec), "--auto-approve", "--plan-id", reviewed)
    assert code == 1 and REFUSED in out
    assert servers(proxysql_cluster.primary) == []


def test_the_id_holds_no_secret_material(write_spec, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SPEC)
    first = reviewed_id(spec)
    monkeypatch.setenv("PXC_TEST_APP_PW", "an-entirely-different-one")
    assert reviewed_id(spec) == first
