import os
import sys

from django.core.management.base import BaseCommand


def gunicorn_argv(host: str, port: int, workers: int, threads: int) -> list[str]:
    """The gunicorn command that serves statesync."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "statesync.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        "300",
        "--access-logfile",
        "-",
    ]


class Command(BaseCommand):
    help = "Serve the web application and APIs with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, host, port, workers, threads, **opts):
        argv = gunicorn_argv(host, port, workers, threads)
        os.execv(argv[0], argv)
