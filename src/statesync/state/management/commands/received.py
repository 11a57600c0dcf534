from django.core.management.base import CommandError

from statesync.core.commands import EverydayCommand
from statesync.core.db.routers import state_db
from statesync.core.messagelog import FilterError, add_filter_arguments, options_query
from statesync.core.output import say
from statesync.state.ingest import received
from statesync.state.models import District
from statesync.state.models.messages import Origin, Result
from statesync.state.reports import messages as history
from statesync.state.reports.messages import ReceivedFilter


class Command(EverydayCommand):
    help = (
        "The state's Message History of one district: every message its doors brought the "
        "state, newest first, with the page's filters; --prune removes what is past "
        "STATESYNC_MESSAGES_KEEP_DAYS for every district."
    )

    def add_arguments(self, parser):
        parser.add_argument("--district", help="The district's 4-digit state number.")
        add_filter_arguments(parser, Origin.values, Result.values, list(history.ID_KINDS))
        parser.add_argument("--prune", action="store_true")

    def handle(self, *args, **opts):
        if opts["prune"]:
            removed = received.prune(state_db())
            return say(self, f"removed {removed} messages past their age")
        if not opts["district"]:
            raise CommandError("Name the district: --district NUMBER (or --prune).")
        district = District.objects.filter(number=opts["district"]).first()
        if district is None:
            raise CommandError(f"No district {opts['district']!r} is registered at the state.")
        try:
            found = ReceivedFilter.parse(district, options_query(opts)).messages()
        except FilterError as bad:
            raise CommandError(str(bad)) from None
        if opts["limit"]:
            found = found[: opts["limit"]]
        rows = history.csv_rows(found, district.number)
        if opts["json"] or opts["format"] != "table":
            return self.write_rows(
                history.CSV_HEADER, rows, "json" if opts["json"] else opts["format"]
            )
        self.stdout.write(f"{'message':>8}  {'received':<25} {'object':<18} {'door':<12} result")
        for pk, _, obj, door, at, _, _, result, records, *_, rejected, codes in rows:
            detail = f" {rejected}/{records} ({codes})" if rejected else f" {records} records"
            self.stdout.write(f"{pk:>8}  {at:<25} {obj:<18} {door:<12} {result}{detail}")
