"""Serving statesync over HTTP: hypercorn's event loop in front of Django's WSGI application.

Why hypercorn: it reads each request whole (headers, then the body, buffered by its event loop)
before one of Django's threads sees it, so a client that sends slowly or stalls costs a socket
and a little memory, never a thread the next request needs; and every read times out after
READ_TIMEOUT seconds of silence. gunicorn's threads (what statesync used before) each wait on
their client, so a few dozen stalled connections stopped the service.
"""

from __future__ import annotations

import os
import socket
import sys

from django.conf import settings
from hypercorn.config import Config

# Seconds of silence after which a connection that is sending a request is closed.
READ_TIMEOUT = int(os.environ.get("STATESYNC_READ_TIMEOUT", 30))
KEEP_ALIVE = 5  # seconds an idle keep-alive connection is kept
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(l)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s'


def get_config(host: str, port: int, workers: int) -> Config:
    """hypercorn's settings for statesync: `workers` processes, each with its own threads."""
    config = Config()
    config.application_path = "statesync.wsgi:application"
    config.bind = [f"{host}:{port}"]
    config.workers = workers
    config.read_timeout = READ_TIMEOUT
    config.keep_alive_timeout = KEEP_ALIVE
    # Above the API's own limit, so an oversized batch gets the API's 413 that says why.
    config.wsgi_max_body_size = settings.API_MAX_BODY_BYTES + 2**20
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


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now, for a server this process is about to start."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
