import json
import sys

from django.core.management.base import BaseCommand, CommandError

from statesync import catalog
from statesync.district.models import Mode, RunObject
from statesync.sync import plan
from statesync.sync.client import NotConfigured, get_connection
from statesync.sync.run import execute


class Command(BaseCommand):
    help = "Resync objects from the district edition to the state edition (DESIGN.md §6)."

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
        parser.add_argument("--wait", action="store_true", help="Run now and wait for the result.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args, **opts):
        try:
            get_connection()
        except NotConfigured as exc:
            raise CommandError(str(exc)) from None
        selected = (
            catalog.NAMES if opts["all"] else [n for n in opts["objects"].split(",") if n.strip()]
        )
        try:
            run = plan.create_run(selected, opts["mode"], opts["check_dependencies"], opts["year"])
        except (plan.PlanError, catalog.UnknownObject) as exc:
            raise CommandError(str(exc)) from None
        names = [ro.object for ro in run.objects_in_order]
        if not opts["json"]:
            self.stderr.write(
                f"Run {run.pk}: {run.mode} resync of {', '.join(names)} "
                f"for {catalog.year_label(run.school_year)}"
            )
        run = execute(run, on_progress=None if opts["json"] else self._progress)
        if opts["json"]:
            self.stdout.write(json.dumps(run.result()))
        else:
            self._summary(run)
        if run.status == "failed":
            sys.exit(1)

    def _progress(self, ro: RunObject) -> None:
        if self.stderr.isatty():
            self.stderr.write(
                f"\r  {ro.object:<18} {ro.processed:>9,}/{ro.total:,} "
                f"{ro.percent:>3}% {ro.rate:>9,.0f}/s",
                ending="",
            )

    def _summary(self, run) -> None:
        if self.stderr.isatty():
            self.stderr.write("")
        self.stdout.write(
            f"Run {run.pk} {run.status}" + (f": {run.message}" if run.message else "")
        )
        header = (
            f"{'object':<18} {'processed':>9} {'inserted':>9} {'updated':>8} "
            f"{'unchanged':>9} {'deleted':>8} {'errors':>7} {'seconds':>8}"
        )
        self.stdout.write(header)
        for ro in run.objects_in_order:
            self.stdout.write(
                f"{ro.object:<18} {ro.processed:>9,} {ro.inserted:>9,} {ro.updated:>8,} "
                f"{ro.unchanged:>9,} {ro.deleted:>8,} {ro.errors:>7,} {ro.seconds:>8.2f}"
            )
