"""A TCP relay between pxc and one admin node that can act at the N-th statement.

It counts the client's statements over every connection it carries (COM_QUERY packets:
sequence id 0, command byte 3), and at statement number `at` (0-based) does one thing, once:

- "cut": closes both sides instead of forwarding it (the node never sees the statement);
- "cut_after": forwards it, waits for the node's answer and closes both sides instead of
  passing it on (the node has run it, the client never learns how it went);
- "late": closes the client's side at once and holds the statement; it reaches the node
  only once pxc, on another connection, has had a statement of its own answered (not the
  connector's `SET`s at connect) and sends the next one (the node's side is closed after
  its answer). A statement still on its way when the connection broke, which runs after
  pxc has reconnected and read the node;
- "stall": closes the client's side and never forwards the statement, but keeps the node's
  side open and idle until the next arm or count_only: a session the node still counts
  after pxc has lost it (a peer that never learned the connection died);
- a callable: calls it (for example to signal the pxc process), then forwards as usual.

It works for the sandbox and a real ProxySQL alike, since it only reads the wire. TLS
connections pass through uncounted (the packets are encrypted): tests that count use
plaintext.

It also records every byte it carries, each way (`to_node`, `to_pxc`): what someone on the
network between pxc and the node would see. A byte is recorded before it is passed on, so
once pxc has its answer, everything that led to it has been recorded.
"""

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Literal

Action = Literal["cut", "cut_after", "late", "stall"] | Callable[[], None]
COM_QUERY = b"\x03"
ANSWER_TIMEOUT_S = 60.0  # how long "cut_after" waits for the node's answer (a safety net)


