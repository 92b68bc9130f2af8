"""The one place pxc renders SQL refuses what ProxySQL 2.7.1 mishandles."""

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxysql_iac.admin import sql


@pytest.mark.parametrize("text", ["", ";", ";;", " ; ", "\n;\n"])
def test_empty_or_semicolon_only_statements_are_never_built(text: str) -> None:
    with pytest.raises(sql.UnsafeStatement, match="empty"):
        sql.Statement(text, "x")


def test_set_statements_are_never_built() -> None:
    with pytest.raises(sql.UnsafeStatement, match="SET"):
        sql.Statement("SET mysql-max_connections=10", "x")


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 10**12])
def test_integers_outside_signed_32_bits_are_refused(value: int) -> None:
    with pytest.raises(sql.UnsafeStatement, match="32 bits"):
        sql.insert_rows("mysql_servers", ["hostgroup_id", "hostname"], [[value, "db"]])


def test_variables_are_updated_by_name_not_with_set() -> None:
    statement = sql.set_variable("mysql-monitor_username", "o'brien")
    assert statement.sql.startswith("REPLACE INTO global_variables")
    assert "'o''brien'" in statement.sql
    assert "o'brien" not in statement.summary


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_any_string_literal_reads_back_exactly_in_sqlite(text: str) -> None:
    db = sqlite3.connect(":memory:")
    assert db.execute("SELECT " + sql.literal(text)).fetchone()[0] == text


def test_multi_row_insert_is_one_statement_with_a_summary_free_of_values() -> None:
    statement = sql.insert_rows(
        "mysql_users", ["username", "password"], [["a", "s3cret"], ["b", "0ther"]]
    )
    assert statement.sql.count("INSERT") == 1
    assert statement.summary == "INSERT 2 rows INTO mysql_users"
    assert "s3cret" not in statement.summary


SENDABLE = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
VALUE = (
    st.none()
    | st.integers(-(2**31), 2**31 - 1)
    | st.text(SENDABLE)
    | st.sampled_from(["", "'", "a'b", "NULL", "7"])
)


@given(
    st.lists(st.tuples(VALUE, VALUE, VALUE), min_size=1, max_size=8)
    | st.lists(
        st.tuples(st.integers(-5, 5), st.text(SENDABLE, max_size=3), st.just("x")), min_size=1
    )
)
def test_a_multi_row_insert_writes_exactly_its_rows(rows: list[tuple[object, ...]]) -> None:
    """Columns of one kind (texts, 32-bit integers) are written a column at a time; every
    row reads back value for value and type for type, in SQLite as in ProxySQL."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (a, b, c)")  # no affinity: a value keeps its type
    db.execute(sql.insert_rows("t", ["a", "b", "c"], rows).sql)  # type: ignore[arg-type]
    assert db.execute("SELECT a, b, c FROM t ORDER BY rowid").fetchall() == rows
