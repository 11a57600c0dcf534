from django.core.management.base import CommandError

from statesync.access.audit import record_command
from statesync.core import catalog, wire
from statesync.core.commands import EverydayCommand
from statesync.core.idlists import SelectionError, parse_ids
from statesync.state.ingest import removal
from statesync.state.models import District

TOO_MANY = "More than {limit:,} IDs were given; one removal takes at most {limit:,}."


class Command(EverydayCommand):
    audits_itself = True  # a removal is recorded with every record removed; a plan only reads
    help = (
        "Records in a district's copy at the state. 'delete' removes records (and what hangs "
        "under them) the district no longer has or sent in error: it shows what would go and "
        "removes it only with --yes."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        delete = sub.add_parser("delete", help="Remove records from a district's copy.")
        delete.add_argument("object")
        delete.add_argument("ids", nargs="+", help="IDs, separated by spaces or commas.")
        delete.add_argument("--district", required=True, help="The district's number.")
        delete.add_argument("--yes", action="store_true", help="Remove, not only show.")
        delete.add_argument("--json", action="store_true")

    def handle(self, *args, action, **opts):
        try:
            name = catalog.parse_names([opts["object"]])[0]
        except catalog.UnknownObject as exc:
            raise CommandError(str(exc)) from None
        district = District.objects.filter(number=opts["district"]).first()
        if district is None:
            raise CommandError(f"No district {opts['district']!r} is registered at the state.")
        try:
            parsed = parse_ids(" ".join(opts["ids"]), too_many=TOO_MANY)
        except SelectionError as exc:
            raise CommandError(str(exc)) from None
        if parsed.not_ids:
            raise CommandError(f"Not IDs: {', '.join(parsed.not_ids[:10])}. Nothing was removed.")
        if opts["yes"]:
            done = removal.remove(district, name, parsed.ids, "command line")
            record_command(
                "records.remove", f"district {district.number}: {name}", **done.as_dict()
            )
        else:
            done = removal.plan(district, name, parsed.ids)
        self._say(done, opts["yes"], opts["json"])

    def _say(self, done: removal.Plan, removed: bool, as_json: bool) -> None:
        if as_json:
            self.stdout.write(wire.json_text({"removed_now": removed, **done.as_dict()}))
            return
        verb = "Removed" if removed else "Would remove"
        counts = ", ".join(f"{n} {name}" for name, n in done.counts()) or "nothing"
        self.stdout.write(f"{verb} {done.total} records: {counts}.")
        if done.missing:
            self.stdout.write(f"Not in the district's copy: {', '.join(map(str, done.missing))}.")
        for record_id, why in done.refused.items():
            self.stdout.write(f"Kept, E-YEAR-CLOSED: {done.obj.name} {record_id}: {why}")
        if not removed and done.total:
            self.stdout.write("Run again with --yes to remove them.")
