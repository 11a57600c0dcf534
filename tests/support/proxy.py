"""A TCP proxy the tests own: take the state "down" and bring it back on the same address."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable

from statesync.web.server import free_port


class Proxy:
    """Forwards 127.0.0.1:<port> to a target; `down()` refuses and cuts connections.

    `delay()`, when given, is slept before each piece a client sends is passed on, so requests
    through the proxy arrive late and out of order; `received` counts the bytes clients sent.
    """

    def __init__(
        self, target_host: str, target_port: int, delay: Callable[[], float] | None = None
    ):
        self.target = (target_host, target_port)
        self.delay = delay
        self.received = 0
        self.port = free_port()
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def down(self) -> None:
        server, self._server = self._server, None
        if server:
            _close(server)  # shutdown wakes the accept() that a bare close() leaves listening
        with self._lock:
            for conn in self._conns:
                _close(conn)
            self._conns.clear()

    def stall(self) -> None:
        """Keep connections open but pass no bytes (a hung network)."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._conns += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while data := src.recv(65536):
                if from_client:
                    self.received += len(data)
                    if self.delay:
                        time.sleep(self.delay())
                self._flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
