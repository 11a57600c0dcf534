import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from statesync.district.status import object_states


class Command(BaseCommand):
    help = "Each object's latest resync: when, processed, errors, status."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        states = object_states()
        if opts["json"]:
            self.stdout.write(json.dumps({"objects": [s.as_dict() for s in states]}))
            return
        self.stdout.write(f"{'DIS object':<22} {'Last Resync':<20} {'Results':<32} Status")
        for s in states:
            when = (
                timezone.localtime(s.last_resync).strftime("%m/%d/%Y %H:%M:%S")
                if s.last_resync
                else "Never"
            )
            results = f"Processed: {s.processed} Errors: {s.errors}" if s.run_object else ""
            self.stdout.write(f"{'  ' * s.depth + s.object:<22} {when:<20} {results:<32} {s.label}")
