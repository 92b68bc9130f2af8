"""The MySQL-protocol face of a sandbox node: every hook into mysql-mimic's internals lives here.

Why hooks (and why mysql-mimic is pinned ==3.0.5 in pyproject):

* ProxySQL's admin SQL is SQLite SQL. mysql-mimic normally parses queries with sqlglot (MySQL
  dialect); we override `Connection.handle_query` to take the raw COM_QUERY text and hand it,
  untouched, to the node (which runs it on sqlite3).
* ProxySQL sends every column as MYSQL_TYPE_VAR_STRING with charset 33, error packets with
  errno 1045 / SQLSTATE 28000, OK packets with an info text for some commands, and server
  status 514 (autocommit | no-backslash-escapes). We write those packets ourselves instead of
  going through mysql-mimic's typed ResultSet machinery.
* Prepared statements are refused ("Command not supported"): `handle_stmt_prepare` is replaced.
* Authentication is mysql_native_password against the node's *runtime*
  `admin-admin_credentials` / `admin-stats_credentials`, looked up at each login
  (`AdminIdentityProvider`).
* TLS is offered per connection, while the node's runtime `mysql-have_ssl` is true, with the
  certificate from its datadir (`tls.py`), as ProxySQL's admin port does. mysql-mimic's
  upgrade to TLS loses handshake bytes that arrived with the SSLRequest (`_Stream`).
* Inputs that crash ProxySQL 2.7.1 make us abort the TCP transport without an answer and stop
  the node's listener (`on_crash` callback).
"""

import asyncio
import hashlib
import logging
import os
import struct
from collections.abc import Callable
from ssl import SSLContext
from typing import Any

from mysql_mimic import packets
from mysql_mimic.auth import (
    AuthInfo,
    AuthPlugin,
    AuthState,
    Forbidden,
    IdentityProvider,
    NativePasswordAuthPlugin,
    Success,
    User,
)
from mysql_mimic.charset import CharacterSet
from mysql_mimic.connection import Connection
from mysql_mimic.control import LocalControl
from mysql_mimic.server import MysqlServer
from mysql_mimic.session import Session
from mysql_mimic.stream import MysqlStream
from mysql_mimic.types import ColumnType, ServerStatus

from .node import AdminError, Crash, Result, SandboxNode

logger = logging.getLogger(__name__)


class _TlsEofNotice(logging.Filter):
    """asyncio warns "returning true from eof_received() has no effect when using ssl" each
    time a client closes a connection that mysql-mimic upgraded with start_tls (the stream
    protocol was made before TLS, so it answers as for plain TCP). The close is right."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received() has no effect when using ssl" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_TlsEofNotice())

SERVER_STATUS = ServerStatus(514)


def _lenenc_int(n: int) -> bytes:
    if n < 251:
        return bytes([n])
    if n < 2**16:
        return b"\xfc" + struct.pack("<H", n)
    if n < 2**24:
        return b"\xfd" + struct.pack("<I", n)[:3]
    return b"\xfe" + struct.pack("<Q", n)


def _lenenc_str(data: bytes) -> bytes:
    return _lenenc_int(len(data)) + data


def error_packet(errno: int, sqlstate: str, msg: str) -> bytes:
    return (
        b"\xff"
        + struct.pack("<H", errno)
        + b"#"
        + sqlstate.encode()[:5].ljust(5, b"0")
        + msg.encode("utf-8", "replace")
    )


class _NativePassword(NativePasswordAuthPlugin):  # type: ignore[misc]
    """mysql_native_password whose refusal reads like ProxySQL's."""

    async def auth(self, auth_info: AuthInfo | None = None) -> AuthState:
        state = super().auth(auth_info)
        decision = await state.__anext__()
        while True:
            if isinstance(decision, Forbidden):
                name = auth_info.username if auth_info else ""
                yield Forbidden(
                    f"ProxySQL Error: Access denied for user '{name}'@'127.0.0.1' "
                    "(using password: YES)"
                )
                return
            if isinstance(decision, Success):
                yield decision
                return
            info = yield decision
            auth_info = info
            decision = await state.asend(info)


class AdminIdentityProvider(IdentityProvider):  # type: ignore[misc]
    def __init__(self, node_getter: Callable[[], SandboxNode]) -> None:
        self._node = node_getter

    def get_plugins(self) -> list[AuthPlugin]:
        return [_NativePassword()]

    async def get_user(self, username: str) -> User | None:
        creds = self._node().credentials()
        if username in creds:
            pw = creds[username][0]
            auth = hashlib.sha1(hashlib.sha1(pw.encode()).digest()).hexdigest() if pw else ""
        else:
            auth = os.urandom(20).hex()  # never matches: unknown users are refused alike
        return User(name=username, auth_string=auth, auth_plugin="mysql_native_password")


