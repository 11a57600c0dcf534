import json

from django.core.management.base import CommandError

from statesync.core import catalog, csvfile
from statesync.core.commands import EverydayCommand
from statesync.district.services.errorlog import COLUMNS, BadFilter, filtered


class Command(EverydayCommand):
    help = "The error log: what the state rejects now, and why (--history: every run's entries)."

    def add_arguments(self, parser):
        parser.add_argument("--run", type=int)
        parser.add_argument("--object")
        parser.add_argument("--code", help="Rule code, e.g. E-PARENT.")
        parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
        parser.add_argument("--json", action="store_true", help="The same as --format json.")
        parser.add_argument("--limit", type=int, default=0, help="At most this many rows (0: all).")
        parser.add_argument(
            "--history", action="store_true", help="Every run's entries, not only the latest."
        )

    def handle(self, *args, **opts):
        if opts["object"]:
            try:
                opts["object"] = catalog.parse_names([opts["object"]])[0]
            except catalog.UnknownObject as exc:
                raise CommandError(str(exc)) from None
        chosen = {k: str(opts[k] or "") for k in ("run", "object")}
        chosen["code"] = (opts["code"] or "").upper()
        chosen["history"] = "1" if opts["history"] else ""
        try:
            entries, _ = filtered(chosen)
        except BadFilter as bad:
            raise CommandError(str(bad)) from None
        entries = entries.order_by("id")
        if opts["limit"]:
            entries = entries[: opts["limit"]]
        rows = (e.as_dict() for e in entries.iterator(chunk_size=2000))
        if opts["json"] or opts["format"] == "json":
            self.stdout.write(json.dumps(list(rows)))
        elif opts["format"] == "csv":
            writer = csvfile.Writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([row[c] for c in COLUMNS] for row in rows)
        else:
            self.stdout.write(f"{'run':>6}  {'object':<18} {'record':>10}  {'rule':<12} message")
            for row in rows:
                run = row["run"] if row["run"] is not None else row["source"]
                self.stdout.write(
                    f"{run!s:>6}  {row['object']:<18} {row['record_id']:>10}  "
                    f"{row['code']:<12} {row['message']}"
                )