class Relay:
    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self.commands = 0
        self.log: list[str] = []  # the statements counted since the last arm/count_only
        self.at: int | None = None
        self.action: Action = "cut"
        self.fired = False
        self.refuse_after = False  # once the action has fired, refuse new connections
        self.refusing = False
        self.lock = threading.Lock()
        self.sockets: set[socket.socket] = set()
        self.closed = False
        self.to_node = bytearray()  # what the client sent
        self.to_pxc = bytearray()  # what the node answered
        # "late": the held statement, the node's side of its connection, and its answer
        self.held: tuple[bytes, socket.socket, threading.Event] | None = None
        self.stalled: list[socket.socket] = []  # "stall": node sides kept open
        self.since_held = 0  # statements pxc sent on other connections since
        threading.Thread(target=self._accept, daemon=True).start()

    # -- control -----------------------------------------------------------------------
    def arm(self, at: int, action: Action = "cut", *, refuse_after: bool = False) -> None:
        """Act at statement `at`; with `refuse_after`, the node is out of reach from then on
        (new connections are closed at once) until the next arm or count_only."""
        self._drop_held()
        with self.lock:
            self.commands, self.at, self.action, self.fired = 0, at, action, False
            self.refuse_after, self.refusing = refuse_after, False
            self.log = []

    def count_only(self) -> None:
        self._drop_held()
        with self.lock:
            self.commands, self.at, self.fired = 0, None, False
            self.refuse_after, self.refusing = False, False
            self.log = []

    def _drop_held(self) -> None:
        """A statement still held never reaches the node; a stalled session ends."""
        with self.lock:
            held, self.held = self.held, None
            stalled, self.stalled = self.stalled, []
        if held is not None:
            _shut(held[1])
        for server in stalled:
            _shut(server)

    @property
    def wire(self) -> bytes:
        """Everything that crossed, both ways."""
        with self.lock:
            return bytes(self.to_node) + bytes(self.to_pxc)

    def close(self) -> None:
        self.closed = True
        _shut(self.listener)  # shutdown first: it wakes the accepting thread
        for sock in list(self.sockets):
            _shut(sock)

    def __enter__(self) -> "Relay":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- relaying ----------------------------------------------------------------------
    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                _shut(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                _shut(client)
                continue
            server.settimeout(None)
            self.sockets |= {client, server}
            answered = threading.Event()  # the node has sent something back
            threading.Thread(
                target=self._upstream, args=(client, server, answered), daemon=True
            ).start()
            threading.Thread(
                target=self._downstream, args=(server, client, answered), daemon=True
            ).start()

    def _release_if_due(self, payload: bytes) -> None:
        """Before forwarding a statement: a held one goes first, once pxc has had an answer
        to a statement of its own since (this is at least the second)."""
        with self.lock:
            if self.held is None or _text(payload).upper().startswith(b"SET "):
                return
            self.since_held += 1
            if self.since_held < 2:
                return
            packet, server, answered = self.held
            self.held = None
        self._record(self.to_node, packet)
        with contextlib.suppress(OSError):
            server.sendall(packet)
            answered.wait(ANSWER_TIMEOUT_S)
        _shut(server)  # the node's side: its session ends after running the statement

    def _decide(self, payload: bytes) -> Action | None:
        """Count one command; the action to take on it, if this is the armed one."""
        with self.lock:
            self.log.append(_text(payload)[:80].decode("utf-8", "replace"))
            index = self.commands
            self.commands += 1
            if self.at is not None and not self.fired and index == self.at:
                self.fired = True
                self.refusing = self.refuse_after
                return self.action
        return None

    def _upstream(
        self, client: socket.socket, server: socket.socket, answered: threading.Event
    ) -> None:
        plaintext = True
        try:
            while True:
                header = _read(client, 4)
                if header is None:
                    break
                length = int.from_bytes(header[:3], "little")
                sequence = header[3]
                payload = _read(client, length)
                if payload is None:
                    break
                if sequence == 1 and length == 32:
                    plaintext = False  # an SSLRequest: what follows is TLS, not packets
                    self._record(self.to_node, header + payload)
                    server.sendall(header + payload)
                    _pump(client, server, self._recorder(self.to_node))
                    break
                query = plaintext and sequence == 0 and payload[:1] == COM_QUERY
                action = self._decide(payload) if query else None
                if action == "cut":
                    break
                if action == "stall":
                    _shut(client)
                    with self.lock:
                        self.stalled.append(server)
                    return  # the node's side stays open, idle, until the next arm
                if action == "late":
                    _shut(client)
                    answered.clear()
                    with self.lock:
                        self.held, self.since_held = (header + payload, server, answered), 0
                    return  # the node's side stays open until the statement is released
                if query:
                    self._release_if_due(payload)
                if callable(action):
                    action()
                self._record(self.to_node, header + payload)
                if action == "cut_after":
                    _shut(client)  # first: the answer must not reach the client
                    answered.clear()
                    server.sendall(header + payload)
                    # the node has run it once it answers: only then is its side closed, so
                    # the statement cannot run later, beside what pxc does next
                    answered.wait(ANSWER_TIMEOUT_S)
                    break
                server.sendall(header + payload)
        except OSError:
            pass
        _shut(client)
        _shut(server)

    def _downstream(
        self, server: socket.socket, client: socket.socket, answered: threading.Event
    ) -> None:
        record = self._recorder(self.to_pxc)

        def heard(data: bytes) -> None:
            record(data)
            answered.set()

        _pump(server, client, heard)
        _shut(client)
        _shut(server)

    def _record(self, into: bytearray, data: bytes) -> None:
        with self.lock:
            into += data

    def _recorder(self, into: bytearray) -> Callable[[bytes], None]:
        return lambda data: self._record(into, data)


def _text(payload: bytes) -> bytes:
    """A COM_QUERY's statement: with query attributes (MySQL 8 clients) two bytes precede
    it, 0 and 1."""
    return payload[3:] if payload[1:3] == b"\x00\x01" else payload[1:]


def _read(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _pump(source: socket.socket, sink: socket.socket, record: Callable[[bytes], None]) -> None:
    try:
        while True:
            chunk = source.recv(65536)
            if not chunk:
                return
            record(chunk)
            sink.sendall(chunk)
    except OSError:
        return


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
