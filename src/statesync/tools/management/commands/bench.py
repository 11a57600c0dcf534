import json
from argparse import ArgumentTypeError
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from statesync.core.output import say
from statesync.tools import bench
from statesync.tools.bench import storm
from statesync.tools.demo.seed import parse_scale


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
        parser.add_argument(
            "--districts",
            type=district_counts,
            metavar="N[,N…]",
            help="Resync N district editions into one state at once (each N in turn) and "
            "measure aggregate rate, fairness, batch and real-time latency.",
        )
        parser.add_argument(
            "--plot", metavar="PNG", help="With several --districts: chart the figures into PNG."
        )
        parser.add_argument("--inside", action="store_true", help="(internal)")

    def handle(self, *args, scale, **opts):
        if opts["plot"] and not opts["districts"]:
            raise CommandError(
                "--plot charts the runs of --districts: give --districts too "
                "(the chart against size is --curve PNG)"
            )
        if opts["districts"]:
            self._storms(opts["districts"], str(scale), opts)
            return
        if opts["curve"]:
            bench.run_curve(Path(opts["curve"]), log=lambda m: say(self, m))
            return
        if not opts["inside"]:
            code = bench.run_outside(str(scale), opts["json"], opts["keep"], opts["calls"])
            if code:
                raise CommandError(f"the bench failed (exit {code})")
            return
        from statesync.tools.bench import inside  # noqa: PLC0415 (a district's models)

        report = inside.run_inside(scale, opts["calls"], log=lambda m: say(self, m))
        self.stdout.write(json.dumps(report.as_dict()) if opts["json"] else report.table())

    def _storms(self, counts: list[int], scale: str, opts: dict) -> None:
        reports = []
        for count in counts:
            report = storm.run_storm(count, scale, log=lambda m: say(self, m), keep=opts["keep"])
            reports.append(report.as_dict())
            if not opts["json"]:
                self.stdout.write(report.table())
        if opts["json"]:
            self.stdout.write(json.dumps(reports))
        if opts["plot"]:
            storm.plot(reports, Path(opts["plot"]))


def district_counts(text: str) -> list[int]:
    """'1,4,10' → [1, 4, 10]: how many district editions each storm runs."""
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise ArgumentTypeError(f"{text!r}: district counts are numbers, like 1,4,10") from None
    if not all(1 <= n <= 50 for n in counts):
        raise ArgumentTypeError(f"{text!r}: each count is 1 to 50 districts")
    return counts
