import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from statesync import bench
from statesync.bench import inside
from statesync.demo.seed import parse_scale
from statesync.web.output import say


class Command(BaseCommand):
    help = (
        "Measure statesync against the raw database rate (docs/DESIGN.md §11). Builds its own data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            default="large",
            type=parse_scale,
            help="small, seed, large, or a number of records (≥ 1000).",
        )
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--keep", action="store_true", help="Keep the bench's data folder.")
        parser.add_argument(
            "--curve",
            metavar="PNG",
            help="Run at 10k, 30k, 100k, 300k and 1M records and chart them into PNG.",
        )
        parser.add_argument(
            "--calls",
            type=int,
            default=200,
            help="Selective syncs timed, alone and beside stalled clients (default 200).",
        )
        parser.add_argument("--inside", action="store_true", help="(internal)")

    def handle(self, *args, scale, **opts):
        if opts["curve"]:
            bench.run_curve(Path(opts["curve"]), log=lambda m: say(self, m))
            return
        if not opts["inside"]:
            code = bench.run_outside(str(scale), opts["json"], opts["keep"], opts["calls"])
            if code:
                raise CommandError(f"the bench failed (exit {code})")
            return
        report = inside.run_inside(scale, opts["calls"], log=lambda m: say(self, m))
        self.stdout.write(json.dumps(report.as_dict()) if opts["json"] else report.table())
