"""Slow clients cannot take the service down: `statesync serve` (as production runs it) keeps
answering while hundreds of connections hold half-sent requests, and closes silent ones."""

from __future__ import annotations

import socket

import httpx
import pytest

from statesync.tools.bench.stalled import STALLED, stalled_connections
from statesync.web.server import free_port
from tests.reliability.figures import record
from tests.support.servers import Served

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_pages_and_apis_answer_while_hundreds_of_clients_stall(registered):
    number, token = registered[0].number, registered[1]
    server = Served(free_port()).start()
    try:
        with stalled_connections(server.port) as held, httpx.Client(timeout=30) as client:
            assert held == STALLED
            for _ in range(3):
                assert client.get(f"{server.url}/login/").status_code == 200
                who = client.get(
                    f"{server.url}/api/state/v1/districts/{number}/",
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert who.status_code == 200, who.text
                assert who.json()["district"] == number
        record("stalled connections held while pages and APIs answered", held)
    finally:
        server.stop()


def test_a_connection_silent_mid_request_is_closed(transactional_db):
    server = Served(free_port(), STATESYNC_READ_TIMEOUT="1").start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as conn:
            conn.sendall(b"GET /login/ HTTP/1.1\r\nHost: statesync\r\n")  # and nothing more
            assert conn.recv(4096) == b""  # closed by the server, not by our 30 s timeout
    finally:
        server.stop()
