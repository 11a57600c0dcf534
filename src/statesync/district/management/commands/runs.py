import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from statesync.district.models import Run, RunStatus


class Command(BaseCommand):
    help = "Recent batch resync runs and their status."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, limit, **opts):
        runs = list(Run.objects.order_by("-pk")[:limit])
        if opts["json"]:
            self.stdout.write(json.dumps([r.result() for r in runs]))
            return
        for run in runs:
            when = timezone.localtime(run.created_at).strftime("%m/%d/%Y %H:%M:%S")
            position = f" (position {run.queue_position})" if run.status == RunStatus.QUEUED else ""
            totals = run.result()["objects"]
            processed = sum(o["processed"] for o in totals)
            errors = sum(o["errors"] for o in totals)
            self.stdout.write(
                f"{run.pk:>6} {when} {run.mode:<12} {run.status}{position}  "
                f"Processed: {processed} Errors: {errors}"
                + (f"  {run.message}" if run.message else "")
            )
