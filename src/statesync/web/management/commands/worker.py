from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer): resyncs, selective syncs, real-time sync."

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=4, help="Tasks run at once.")

    def handle(self, *args, threads, **opts):
        call_command("run_huey", workers=threads, worker_type="thread", periodic=True)
