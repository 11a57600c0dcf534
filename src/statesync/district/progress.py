"""Progress and results of a run on a terminal: a bar on a TTY, plain lines elsewhere."""

from __future__ import annotations

from typing import TextIO

from statesync.district.models import ObjectStatus, Run, RunObject

BAR = 30


class ProgressPrinter:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.current: str | None = None
        self.reported: set[str] = set()

    def update(self, ro: RunObject) -> None:
        if self.tty:
            filled = BAR * ro.percent // 100
            bar = "#" * filled + "-" * (BAR - filled)
            if self.current and self.current != ro.object:
                self.stream.write("\n")
            self.current = ro.object
            self.stream.write(
                f"\r{ro.object:<18} [{bar}] {ro.percent:>3}% "
                f"{ro.processed:>9,}/{ro.total:,} {ro.rate:>9,.0f}/s errors {ro.errors:,}"
            )
            self.stream.flush()
        elif ro.status == ObjectStatus.DONE and ro.object not in self.reported:
            self.reported.add(ro.object)
            self.stream.write(
                f"{ro.object}: Processed: {ro.processed} Errors: {ro.errors} ({ro.seconds:.1f} s)\n"
            )

    def close(self) -> None:
        if self.tty and self.current:
            self.stream.write("\n")

    @staticmethod
    def table(run: Run) -> str:
        lines = [f"Run {run.pk} {run.status}" + (f": {run.message}" if run.message else "")]
        lines.append(
            f"{'object':<18} {'processed':>9} {'inserted':>9} {'updated':>8} "
            f"{'unchanged':>9} {'deleted':>8} {'errors':>7} {'seconds':>8}"
        )
        for ro in run.objects_in_order:
            lines.append(
                f"{ro.object:<18} {ro.processed:>9,} {ro.inserted:>9,} {ro.updated:>8,} "
                f"{ro.unchanged:>9,} {ro.deleted:>8,} {ro.errors:>7,} {ro.seconds:>8.2f}"
            )
        return "\n".join(lines)