class AdminConnection(Connection):  # type: ignore[misc]
    """mysql-mimic Connection speaking ProxySQL admin-interface dialect."""

    node_getter: Callable[[], SandboxNode]
    on_crash: Callable[[], None]
    registry: set["AdminConnection"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status_flags = SERVER_STATUS
        self.registry.add(self)

    async def _start(self) -> None:
        try:
            await super()._start()
        finally:
            self.registry.discard(self)

    def abort(self) -> None:
        transport = self.stream.writer.transport
        transport.abort()

    async def handle_stmt_prepare(self, data: bytes) -> None:
        await self.stream.write(error_packet(1045, "28000", "Command not supported"))

    async def handle_stmt_execute(self, data: bytes) -> None:
        await self.stream.write(error_packet(1045, "28000", "Command not supported"))

    async def handle_query(self, data: bytes) -> None:
        com_query = packets.parse_com_query(
            capabilities=self.capabilities, client_charset=self.client_charset, data=data
        )
        node = self.node_getter()
        if node.drop_after is not None:
            if node.drop_after <= 0:
                node.drop_after = None
                self.abort()
                return
            node.drop_after -= 1
        user = self.session.username or ""
        kind = node.credentials().get(user, ("", "admin"))[1]
        try:
            result = node.execute(com_query.sql, kind=kind, user=user)
        except Crash:
            self.abort()
            self.on_crash()
            return
        except AdminError as e:
            await self.stream.write(error_packet(e.errno, e.sqlstate, e.msg))
            return
        await self._write_result(result)

    def _ok(self, affected: int, info: str | None) -> bytes:
        pkt = (
            b"\x00"
            + _lenenc_int(affected)
            + _lenenc_int(0)
            + struct.pack("<HH", int(self.status_flags), 0)
        )
        if info:
            pkt += _lenenc_str(info.encode("utf-8"))
        return pkt

    async def _write_result(self, result: Result) -> None:
        if result.columns is None:
            await self.stream.write(self._ok(result.affected, result.info))
            return
        header = [_lenenc_int(len(result.columns))]
        for name in result.columns:
            header.append(
                packets.make_column_definition_41(
                    server_charset=CharacterSet.utf8mb4,
                    name=name,
                    character_set=CharacterSet.utf8,
                    column_type=ColumnType.VAR_STRING,
                )
            )
        if not self.deprecate_eof():
            header.append(self.eof())
        rows = []
        for row in result.rows:
            parts = []
            for v in row:
                if v is None:
                    parts.append(b"\xfb")
                elif isinstance(v, bytes):
                    parts.append(_lenenc_str(v))
                else:
                    parts.append(_lenenc_str(str(v).encode("utf-8", "surrogatepass")))
            rows.append(b"".join(parts))
        self.stream.write_many(header)
        for i in range(0, len(rows), 5000):
            self.stream.write_many(rows[i : i + 5000])
            await self.stream.drain()
        await self.stream.write(self.ok_or_eof())


class _Stream:
    """mysql-mimic's stream (compiled, so wrapped rather than subclassed), with a TLS
    upgrade that keeps the bytes of the handshake that arrived early."""

    def __init__(self, stream: MysqlStream) -> None:
        self._stream = stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def start_tls(self, ssl: SSLContext) -> None:
        """A client sends its TLS ClientHello right after the SSLRequest packet, without
        waiting: both often arrive in one read, and the hello then sits in the StreamReader's
        buffer where the TLS layer never sees it (the handshake hangs). Hand those bytes to
        the TLS protocol that `loop.start_tls` installs, before it starts the handshake."""
        reader = self._stream.reader
        early = bytes(reader._buffer)
        reader._buffer.clear()
        if early:
            transport = self._stream.writer.transport
            asyncio.get_running_loop().call_soon(_feed_tls, transport, early)
        await self._stream.start_tls(ssl)


def _feed_tls(transport: asyncio.BaseTransport, data: bytes) -> None:
    protocol = transport.get_protocol()
    assert isinstance(protocol, asyncio.BufferedProtocol), "start_tls installed no TLS protocol"
    while data:
        buffer = memoryview(protocol.get_buffer(len(data)))
        size = min(len(buffer), len(data))
        buffer[:size] = data[:size]
        protocol.buffer_updated(size)
        data = data[size:]


class NodeServer(MysqlServer):  # type: ignore[misc]
    """A listening admin port bound to one SandboxNode."""

    def __init__(
        self, node_getter: Callable[[], SandboxNode], on_crash: Callable[[], None]
    ) -> None:
        super().__init__(
            session_factory=self._make_session,
            identity_provider=AdminIdentityProvider(node_getter),
            control=LocalControl(),
        )
        self.node_getter = node_getter
        self.connections: set[AdminConnection] = set()
        conns = self.connections

        class _Conn(AdminConnection):
            pass

        _Conn.node_getter = staticmethod(node_getter)
        _Conn.on_crash = staticmethod(on_crash)
        _Conn.registry = conns
        self._conn_cls = _Conn

    def _make_session(self) -> Session:
        session = Session()
        session.variables.set(
            "version", self.node_getter().var("mysql-server_version") or "8.0.11", force=True
        )
        return session

    async def _client_connected_cb(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # Same as MysqlServer._client_connected_cb, with our Connection and stream classes.
        stream = _Stream(MysqlStream(reader, writer))
        session = self._make_session()
        node = self.node_getter()
        offer_tls = node.tls is not None and node.var_bool("mysql-have_ssl")
        connection = self._conn_cls(
            stream=stream,
            session=session,
            control=self.control,
            server_capabilities=self.capabilities,
            identity_provider=self.identity_provider,
            ssl=node.tls.context if offer_tls and node.tls is not None else None,
        )
        connection_id = await self.control.add(connection)
        connection.connection_id = connection_id
        try:
            await connection.start()
        except Exception:
            logger.debug("connection ended with an error", exc_info=True)
        finally:
            if writer.transport is not None:  # None: the client left during the TLS handshake
                writer.close()
            await self.control.remove(connection_id)

    def abort_all(self) -> None:
        for c in list(self.connections):
            c.abort()
