"""What statesync's everyday commands share, and what they and a run say of a full disk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.management.base import BaseCommand

from statesync.core import csvfile, wire


class EverydayCommand(BaseCommand):
    """A command an operator or a script runs often (resync, status, state, dis …).

    Django's system checks load every URL and view first, which made each call about a third
    slower; they run where a deployment starts instead: `statesync check`, `migrate`, `serve`
    and `worker`.
    """

    requires_system_checks: list[str] = []

    def write_rows(self, header: Sequence[str], rows: Iterable[Sequence], form: str) -> None:
        """Rows as CSV, or as a JSON array of objects written an item at a time (a million
        rows never sit in memory)."""
        if form == "csv":
            writer = csvfile.Writer(self.stdout, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
            return
        self.stdout.write("[", ending="")
        for n, row in enumerate(rows):
            item = dict(zip(header, row, strict=True))
            self.stdout.write(("," if n else "") + wire.json_text(item), ending="")
        self.stdout.write("]")


def is_disk_full(exc: BaseException) -> bool:
    """Whether a database error says there is no room left (SQLite's words, PostgreSQL's
    SQLSTATE 53100): what an operator frees space for, not a fault to report."""
    cause = exc.__cause__ or exc
    return "database or disk is full" in str(exc) or getattr(cause, "sqlstate", "") == "53100"
