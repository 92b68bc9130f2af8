"""One admin-interface connection, over mysql-connector-python in pure-Python mode.

Pure mode (the connector's `MySQLConnection` class, made here directly) is a deliberate,
single choice: the connector's C extension needs a newer OpenSSL than Debian 12 ships, and
the pure implementation behaves the same on every machine.
Every statement goes out as exactly one COM_QUERY, untouched; errors never echo SQL text
(it can hold secrets), only the statement's summary, and the node's own words after the
endpoint's `redact`.

TLS goes through two hooks into the connector's internals (why: admin/tls.py), which is why
mysql-connector-python is pinned exactly: `_TlsSocket` upgrades with pxc's own context and
the name to verify, and `_Connection._get_connection` makes the connector use that socket.
For `required` and above the connector is told to verify, which makes it refuse a node that
does not offer TLS before it sends the login.
"""

import contextlib
import socket
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from proxysql_iac.admin.sql import Statement
from proxysql_iac.admin.tls import ClientTls, TlsMode, TlsSetupError, client_context, peer_failure
from proxysql_iac.errors import AdminConnectionError, AdminQueryError

# Pure mode also means the C extension is never loaded: importing `mysql.connector` tries
# `_mysql_connector` (a shared library with its own OpenSSL and libstdc++) on every pxc start,
# for nothing. A None entry in sys.modules makes that import fail at once, so the connector
# sets HAVE_CEXT = False; a copy some other code already loaded is left alone.
sys.modules.setdefault("_mysql_connector", None)  # type: ignore[arg-type]

from mysql.connector import errors as mysql_errors  # noqa: E402
from mysql.connector.connection import MySQLConnection  # noqa: E402
from mysql.connector.constants import ClientFlag  # noqa: E402
from mysql.connector.network import MySQLTCPSocket  # noqa: E402

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
    tls: ClientTls = field(default_factory=ClientTls)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class _TlsSocket(MySQLTCPSocket):
    def __init__(self, context: ssl.SSLContext | None, server_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.server_name = server_name
        self.version: str | None = None  # the TLS version negotiated, None in plaintext

    def open_connection(self) -> None:
        super().open_connection()
        # Statements go out whole, as soon as written: without this, Nagle's algorithm holds
        # the tail of a large INSERT until the node's delayed ACK (40 ms per statement).
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def build_ssl_context(self, *args: Any, **kwargs: Any) -> ssl.SSLContext | None:
        return self.context

    def switch_to_ssl(self, ssl_context: ssl.SSLContext, host: str) -> None:
        super().switch_to_ssl(ssl_context, self.server_name)
        self.version = self.sock.version() if isinstance(self.sock, ssl.SSLSocket) else None


class _Connection(MySQLConnection):
    def __init__(self, context: ssl.SSLContext | None, server_name: str, **config: Any) -> None:
        self.tls_socket: _TlsSocket | None = None
        self._tls = (context, server_name)
        super().__init__(**config)

    def _get_connection(self) -> _TlsSocket:
        sock = _TlsSocket(
            *self._tls, host=self.server_host, port=self.server_port, force_ipv6=self._force_ipv6
        )
        sock.set_connection_timeout(self._connection_timeout)
        self.tls_socket = sock
        return sock


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
    return integer_text(text)


def integer_text(text: str) -> int | str:
    """The text of an integer column's value: as int when it is an integer written the
    one way SQLite writes it, else the text itself."""
    digits = text[1:] if text[:1] == "-" else text
    if digits.isascii() and digits.isdigit() and (digits[0] != "0" or text == "0"):
        return int(text)
    return text


class AdminConnection:
    def __init__(self, endpoint: Endpoint, *, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.sent: list[str] = []  # summaries of the statements sent (never their values)
        self._cursor: Any = None
        mode = endpoint.tls.mode
        try:
            context = None if mode is TlsMode.DISABLED else client_context(endpoint.tls)
        except TlsSetupError as exc:
            raise AdminConnectionError(
                f"cannot connect to {endpoint.name} ({endpoint.address}): {exc}",
                "fix the admin TLS settings in `cluster:` (docs/operations.md)",
            ) from None
        try:
            self._conn: Any = _Connection(
                context,
                endpoint.tls.server_name or endpoint.host,
                host=endpoint.host,
                port=endpoint.port,
                user=endpoint.user,
                password=endpoint.password,
                autocommit=True,
                connection_timeout=int(max(1, timeout)),
                ssl_disabled=mode is TlsMode.DISABLED,
                ssl_verify_cert=mode.required,
                get_warnings=False,
                raw=False,
                # no connection attributes: the admin interface has no use for them, and the
                # connector would run `lsb_release` to fill them in (15 ms a process)
                client_flags=[-ClientFlag.CONNECT_ARGS],
            )
        except mysql_errors.Error as exc:
            # Not redacted: the handshake carries a scramble, never the password, so the
            # node cannot quote it (and the user name in this text is not a secret).
            raise _connect_error(endpoint, exc) from None
        sock = self._conn.tls_socket
        self.tls_version: str | None = sock.version if sock is not None else None

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


def _connect_error(endpoint: Endpoint, exc: mysql_errors.Error) -> AdminConnectionError:
    where = f"{endpoint.name} ({endpoint.address})"
    tls = endpoint.tls
    failure = peer_failure(exc.__cause__)
    if isinstance(exc.__cause__, ssl.SSLCertVerificationError):
        if "mismatch" in (failure or ""):
            hint = (
                f"the certificate does not name {tls.server_name or endpoint.host}: give the node "
                "a certificate for the name pxc connects to (docs/operations.md), or set "
                "`server_name:` to a name it carries"
            )
        else:
            trusted = "this CA" if tls.ca is not None else "a CA the system trusts (no `ca:`)"
            hint = (
                f"the node's certificate is not signed by {trusted}; ProxySQL's own CA is "
                "proxysql-ca.pem in the node's datadir (each node has its own)"
            )
        return AdminConnectionError(
            f"the TLS certificate of {where} does not verify: {failure} "
            f"({tls.describe()}); pxc did not log in",
            hint,
        )
    if failure is not None:
        return AdminConnectionError(
            f"the TLS handshake with {where} failed: {failure} ({tls.describe()}); "
            "pxc did not log in",
            "check the node's certificate and key (PROXYSQL RELOAD TLS after changing them)",
        )
    if getattr(exc, "errno", None) == 2026:
        return AdminConnectionError(
            f"{where} does not offer TLS on its admin port, and the admin TLS mode is "
            f"{tls.mode.value}: pxc did not log in",
            "turn mysql-have_ssl on for the node (and LOAD MYSQL VARIABLES TO RUNTIME), "
            "or lower the mode in `cluster.admin.tls`",
        )
    errno = getattr(exc, "errno", None)
    hint = "check the node's host/port and the admin credentials in `cluster:`"
    if errno == 1045:  # the node answered and refused the login
        hint = (
            f"check the admin user and password for {endpoint.name} in `cluster:` (`admin:` of "
            "the cluster, or of the node) against the node's admin-admin_credentials"
        )
    elif errno == 2003:  # nothing answered at that address
        hint = (
            f"check {endpoint.name}'s host and port in `cluster.nodes`: ProxySQL's admin "
            "interface listens on admin-mysql_ifaces (6032 by default)"
        )
    return AdminConnectionError(
        f"cannot connect to {where} as {endpoint.user}: {_reason(exc)}", hint
    )
