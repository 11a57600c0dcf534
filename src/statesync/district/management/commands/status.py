import json

from statesync.core.commands import EverydayCommand
from statesync.core.output import when
from statesync.district.services.status import object_states


class Command(EverydayCommand):
    help = "Each object's latest resync: when, processed, errors, status."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **opts):
        states = object_states()
        if opts["json"]:
            self.stdout.write(json.dumps({"objects": [s.as_dict() for s in states]}))
            return
        self.stdout.write(f"{'DIS object':<22} {'Last Resync':<24} {'Results':<32} Status")
        for s in states:
            last = when(s.last_resync) or "Never"
            results = f"Processed: {s.processed:,} Errors: {s.errors:,}" if s.done else ""
            light = f"{s.label}: {s.failure}" if s.failure else s.label
            self.stdout.write(f"{'  ' * s.depth + s.object:<22} {last:<24} {results:<32} {light}")
