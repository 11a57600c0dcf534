from django.core.management.base import CommandError

from statesync.access import audit
from statesync.core.commands import EverydayCommand
from statesync.core.output import count, when
from statesync.district.models import SchoolYear
from statesync.district.models.years import RolloverRefused
from statesync.district.services.years import report_years_now


class Command(EverydayCommand):
    audits_itself = True  # a rollover is recorded with its outcome; status only reads
    help = (
        "School years: where the scoped year stands (status), or switch to the next one after "
        "its end-of-year resync (rollover)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("status", help="The scoped year and its mandatory resyncs.")
        rollover = actions.add_parser("rollover", help="Make the next school year the scoped one.")
        rollover.add_argument(
            "--anyway",
            action="store_true",
            help="Roll over although the end-of-year resync ended with errors (audited).",
        )

    def handle(self, *args, action, **options):
        if action == "status":
            self._status(SchoolYear.scoped())
            return
        old = SchoolYear.scoped()
        try:
            new = SchoolYear.rollover(anyway=options["anyway"])
        except RolloverRefused as refused:
            lines = [str(refused)]
            lines += [f"  {name}: {count(n, 'error')}" for name, n in refused.objects.items()]
            if refused.objects:
                lines.append("Run `statesync year rollover --anyway` to roll over all the same.")
            raise CommandError("\n".join(lines)) from None
        audit.record_command(
            "year.rollover",
            f"school year {new.label}",
            previous=old.end_year,
            anyway=options["anyway"],
        )
        report_years_now()
        self.stdout.write(
            f"The scoped school year is now {new.label}. Its start-of-year resync is due: run a "
            "full resync of every object (`statesync resync --all`)."
        )

    def _status(self, year: SchoolYear) -> None:
        self.stdout.write(f"Scoped school year: {year.label}")
        last = year.end_of_year_run()
        end = "none yet" if last is None else _described(last)
        self.stdout.write(f"  Latest full resync (its end-of-year resync so far): {end}")
        if year.scoped_at is not None:
            start = year.start_of_year_run
            self.stdout.write(f"  Start-of-year resync: {_described(start) if start else 'due'}")
        for previous in SchoolYear.offered()[1:]:
            self.stdout.write(
                f"  {SchoolYear.objects.get(pk=previous).label} stays open until its "
                "end-of-year resync ends without errors."
            )


def _described(run) -> str:
    return f"run {run.pk}, ended {when(run.finished_at)}, {count(run.errors, 'error')}"
