import json

from statesync.core.commands import EverydayCommand
from statesync.core.output import when
from statesync.district.models import Run, RunStatus


class Command(EverydayCommand):
    help = "Recent batch resync runs and their status."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, limit, **opts):
        runs = list(Run.objects.order_by("-pk")[:limit])
        if opts["json"]:
            self.stdout.write(json.dumps([r.result() for r in runs]))
            return
        self.stdout.write(
            f"{'run':>6} {'queued at':<23} {'mode':<12} {'status':<22} "
            f"{'processed':>10} {'rejected':>9}  message"
        )
        for run in runs:
            queued = when(run.created_at)
            position = f" (position {run.queue_position})" if run.status == RunStatus.QUEUED else ""
            objects = run.objects_in_order
            processed = sum(ro.processed for ro in objects)
            errors = sum(ro.rejected_records for ro in objects)
            self.stdout.write(
                f"{run.pk:>6} {queued:<23} {run.mode:<12} {run.status + position:<22} "
                f"{processed:>10,} {errors:>9,}  {run.message}".rstrip()
            )
