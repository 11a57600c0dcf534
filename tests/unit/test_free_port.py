"""Ports for servers the demo, the bench and the tests start: free, and out of the kernel's way."""

from __future__ import annotations

import socket

import pytest

from statesync.web import server
from statesync.web.server import free_port


def test_consecutive_ports_below_the_ephemeral_range_are_all_free():
    first = free_port(count=3)
    assert first + 3 <= server._ephemeral_low()  # no outgoing connection can take them
    with socket.socket() as a, socket.socket() as b, socket.socket() as c:
        for probe, port in zip((a, b, c), range(first, first + 3), strict=True):
            probe.bind(("127.0.0.1", port))


def test_a_busy_port_is_never_chosen(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        # Every choice lands on the busy port or the one just before it: both runs include it.
        choices = iter([taken, taken - 1, taken + 1])
        monkeypatch.setattr(server.random, "choice", lambda starts: next(choices))
        assert free_port(count=2) == taken + 1


def test_no_free_ports_says_where_it_looked(monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        monkeypatch.setattr(server.random, "choice", lambda starts: taken)
        with pytest.raises(OSError, match=r"found no run of 1 free port\(s\) on 127.0.0.1 below"):
            free_port()
