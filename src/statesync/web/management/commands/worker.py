from django.core.management import call_command
from django.core.management.base import BaseCommand

MAX_POLL_SECONDS = 0.5


class Command(BaseCommand):
    help = "Run the background worker (Huey consumer): resyncs, selective syncs, real-time sync."

    def add_arguments(self, parser):
        parser.add_argument("--threads", type=int, default=4, help="Tasks run at once.")

    def handle(self, *args, threads, **opts):
        call_command(
            "run_huey",
            workers=threads,
            worker_type="thread",
            periodic=True,
            # An idle consumer of the SQLite queue polls less and less often, up to this: a
            # save after a quiet spell waited up to Huey's default of 10 s to go up. (Redis
            # wakes it at once.)
            max_delay=MAX_POLL_SECONDS,
        )
