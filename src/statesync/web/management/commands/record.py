"""`statesync record show|delete`: one record, in whichever edition this is.

In a district, `show` is the Data Tool (the district's values, the last sent, the state's copy,
its errors and messages). At the state, `show --district NNNN` is that district's copy, its
rejection and any removal; `delete` is the Record Deleter. Editions' modules are imported
inside each branch: a role has only its own apps installed.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from statesync.access.audit import record_command
from statesync.core import catalog, wire
from statesync.core.commands import EverydayCommand
from statesync.core.idlists import SelectionError, parse_ids

TOO_MANY = "More than {limit:,} IDs were given; one removal takes at most {limit:,}."


class Command(EverydayCommand):
    audits_itself = True  # a removal is recorded with every record removed; the rest reads
    help = (
        "One record on both sides ('show'), or records removed from a district's copy at the "
        "state ('delete': shows what would go, removes it only with --yes)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        show = sub.add_parser("show", help="A record: the district's, the state's, its errors.")
        show.add_argument("object")
        show.add_argument("id", type=int)
        show.add_argument("--district", help="At the state: whose copy.")
        show.add_argument("--json", action="store_true")
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
        at_state = settings.ROLE == "state" or (settings.ROLE == "both" and opts["district"])
        if action == "delete" and settings.ROLE == "district":
            raise CommandError("The Record Deleter is the state's: run it at the state edition.")
        if action == "show" and not at_state:
            return self._write(self._district_look(name, opts["id"]), opts["json"])
        if action == "show" and not opts["district"]:
            raise CommandError("At the state, say whose copy: --district NNNN.")
        district = self._district(opts["district"])
        if action == "show":
            return self._write(self._state_look(district, name, opts["id"]), opts["json"])
        return self._delete(district, name, opts)

    def _district(self, number: str):
        from statesync.state.models import District  # noqa: PLC0415  (the state's app)

        found = District.objects.filter(number=number).first()
        if found is None:
            raise CommandError(f"No district {number!r} is registered at the state.")
        return found

    def _district_look(self, name: str, record_id: int) -> dict[str, Any]:
        from statesync.core.sync.client import StateError  # noqa: PLC0415
        from statesync.district.services import datatool  # noqa: PLC0415  (the district's)
        from statesync.district.services.dis import state_client  # noqa: PLC0415

        try:
            with state_client(retries=0) as client:
                look = datatool.look(name, record_id, client)
        except StateError as exc:
            look = datatool.look(name, record_id, None)
            look.state_problem = str(exc)
        return datatool.as_dict(look)

    def _state_look(self, district, name: str, record_id: int) -> dict[str, Any]:
        from statesync.state.reports.record import held_record  # noqa: PLC0415  (the state's)

        return held_record(district, name, record_id).as_dict()

    def _write(self, found: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.stdout.write(wire.json_text(found))
            return
        for key, value in found.items():
            if isinstance(value, dict):
                self.stdout.write(f"{key}:")
                for column, cell in value.items():
                    self.stdout.write(f"  {column:<24} {wire.json_text(cell)}")
            else:
                self.stdout.write(f"{key + ':':<26} {wire.json_text(value)}")

    def _delete(self, district, name: str, opts: dict) -> None:
        from statesync.state.ingest import removal  # noqa: PLC0415  (the state's)

        try:
            parsed = parse_ids(" ".join(opts["ids"]), too_many=TOO_MANY)
        except SelectionError as exc:
            raise CommandError(str(exc)) from None
        if parsed.not_ids:
            raise CommandError(f"Not IDs: {', '.join(parsed.not_ids[:10])}. Nothing was removed.")
        if opts["yes"]:
            done = removal.remove(district, name, parsed.ids, "command line")
            target = f"district {district.number}: {name}"
            record_command("records.remove", target, **done.as_dict())
        else:
            done = removal.plan(district, name, parsed.ids)
        if opts["json"]:
            self.stdout.write(wire.json_text({"removed_now": opts["yes"], **done.as_dict()}))
            return
        counts = ", ".join(f"{n} {obj}" for obj, n in done.counts()) or "nothing"
        verb = "Removed" if opts["yes"] else "Would remove"
        self.stdout.write(f"{verb} {done.total} records: {counts}.")
        if done.missing:
            self.stdout.write(f"Not in the district's copy: {', '.join(map(str, done.missing))}.")
        for record_id, why in done.refused.items():
            self.stdout.write(f"Kept, E-YEAR-CLOSED: {done.obj.name} {record_id}: {why}")
        if not opts["yes"] and done.total:
            self.stdout.write("Run again with --yes to remove them.")
