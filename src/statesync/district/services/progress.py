"""Progress and results of a run on a terminal: a bar on a TTY, plain lines elsewhere."""

from __future__ import annotations

from typing import TextIO

from tqdm import tqdm

from statesync.district.models import Mode, ObjectStatus, Run, RunObject


class ProgressPrinter:
    """Per object: a bar redrawn in place on a terminal (tqdm), one line when it is done
    elsewhere (logs and pipes get no control characters)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.tty = stream.isatty()
        self.bar: tqdm | None = None
        self.current: str | None = None
        self.reported: set[str] = set()

    def update(self, ro: RunObject) -> None:
        if self.tty:
            if self.current != ro.object:
                self.close()
                self.current = ro.object
                self.bar = tqdm(
                    total=ro.total or None,
                    desc=f"{ro.object:<18}",
                    unit=" rec",
                    unit_scale=True,
                    file=self.stream,
                    leave=True,
                    dynamic_ncols=True,
                )
            assert self.bar is not None
            self.bar.total = ro.total or None
            self.bar.n = ro.processed
            self.bar.set_postfix_str(f"errors {ro.errors:,}", refresh=False)
            self.bar.refresh()
        elif ro.status == ObjectStatus.DONE and ro.object not in self.reported:
            self.reported.add(ro.object)
            self.stream.write(
                f"{ro.object}: Processed: {ro.processed:,} Errors: {ro.errors:,} "
                f"({ro.seconds:.1f} s)\n"
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    @staticmethod
    def table(run: Run) -> str:
        lines = [f"Run {run.pk} {run.status}" + (f": {run.message}" if run.message else "")]
        if run.mode == Mode.VERIFY:  # a verify compares only: its own columns, as its page
            lines.append(
                f"{'object':<18} {'records':>9} {'matching':>9} {'missing':>8} {'different':>9} "
                f"{'extra':>7} {'rejected':>8} {'drift':>7} {'seconds':>8}"
            )
            for ro in run.objects_in_order:
                lines.append(
                    f"{ro.object:<18} {ro.processed:>9,} {ro.unchanged:>9,} {ro.inserted:>8,} "
                    f"{ro.updated:>9,} {ro.deleted:>7,} {ro.rejected_known:>8,} {ro.drift:>7,} "
                    f"{ro.seconds:>8.2f}"
                )
            return "\n".join(lines)
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
