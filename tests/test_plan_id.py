"""The plan ID: what it covers and what it leaves out (no cluster needed; the refusals
against a live cluster are in tests/integration/test_plan_id.py)."""

import json
from dataclasses import replace
from pathlib import Path

from proxysql_iac.plan.model import plan_from_dict, plan_id, plan_to_dict
from tests.plans import plan_for_an_empty_node

SPEC = """\
version: 1
cluster:
  primary: proxysql-1
  admin: {user: radmin, password: {env: PXC_ADMIN_PASSWORD}}
  nodes: [{name: proxysql-1, host: 10.0.0.1}]
mysql_servers:
  - {hostgroup_id: 10, hostname: db1.example.com, weight: 100}
mysql_users:
  - {username: app, password: {env: APP_DB_PASSWORD}, default_hostgroup: 10}
  - {username: legacy, password: clear-text-Secret-1, default_hostgroup: 10}
"""


def id_of(tmp_path: Path, text: str, fingerprints: dict[str, str] | None = None) -> str:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    return plan_id(plan_for_an_empty_node(spec, fingerprints))


def test_a_change_of_value_changes_the_id(tmp_path: Path) -> None:
    assert id_of(tmp_path, SPEC) != id_of(tmp_path, SPEC.replace("weight: 100", "weight: 99"))


def test_other_live_rows_change_the_id(tmp_path: Path) -> None:
    assert id_of(tmp_path, SPEC, {"mysql_servers": "a"}) != id_of(
        tmp_path, SPEC, {"mysql_servers": "b"}
    )


def test_where_a_change_came_from_in_the_spec_is_not_part_of_the_id(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    plan = plan_for_an_empty_node(spec)
    before = plan_id(plan)
    plan.changes.rows = [replace(c, origin=("elsewhere", 9)) for c in plan.changes.rows]
    assert plan_id(plan) == before


def test_a_clear_text_password_enters_the_id_as_a_placeholder(tmp_path: Path) -> None:
    other = SPEC.replace("clear-text-Secret-1", "clear-text-Secret-2")
    assert id_of(tmp_path, SPEC) == id_of(tmp_path, other)


def test_the_plan_file_keeps_the_id_and_none_of_the_secrets(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    plan = plan_for_an_empty_node(spec)
    text = json.dumps(plan_to_dict(plan, for_file=True))
    assert "clear-text-Secret-1" not in text
    data = json.loads(text)
    assert data["plan_id"] == plan_id(plan) == plan_id(plan_from_dict(data))
