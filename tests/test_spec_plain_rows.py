"""Rows the row model would accept as they are skip building it (spec/load.py): the check
that says so may only ever say it of rows the model accepts, and a spec's findings are the
same with the shortcut as without it."""

import os
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from proxysql_iac.spec import load
from proxysql_iac.spec.load import load_spec_text
from proxysql_iac.spec.models import _row_model_of, plain_row
from proxysql_iac.spec.tables import TABLES

# PXC_PROPERTY_EXAMPLES=5000 runs a longer hunt; the default keeps the suite fast.
SETTINGS = settings(
    max_examples=int(os.environ.get("PXC_PROPERTY_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NAMES = [t.name for t in TABLES]

VALUES = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**40),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["app", "writer", "0", "1", "", "^SELECT"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(["env", "file", "other", "1"]),
        st.one_of(st.text(max_size=4), st.integers(), st.none()),
        max_size=3,
    ),
)


@st.composite
def rows(draw: Any, table_name: str) -> dict[Any, Any]:
    table = next(t for t in TABLES if t.name == table_name)
    columns = [c.name for c in table.columns]
    keys = draw(st.lists(st.sampled_from([*columns, "unknown", "Username"]), max_size=6))
    required = [c.name for c in table.columns if c.required]
    if draw(st.booleans()):
        keys = [*required, *keys]
    return {k: draw(VALUES) for k in keys}


@pytest.mark.parametrize("table_name", NAMES)
@SETTINGS
@given(data=st.data())
def test_a_row_said_plain_is_one_the_model_accepts(table_name: str, data: Any) -> None:
    row = data.draw(rows(table_name))
    if plain_row(table_name)(row):
        _row_model_of(table_name).model_validate(row)


def test_the_rows_big_specs_are_made_of_are_plain() -> None:
    """Else the shortcut would never be taken (the speed it buys is in docs/performance.md)."""
    assert plain_row("mysql_users")(
        {"username": "app", "password": {"env": "APP_PW"}, "default_hostgroup": 1}
    )
    assert plain_row("mysql_users")({"username": "app", "password": "x", "active": True})
    assert plain_row("mysql_servers")({"hostgroup_id": "writer", "hostname": "db1"})
    assert plain_row("mysql_query_rules")(
        {"rule_id": 1, "active": 1, "match_digest": "^SELECT", "destination_hostgroup": 2}
    )
    with pytest.raises(ValidationError):  # and what is not plain is the model's to judge
        _row_model_of("mysql_users").model_validate({"username": "app", "active": 1.5})
    assert not plain_row("mysql_users")({"username": "app", "active": 1.5})


@SETTINGS
@given(data=st.data())
def test_findings_are_the_same_with_and_without_the_shortcut(data: Any) -> None:
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    spec: dict[str, Any] = {"version": 1}
    for name in names:
        spec[name] = data.draw(st.lists(rows(name), max_size=4))
    text = yaml.safe_dump(spec, sort_keys=False)
    with_shortcut = load_spec_text(text, "spec.yaml").findings
    with pytest.MonkeyPatch.context() as m:
        m.setattr(load, "_for_the_model", lambda merged: merged)
        without = load_spec_text(text, "spec.yaml").findings
    assert with_shortcut == without
