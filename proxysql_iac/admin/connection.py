"""One admin-interface connection, over mysql-connector-python in pure-Python mode.

Pure mode is a deliberate, single choice: the connector's C extension needs a newer OpenSSL
than Debian 12 ships, and the pure implementation behaves the same on every machine.
Every statement goes out as exactly one COM_QUERY, untouched; errors never echo SQL text
(it can hold secrets), only the statement's summary, and the node's own words after the
endpoint's `redact`.
"""

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import mysql.connector
from mysql.connector import errors as mysql_errors

from proxysql_iac.admin.sql import Statement
from proxysql_iac.errors import AdminConnectionError, AdminQueryError

USE_PURE = True  # the one place this is decided (see the module docstring)

Row = tuple[int | str | None, ...]  # a node's row, integer columns as int (Statement.integers)
TextRow = tuple[str | None, ...]  # the answer to a statement without integer columns


@dataclass(frozen=True)
class Endpoint:
    name: str
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    # Applied to the text of a node's answer to a statement before it goes into an error:
    # the node may quote the statement, and with it a secret value pxc sent.
    redact: Callable[[str], str] | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="surrogateescape")
    return str(value)


def _integer(value: Any) -> int | str | None:
    """An integer column's value as int. SQLite stores what it cannot read as an integer as
    text, and that text is kept (`abc`, `010`), so that it shows as what the node holds."""
    text = _text(value)
    if text is None:
        return None
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and (digits[0] != "0" or text == "0"):
        return int(text)
    return text


class AdminConnection:
    def __init__(self, endpoint: Endpoint, *, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.sent: list[str] = []  # summaries of the statements sent (never their values)
        self._cursor: Any = None
        try:
            self._conn: Any = mysql.connector.connect(
                host=endpoint.host,
                port=endpoint.port,
                user=endpoint.user,
                password=endpoint.password,
                use_pure=USE_PURE,
                autocommit=True,
                connection_timeout=int(max(1, timeout)),
                ssl_disabled=True,
                get_warnings=False,
                raw=False,
            )
        except mysql_errors.Error as exc:
            # Not redacted: the handshake carries a scramble, never the password, so the
            # node cannot quote it (and the user name in this text is not a secret).
            raise AdminConnectionError(
                f"cannot connect to {endpoint.name} ({endpoint.address}) as "
                f"{endpoint.user}: {_reason(exc)}",
                "check the node's host/port and the admin credentials in `cluster:`",
            ) from None

    @property
    def statements_sent(self) -> int:
        return len(self.sent)

    def close(self) -> None:
        with contextlib.suppress(mysql_errors.Error):
            self._conn.close()

    def __enter__(self) -> "AdminConnection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, statement: Statement) -> list[Row]:
        rows, _ = self._run(statement, want_rows=True)
        return rows

    def query_text(self, statement: Statement) -> list[TextRow]:
        """The answer to a statement that declares no integer columns: every value text."""
        if statement.integers:
            raise ValueError(f"{statement.summary} has integer columns: use query()")
        return cast(list[TextRow], self.query(statement))

    def execute(self, statement: Statement) -> int:
        _, affected = self._run(statement, want_rows=False)
        return affected

    def _run(self, statement: Statement, *, want_rows: bool) -> tuple[list[Row], int]:
        self.sent.append(statement.summary)
        try:
            # One cursor per connection: the connector pings the server (a round trip of
            # its own) each time a cursor is made.
            if self._cursor is None:
                self._cursor = self._conn.cursor(raw=False)
            cursor = self._cursor
            cursor.execute(statement.sql)
            rows: list[Row] = []
            if cursor.with_rows:
                rows = _rows(cursor.fetchall(), statement.integers)
            affected = cursor.rowcount if cursor.rowcount is not None else 0
        except mysql_errors.Error as exc:
            if isinstance(exc, (mysql_errors.OperationalError, mysql_errors.InterfaceError)) and (
                getattr(exc, "errno", None) in (2013, 2055, 2006, None) or not self._alive()
            ):
                raise AdminConnectionError(
                    f"lost the connection to {self.endpoint.name} ({self.endpoint.address}) "
                    f"during: {statement.summary}"
                ) from None
            reason = _reason(exc)
            if self.endpoint.redact is not None:
                reason = self.endpoint.redact(reason)
            raise AdminQueryError(
                f"{self.endpoint.name} refused {statement.summary}: {reason}",
                errno=getattr(exc, "errno", 0) or 0,
                sql_summary=statement.summary,
            ) from None
        return (rows if want_rows else []), max(affected, 0)

    def _alive(self) -> bool:
        try:
            return bool(self._conn.is_connected())
        except mysql_errors.Error:
            return False

    def scalar(self, statement: Statement) -> str | None:
        rows = self.query_text(statement)
        return rows[0][0] if rows and rows[0] else None


def _rows(fetched: Sequence[Sequence[Any]], integers: tuple[int, ...]) -> list[Row]:
    if not integers:
        return [tuple(_text(v) for v in row) for row in fetched]
    if not fetched:
        return []
    read = [_integer if i in integers else _text for i in range(len(fetched[0]))]
    return [tuple(f(v) for f, v in zip(read, row, strict=True)) for row in fetched]


def _reason(exc: mysql_errors.Error) -> str:
    message = getattr(exc, "msg", None) or str(exc)
    return str(message).strip()


def connect_all(endpoints: Sequence[Endpoint]) -> list[AdminConnection]:
    opened: list[AdminConnection] = []
    try:
        for endpoint in endpoints:
            opened.append(AdminConnection(endpoint))
    except AdminConnectionError:
        for conn in opened:
            conn.close()
        raise
    return opened
