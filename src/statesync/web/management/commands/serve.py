import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from hypercorn.run import run

from statesync.web.server import get_config


class Command(BaseCommand):
    help = (
        "Serve the web application and APIs. hypercorn reads each request whole before Django "
        f"sees it, and a read silent for {settings.READ_TIMEOUT} s closes its connection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=2, help="Processes; one per core is the rule."
        )
        parser.add_argument(
            "--no-resolver",
            action="store_true",
            help="At the state, do not start the identity resolver beside the server (run "
            "`statesync resolver` once for the whole state instead).",
        )

    def handle(self, *args, host, port, workers, no_resolver, **opts):
        resolver = None
        if settings.ROLE in ("state", "both") and not no_resolver:
            # Its own process, so identity is settled on the other core while batches are judged.
            argv = [
                sys.executable,
                "-m",
                "statesync",
                "resolver",
                "--with-parent",
                str(os.getpid()),
            ]
            resolver = subprocess.Popen(argv)
        try:
            code = run(get_config(host, port, workers))
        finally:
            if resolver is not None:
                resolver.terminate()
                resolver.wait(timeout=30)
        raise SystemExit(code)
