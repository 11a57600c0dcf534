"""Serving statesync over HTTP: hypercorn's event loop in front of Django's WSGI application.

Why hypercorn: its event loop reads each request (headers, then the body, through
`web/whole_requests.py`, which passes Django only whole requests) before one of Django's threads
sees it, so a client that sends slowly or stalls costs a socket and a little memory, never a
thread the next request needs; and every read times out after settings.READ_TIMEOUT seconds of
silence.
gunicorn's threads (what statesync used before) each wait on their client, so a few dozen
stalled connections stopped the service.
"""

from __future__ import annotations

import contextlib
import random
import socket
import sys
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from hypercorn.config import Config

KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(l)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'


def get_config(host: str, port: int, workers: int) -> Config:
    """hypercorn's settings for statesync: `workers` processes, each with its own threads."""
    config = Config()
    config.application_path = "statesync.asgi:application"
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    config.read_timeout = settings.READ_TIMEOUT
    config.keep_alive_timeout = KEEP_ALIVE
    config.accesslog = "-"
    # hypercorn's default line, then the seconds the request took (what a slow state shows).
    config.access_log_format = ACCESS_LOG_FORMAT
    config.errorlog = "-"
    return config


def server_argv(host: str, port: int, workers: int) -> list[str]:
    """The command that serves statesync (for the demo and the bench, which run it beside
    a worker)."""
    return [
        sys.executable,
        "-m",
        "statesync",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def free_port(host: str = "127.0.0.1", count: int = 1) -> int:
    """The first of `count` consecutive ports nothing uses now, for servers about to start.

    Chosen below the kernel's ephemeral range: a port in it can be taken by any outgoing
    connection (to the database, to Redis) between this choice and the server's listen.
    """
    low = _ephemeral_low()
    # Where the kernel lends (nearly) every port, any unprivileged one has to do.
    starts = range(max(1024, low - 12_000), low - count) or range(1024, 65536 - count)
    tries = (random.choice(starts) for _ in range(200))
    return first_free(host, count, tries, f"below {low}")


def first_free(host: str, count: int, starts: Iterable[int], where: str = "") -> int:
    """The first of `starts` where `count` consecutive ports can all be bound now."""
    for first in starts:
        with contextlib.ExitStack() as probes:
            try:
                for port in range(first, first + count):
                    probes.enter_context(socket.socket()).bind((host, port))
            except OSError:
                continue
            return first
    raise OSError(f"found no run of {count} free port(s) on {host} {where}".rstrip())


def _ephemeral_low() -> int:
    """Where the ports the kernel gives outgoing connections begin (Linux's default elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768
