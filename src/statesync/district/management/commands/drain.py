from django.core.management.base import BaseCommand, CommandError

from statesync.district.realtime import drain, drain_forever


class Command(BaseCommand):
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
            f"Sent {result.sent} records, deleted {result.deleted}, {result.rejected} rejected "
            f"({result.entries} outbox entries)."
        )
