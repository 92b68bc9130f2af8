"""Rows written with the same keys compile through one plan per key order
(spec/compile.py `_RowPlan`): whatever a spec holds, the desired state and the findings are
the ones each row compiled on its own gives."""

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from proxysql_iac.spec import compile as compile_module
from proxysql_iac.spec.compile import DesiredRow, compile_spec
from proxysql_iac.spec.load import load_spec_text
from proxysql_iac.spec.tables import TABLES
from tests.test_spec_plain_rows import NAMES, SETTINGS, VALUES

# values rows hold in big specs, and the ones LOAD rewrites or that name a hostgroup
LIKELY = st.one_of(
    VALUES,
    st.sampled_from(["writer", "reader", "nowhere", "online", "OFFLINE_SOFT", "caseless"]),
    st.sampled_from([None, 0, 1, 3306, True, "x"]),
    st.fixed_dictionaries({"env": st.sampled_from(["APP_PW", "OTHER"])}),
    st.fixed_dictionaries({"file": st.sampled_from(["pw.txt", "/run/pw"])}),
)


@st.composite
def alike_rows(draw: Any, table_name: str) -> list[dict[str, Any]]:
    """Rows of one table, most written with the same keys in the same order."""
    table = next(t for t in TABLES if t.name == table_name)
    columns = [c.name for c in table.columns]
    required = [c.name for c in table.columns if c.required]
    shapes = [
        [*required, *draw(st.lists(st.sampled_from([*columns, "unknown"]), max_size=5))]
        for _ in range(draw(st.integers(1, 2)))
    ]
    count = draw(st.integers(0, 6))
    return [{k: draw(LIKELY) for k in draw(st.sampled_from(shapes))} for _ in range(count)]


def _compiled(text: str) -> tuple[Any, Any, Any]:
    """Every row with each value's type (True and 1 are equal, and differ in SQL)."""
    loaded = load_spec_text(text, "spec.yaml")
    desired, findings = compile_spec(loaded)

    def typed(rows: dict[str, list[DesiredRow]]) -> dict[str, list[Any]]:
        return {
            name: [
                (
                    [(k, type(v), v) for k, v in row.values.items()],
                    row.origin,
                    sorted(row.written),
                    sorted(row.failed),
                )
                for row in table_rows
            ]
            for name, table_rows in rows.items()
        }

    return typed(desired.tables), typed(desired.incomplete), findings


@SETTINGS
@given(data=st.data())
def test_rows_compile_the_same_with_a_plan_per_key_order_as_one_by_one(data: Any) -> None:
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    spec: dict[str, Any] = {"version": 1, "hostgroups": {"writer": 10, "reader": 20}}
    for name in names:
        spec[name] = data.draw(alike_rows(name))
    text = yaml.safe_dump(spec, sort_keys=False)
    planned = _compiled(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compile_module._RowPlan, "compile", lambda self, *args: None)
        one_by_one = _compiled(text)
    assert planned == one_by_one


def test_the_rows_big_specs_are_made_of_take_the_plan() -> None:
    """Else the plan would never be used (the speed it buys is in docs/performance.md)."""
    text = yaml.safe_dump(
        {
            "version": 1,
            "hostgroups": {"writer": 10},
            "mysql_users": [
                {
                    "username": "app",
                    "password": {"env": "APP_PW"},
                    "default_hostgroup": "writer",
                    "default_schema": None,  # LOAD makes it ''
                }
            ],
            "mysql_servers": [{"hostgroup_id": 10, "hostname": "db1", "status": "online"}],
            "mysql_query_rules": [
                {"rule_id": 1, "active": 1, "match_digest": "^SELECT", "destination_hostgroup": 10}
            ],
        },
        sort_keys=False,
    )
    loaded = load_spec_text(text, "spec.yaml")
    plan = compile_module._RowPlan
    for table in ("mysql_users", "mysql_servers", "mysql_query_rules"):
        raw = loaded.data[table][0]
        row = plan(next(t for t in TABLES if t.name == table), tuple(raw)).compile(
            raw, (table, 0), {"writer": 10}, compile_module._References(loaded)
        )
        assert row is not None, table
    desired = compile_spec(loaded)[0]
    assert desired.rows("mysql_servers")[0].values["status"] == "ONLINE"
    assert desired.rows("mysql_users")[0].values["default_schema"] == ""
    assert desired.rows("mysql_users")[0].values["default_hostgroup"] == 10


def _rows_of_every_kind(table_name: str) -> list[dict[str, Any]]:
    """Rows whose every column holds a value of a kind it takes (so that they reach the
    plan, as few random rows do): integers, flags, None, texts LOAD rewrites, JSON,
    hostgroup names, secret references."""
    table = next(t for t in TABLES if t.name == table_name)
    samples: dict[str, list[Any]] = {
        "INT": [0, 7, True, False, None],
        "TEXT": ["x", "online", "caseless", "0xab", None],
        "JSON": [{"a": [1]}, '{"b": 2}', None],
    }
    rows = []
    for i in range(5):
        row: dict[str, Any] = {}
        for column in table.columns:
            options = samples[column.kind.name]
            if column.hostgroup:
                options = [*options, "writer"]
            if column.secret:
                options = [*options, {"env": "PW"}, {"file": "pw.txt"}]
            row[column.name] = options[i % len(options)]
        for key in table.key:
            row[key] = f"k{i}" if isinstance(row[key], str) or row[key] is None else i + 1
        rows.append(row)
    return rows


@pytest.mark.parametrize("table", NAMES)
def test_rows_of_every_kind_compile_the_same_planned_or_not(table: str) -> None:
    text = yaml.safe_dump(
        {"version": 1, "hostgroups": {"writer": 10}, table: _rows_of_every_kind(table)},
        sort_keys=False,
    )
    planned = _compiled(text)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(compile_module._RowPlan, "compile", lambda self, *args: None)
        assert planned == _compiled(text)
