"""Reading a node's tables: the rows pxc works from are exactly what the node holds.

`read_rows` has the node write a table out as one text and reads the rows back from it;
these tests hold it to the plain SELECT of the same rows (the connector's own reading), for
values of every kind a table can hold, on the sandbox and on a real ProxySQL.
"""

import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proxysql_iac.admin.connection import AdminConnection
from proxysql_iac.admin.live import read_columns, read_rows, read_rows_as, spec_columns
from proxysql_iac.admin.sql import insert_rows, raw_query, select
from proxysql_iac.spec.tables import TABLE_BY_NAME
from tests.integration.conftest import connect

RULES = TABLE_BY_NAME["mysql_query_rules"]
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
    | st.sampled_from("',\n\r\\"),
    max_size=10,
) | st.sampled_from(["''", "NULL", "'NULL'", "-1", "010", "1,2", "a'\n'b"])


@pytest.fixture
def primary(proxysql_cluster: object) -> Iterator[AdminConnection]:
    """The primary with no query rules in memory (none are loaded: runtime is untouched)."""
    with connect(proxysql_cluster.nodes[0]) as conn:  # type: ignore[attr-defined]
        conn.execute(raw_query("DELETE FROM mysql_query_rules", "reset"))
        yield conn
        conn.execute(raw_query("DELETE FROM mysql_query_rules", "reset"))


def plain(conn: AdminConnection) -> list[tuple[int | str | None, ...]]:
    """The rows as the connector reads a plain SELECT of them."""
    statement = select(RULES.name, RULES.column_names, RULES.key, integers=RULES.integer_columns)
    return conn.query(statement)


def write(conn: AdminConnection, rows: list[list[int | str | None]]) -> None:
    conn.execute(raw_query("DELETE FROM mysql_query_rules", "reset"))
    columns = ("rule_id", "match_digest", "match_pattern", "comment")
    columns += ("destination_hostgroup", "schemaname")
    if rows:
        conn.execute(insert_rows(RULES.name, columns, rows))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.tuples(
            st.none() | TEXT,
            st.none() | TEXT,
            st.none() | TEXT,
            st.integers(-(2**31), 2**31 - 1) | st.sampled_from(["abc", "010", "-0", "", "7"]),
            st.none() | st.integers(-5, 5) | TEXT,
        ),
        max_size=6,
    )
)
def test_rows_read_are_the_rows_a_plain_select_reads(
    primary: AdminConnection, values: list[tuple[int | str | None, ...]]
) -> None:
    """Text with quotes, commas, line breaks and `NULL` in it, text that looks like an
    integer, integers in text columns and text in integer columns: value for value and
    type for type, in key order."""
    write(primary, [[1000 - i, *row] for i, row in enumerate(values)])
    expected = plain(primary)
    assert len(expected) == len(values)
    assert read_rows(primary, RULES) == expected
    # and the same rows, in any order, are known for the node's without a row being parsed
    # (plan and apply's memory proof take it for memory equal to the spec)
    texts = read_columns(primary, RULES)[1]
    written = spec_columns(RULES, expected[::-1])
    assert read_rows_as(primary, RULES, lambda _: written) == (expected, texts, True)


def _other(value: int | str | None) -> int | str | None:
    """Another value of a column: by content, or only by type (7 and '7', '' and NULL)."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return value + "'" if value.isdigit() or not value else None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(
        st.tuples(st.none() | TEXT, st.integers(-5, 5) | TEXT, st.none() | TEXT),
        min_size=1,
        max_size=5,
    ),
    pick=st.tuples(
        st.integers(0, 4), st.sampled_from(["match_digest", "destination_hostgroup", "comment"])
    ),
)
def test_rows_that_differ_by_one_value_or_its_type_are_not_taken_for_the_nodes(
    primary: AdminConnection,
    values: list[tuple[int | str | None, ...]],
    pick: tuple[int, str],
) -> None:
    """One value changed, or only its type, in rows otherwise the node's: they are not
    taken for the node's, and the node's own rows are read instead."""
    rows = [
        [1000 - i, value, None, comment, hostgroup, None]
        for i, (value, hostgroup, comment) in enumerate(values)
    ]
    write(primary, rows)
    expected = plain(primary)
    index, column = pick[0] % len(expected), RULES.position[pick[1]]
    changed = [list(row) for row in expected]
    changed[index][column] = _other(changed[index][column])
    written = spec_columns(RULES, [tuple(r) for r in changed])
    found, _, same = read_rows_as(primary, RULES, lambda _: written)
    assert (found, same) == (expected, False)


def test_a_value_that_is_neither_text_nor_integer_reads_as_the_plain_select_gives_it(
    primary: AdminConnection,
) -> None:
    """A REAL (SQLite keeps 2.5 as REAL even in an INT column) reads as the node's text."""
    primary.execute(
        raw_query(
            "INSERT INTO mysql_query_rules (rule_id,destination_hostgroup,comment) "
            "VALUES (1,2.5,'a'),(2,3,'b')",
            "write",
        )
    )
    expected = plain(primary)
    assert [row[0] for row in expected] == [1, 2]
    assert expected[0][RULES.position["destination_hostgroup"]] == "2.5"
    assert read_rows(primary, RULES) == expected


def test_statements_leave_at_once_whatever_their_size(proxysql_cluster: object) -> None:
    """A connection sends each statement as soon as it is written (TCP_NODELAY): without it,
    the tail of a large INSERT waits for the node's delayed ACK, 40 ms per statement."""

    with connect(proxysql_cluster.nodes[0]) as conn:  # type: ignore[attr-defined]
        sock = conn._conn.tls_socket.sock  # the connector's socket
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert conn.query(raw_query("SELECT 1", "one")) == [("1",)]
