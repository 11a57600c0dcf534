from django.core.management.base import CommandError

from statesync.core.commands import EverydayCommand
from statesync.core.output import count
from statesync.district.services.realtime import drain, drain_forever


class Command(EverydayCommand):
    help = "Send changes saved through the application (the outbox) to the state."

    def add_arguments(self, parser):
        parser.add_argument("--forever", action="store_true", help="Keep draining until stopped.")

    def handle(self, *args, forever, **opts):
        if forever:
            drain_forever()
            return
        result = drain()
        if result.error:
            raise CommandError(result.error)
        self.stdout.write(
            f"Sent {count(result.sent, 'record')}, deleted {result.deleted:,}, "
            f"{result.rejected:,} rejected "
            f"({count(result.entries, 'outbox entry', 'outbox entries')})."
        )
