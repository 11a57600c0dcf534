from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core.commands import EverydayCommand
from statesync.district.models import Run, RunStatus


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "Cancel a queued or running resync (a running one stops after its current batch)."

    def add_arguments(self, parser):
        parser.add_argument("run", type=int)

    def handle(self, *args, run, **opts):
        found = Run.objects.filter(pk=run).first()
        if found is None:
            raise CommandError(f"there is no run {run}")
        if not found.request_cancel():
            raise CommandError(f"run {run} has already ended ({found.status})")
        audit.record_command("resync.cancel", f"run {run}")
        if found.status == RunStatus.CANCELLED:
            self.stdout.write(f"Run {run} cancelled before it started.")
        else:
            self.stdout.write(f"Run {run} will stop after its current batch.")
