import json
import sys
import time

from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core import catalog
from statesync.core.commands import EverydayCommand
from statesync.core.output import say
from statesync.core.sync.client import NotConfigured, get_connection
from statesync.district.models import Mode, ObjectStatus, Run, RunStatus
from statesync.district.services.progress import ProgressPrinter
from statesync.district.worker.tasks import enqueue_run
from statesync.district.worker.workers import run_here

NO_WORKER_HINT = 15  # seconds queued before suggesting that no worker is running


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "Resync objects from the district edition to the state edition (docs/DESIGN.md §6)."

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--all", action="store_true", help="Every DIS object.")
        which.add_argument("--objects", help="Comma-separated objects, e.g. School,Calendar.")
        parser.add_argument(
            "--check-dependencies",
            action="store_true",
            help="Add every object the selection references (parents first).",
        )
        parser.add_argument("--mode", choices=Mode.values, default=Mode.DIFFERENTIAL)
        parser.add_argument("--year", type=int, help="School end year; default: the active year.")
        how = parser.add_mutually_exclusive_group()
        how.add_argument(
            "--wait", action="store_true", help="Queue it, show progress, print the result."
        )
        how.add_argument(
            "--foreground", action="store_true", help="Run it in this process, without a worker."
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **opts):
        try:
            get_connection()
        except NotConfigured as exc:
            raise CommandError(str(exc)) from None
        selected = catalog.NAMES if opts["all"] else opts["objects"].split(",")
        try:
            run = Run.plan(
                [n for n in selected if n.strip()],
                opts["mode"],
                opts["check_dependencies"],
                opts["year"],
            )
        except (catalog.PlanError, catalog.UnknownObject) as exc:
            raise CommandError(str(exc)) from None
        objects = [ro.object for ro in run.objects_in_order]
        audit.record_command("resync.start", f"run {run.pk}", mode=run.mode, objects=objects)
        names = ", ".join(objects)
        if not opts["json"]:
            say(
                self,
                f"Run {run.pk}: {run.mode} resync of {names} "
                f"for {catalog.year_label(run.school_year)}",
            )
        # The bare stream: Django's wrapper ends every write with a newline, and a bar redraws.
        progress = ProgressPrinter(self.stderr._out) if not opts["json"] else None
        if opts["foreground"]:
            try:
                run = run_here(run, on_progress=progress and progress.update)
            except KeyboardInterrupt:
                run.refresh_from_db()
                raise CommandError(
                    f"Interrupted: run {run.pk} is {run.get_status_display().lower()}"
                    + (f" ({run.message})" if run.message else "")
                    + (". A worker resumes it." if run.is_active else ".")
                ) from None
        else:
            enqueue_run(run.pk)
            if not opts["wait"]:
                run.refresh_from_db()
                self._queued(run, opts["json"])
                return
            run = self._wait(run, progress)
        if progress:
            progress.close()
        if opts["json"]:
            self.stdout.write(json.dumps(run.result()))
        else:
            self.stdout.write(ProgressPrinter.table(run))
        if run.status == RunStatus.FAILED:
            sys.exit(1)

    def _queued(self, run: Run, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps({"run": run.pk, "status": run.status}))
        else:
            self.stdout.write(
                f"Run {run.pk} queued (position {run.queue_position}). Follow it with "
                f"'statesync runs' or wait for its notification."
            )

    def _wait(self, run: Run, progress: ProgressPrinter | None) -> Run:
        started = time.monotonic()
        hinted = False
        while True:
            run.refresh_from_db()
            if not run.is_active:
                return run
            if progress:
                for ro in run.objects_in_order:
                    if ro.status != ObjectStatus.PENDING:
                        progress.update(ro)
            waited = time.monotonic() - started
            if run.status == RunStatus.QUEUED and not hinted and waited > NO_WORKER_HINT:
                say(
                    self,
                    f"Run {run.pk} is still queued (position {run.queue_position}). "
                    "Is a worker running? Start one with 'statesync worker'.",
                )
                hinted = True
            time.sleep(0.5)
