"""Ports for servers the demo, the bench and the tests start: free, and out of the kernel's way."""

from __future__ import annotations

import socket

import pytest

from statesync.web import server
from statesync.web.server import first_free, free_port


def test_consecutive_ports_below_the_ephemeral_range_are_all_free():
    first = free_port(count=3)
    assert first + 3 <= server._ephemeral_low()  # no outgoing connection can take them
    with socket.socket() as a, socket.socket() as b, socket.socket() as c:
        for probe, port in zip((a, b, c), range(first, first + 3), strict=True):
            probe.bind(("127.0.0.1", port))


def test_a_run_with_a_busy_port_is_passed_over_and_none_free_is_said():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        # Both runs of two include the busy port: neither is chosen.
        with pytest.raises(OSError, match=r"found no run of 2 free port\(s\) on 127.0.0.1$"):
            first_free("127.0.0.1", 2, [taken, taken - 1])
        with pytest.raises(OSError, match="below 32768"):
            first_free("127.0.0.1", 1, [taken], "below 32768")


def test_the_first_free_run_is_chosen():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        free = free_port()
        assert first_free("127.0.0.1", 1, [taken, free]) == free
