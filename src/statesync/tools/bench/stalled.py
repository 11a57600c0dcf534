"""Clients that start a request and never finish it: what a slow-client attack looks like."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

STALLED = 300  # connections held open at once by the bench and the test


@contextlib.contextmanager
def stalled_connections(port: int, count: int = STALLED, host: str = "127.0.0.1") -> Iterator[int]:
    """Hold `count` connections open for the block: half stop inside their headers, half
    inside a body declared far larger than what they send. Yields how many are held."""
    held: list[socket.socket] = []
    try:
        for i in range(count):
            conn = socket.create_connection((host, port), timeout=10)
            if i % 2:
                conn.sendall(b"GET /login/ HTTP/1.1\r\nHost: statesync\r\nUser-Agent: sl")
            else:
                conn.sendall(
                    b"POST /api/district/v1/selective-sync HTTP/1.1\r\nHost: statesync\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"
                )
            held.append(conn)
        yield len(held)
    finally:
        for conn in held:
            conn.close()
