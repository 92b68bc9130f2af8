"""The plan ID: what it covers and what it leaves out (no cluster needed; the refusals
against a live cluster are in tests/integration/test_plan_id.py)."""

import json
from dataclasses import replace
from pathlib import Path

from proxysql_iac.plan.diff import RowChange
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
    plan.changes.rows = [c._replace(origin=("elsewhere", 9)) for c in plan.changes.rows]
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


def test_every_key_and_value_of_every_row_change_is_in_the_id(tmp_path: Path) -> None:
    """Rows added, removed and changed: a key, a value written or a value read (old) that
    differs gives another ID, wherever it is; a plan file read back gives the same ID."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    plan = plan_for_an_empty_node(spec)
    removed = {"hostgroup_id": 20, "hostname": "db2.example.com", "port": 3306, "weight": 1}
    plan.changes.rows += [
        RowChange("mysql_servers", "remove", (20, "db2.example.com", 3306), {}, removed),
        RowChange("mysql_servers", "remove", (20, "db3.example.com", 3306), {}, removed),
        RowChange("mysql_users", "change", ("app", 1), {"max_connections": 5}, {"comment": "x"}),
    ]
    data = json.loads(json.dumps(plan_to_dict(plan, for_file=True)))
    assert plan_id(plan_from_dict(data)) == plan_id(plan) == data["plan_id"]
    seen = {plan_id(plan)}
    for index, change in enumerate(plan.changes.rows):
        variants = [change._replace(key=(*change.key[:-1], "other"))]
        for side in ("new", "old"):
            values = getattr(change, side)
            for column, value in values.items():
                if column == "password":
                    continue  # a secret enters the ID as a placeholder (above)
                other = "other" if value != "other" else "else"
                variants.append(change._replace(**{side: {**values, column: other}}))
        for variant in variants:
            rows = list(plan.changes.rows)
            rows[index] = variant
            changed = plan_id(replace(plan, changes=replace(plan.changes, rows=rows)))
            assert changed not in seen, (index, variant)
            seen.add(changed)
