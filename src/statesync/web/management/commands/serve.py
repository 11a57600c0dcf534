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

    def handle(self, *args, host, port, workers, **opts):
        raise SystemExit(run(get_config(host, port, workers)))
