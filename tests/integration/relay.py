"""A TCP relay between pxc and a node that records every byte crossing it, each way.

What a person on the network between pxc and the node would see. A byte is recorded before
it is passed on, so once pxc has its answer, everything that led to it has been recorded.
"""

import contextlib
import socket
import threading
from types import TracebackType


class Relay:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.to_node = bytearray()  # what pxc sent
        self.to_pxc = bytearray()  # what the node answered
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def wire(self) -> bytes:
        with self._lock:
            return bytes(self.to_node) + bytes(self.to_pxc)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            node = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, node]
            for source, sink, record in ((client, node, self.to_node), (node, client, self.to_pxc)):
                threading.Thread(
                    target=self._pump, args=(source, sink, record), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, record: bytearray) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    record += data
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def __enter__(self) -> "Relay":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
