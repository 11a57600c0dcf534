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
        beside = []  # processes that stop with the server (`--with-parent`)
        if settings.ROLE in ("state", "both") and not no_resolver:
            # Its own process, so identity is settled on the other core while batches are judged.
            beside.append(["resolver"])
        if settings.ROLE == "router":  # the router's worker: reminders and expiry
            beside.append(["router", "work"])
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "statesync", *argv, "--with-parent", str(os.getpid())]
            )
            for argv in beside
        ]
        try:
            code = run(get_config(host, port, workers))
        finally:
            for child in children:
                child.terminate()
                child.wait(timeout=30)
        raise SystemExit(code)
