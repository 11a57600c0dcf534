import argparse
import json
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction

from statesync.access import audit
from statesync.core.commands import EverydayCommand
from statesync.core.sync.client import NotConfigured, get_connection
from statesync.district.models import SelectiveSync
from statesync.district.services import selective


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = (
        "Sync persons or enrollments by district ID (docs/DESIGN.md §8), recorded in Sync History."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--object",
            required=True,
            type=_selective_object,
            help=f"{' or '.join(selective.OBJECTS)} (any case).",
        )
        ids = parser.add_mutually_exclusive_group(required=True)
        ids.add_argument("--ids", help="IDs separated by line breaks, commas or spaces.")
        ids.add_argument("--ids-file", help="A file of IDs ('-' reads standard input).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, object, ids, ids_file, **opts):
        try:
            get_connection()
        except NotConfigured as exc:
            raise CommandError(str(exc)) from None
        if ids_file:
            try:
                ids = sys.stdin.read() if ids_file == "-" else Path(ids_file).read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"cannot read {ids_file}: {exc}") from None
        try:
            parsed = selective.parse_ids(ids)
        except selective.SelectionError as exc:
            raise CommandError(str(exc)) from None
        if not parsed.ids:
            raise CommandError(
                f"no IDs found: IDs are whole numbers; not IDs: {', '.join(parsed.not_ids[:10])}"
            )
        with transaction.atomic():
            entry = SelectiveSync.create_held(
                object=object, ids_asked=parsed.ids, not_ids=parsed.not_ids
            )
            audit.record_command(
                "selective.sync",
                f"selective sync {entry.pk}",
                object=object,
                ids=parsed.ids[:1000],
                count=len(parsed.ids),
            )
        entry = selective.perform(entry, held=True)
        if opts["json"]:
            self.stdout.write(json.dumps(entry.as_dict()))
        else:
            self.stdout.write(f"Synced {len(entry.synced)}: {_short(entry.synced)}")
            for label, values in (("Not found", entry.not_found), ("Not IDs", entry.not_ids)):
                if values:
                    self.stdout.write(f"{label} ({len(values)}): {_short(values)}")
            for record_id, errors in entry.rejected.items():
                for e in errors:
                    self.stdout.write(
                        f"Rejected {object} {record_id}: {e['code']} {e['field']}: {e['message']}"
                    )
            if entry.message:
                self.stdout.write(entry.message)
        if entry.status == SelectiveSync.Status.FAILED:
            raise CommandError(entry.message)


def _short(values: list, most: int = 20) -> str:
    shown = ", ".join(str(v) for v in values[:most])
    return shown + (f", … ({len(values) - most} more)" if len(values) > most else "")


def _selective_object(text: str) -> str:
    """The object's catalogue spelling, whatever the case typed."""
    by_lower = {name.lower(): name for name in selective.OBJECTS}
    if text.strip().lower() not in by_lower:
        raise argparse.ArgumentTypeError(
            f"{text!r} cannot be synced selectively; choose {' or '.join(selective.OBJECTS)}"
        )
    return by_lower[text.strip().lower()]
