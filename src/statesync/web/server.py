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
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from hypercorn.config import Config
from hypercorn.logging import Logger

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
    config.logger_class = AccessLogger
    return config


class AccessLogger(Logger):
    """hypercorn's logger, each access line's values made only from what ACCESS_LOG_FORMAT
    prints: hypercorn's own copy every header and every environment variable for each line
    (5.9 % of the state's CPU on an Ed-Fi POST, py-spy)."""

    def atoms(self, request: Any, response: Any, request_time: float) -> dict[str, str]:
        return access_line_values(request, response, request_time)


class _LineValues(dict):
    def __missing__(self, key: str) -> str:
        return "-"  # as hypercorn's: a format asking more than it has prints a dash


def access_line_values(request: Any, response: Any, request_time: float) -> dict[str, str]:
    """The values of an access line, as hypercorn's AccessLogAtoms has them ("-" for none)."""
    asked = _headers(request["headers"])
    sent = _headers(response.get("headers", [])) if response is not None else {}
    client = request.get("client")
    method = request["method"] if request["type"] == "http" else "GET"
    protocol = request.get("http_version", "ws")
    return _LineValues(
        {
            "h": str(client and ":".join(str(part) for part in client)),  # "None", as theirs
            "l": "-",
            "t": time.strftime("[%d/%b/%Y:%H:%M:%S %z]"),
            "r": f"{method} {request['path']} {protocol}",
            "s": str(response["status"]) if response is not None else "-",
            "b": sent.get(b"content-length", "-"),
            "f": asked.get(b"referer", "-"),
            "a": asked.get(b"user-agent", "-"),
            "L": f"{request_time:.6f}",
        }
    )


PRINTED_HEADERS = frozenset({b"content-length", b"referer", b"user-agent"})


def _headers(pairs: Iterable[tuple[bytes, bytes]]) -> dict[bytes, str]:
    """The headers the access line prints, by lower-case name (the last of a repeated one)."""
    lowered = ((name.lower(), value) for name, value in pairs)
    return {name: value.decode("latin1") for name, value in lowered if name in PRINTED_HEADERS}


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
