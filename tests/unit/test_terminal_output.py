"""What statesync's commands print: bars on a terminal, plain lines elsewhere, status unstyled."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

from django.core.management.base import BaseCommand, OutputWrapper
from django.utils import timezone

from statesync.core.output import count, say, when
from statesync.district.models import ObjectStatus, RunObject
from statesync.district.services.progress import ProgressPrinter


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def people(processed: int, status: str = ObjectStatus.RUNNING) -> RunObject:
    return RunObject(
        object="PersonIdentity", processed=processed, total=43_440, errors=12, status=status
    )


def test_a_terminal_gets_a_bar_redrawn_in_place():
    screen = Terminal()
    printer = ProgressPrinter(screen)
    printer.update(people(10_000))
    printer.update(people(43_440, ObjectStatus.DONE))
    printer.close()
    shown = screen.getvalue()
    assert "\r" in shown and "PersonIdentity" in shown and "errors 12" in shown
    assert "43.4k/43.4k" in shown  # the bar's count, scaled


def test_a_pipe_gets_one_plain_line_per_object_done():
    log = io.StringIO()
    printer = ProgressPrinter(log)
    printer.update(people(10_000))
    printer.update(people(43_440, ObjectStatus.DONE))
    printer.update(people(43_440, ObjectStatus.DONE))
    printer.close()
    assert log.getvalue() == "PersonIdentity: Processed: 43,440 Errors: 12 (0.0 s)\n"


def test_status_lines_are_not_painted_as_errors():
    command = BaseCommand(stderr=Terminal())
    assert isinstance(command.stderr, OutputWrapper)
    command.stderr.style_func = lambda text: f"<red>{text}</red>"  # as on a colour terminal
    say(command, "Run 3: differential resync of School")
    command.stderr.write("CommandError: something broke")
    status, error = command.stderr._out.getvalue().split("\n", 1)
    assert status == "Run 3: differential resync of School"
    assert error.startswith("<red>CommandError")


def test_every_time_names_its_zone():
    moment = dt.datetime(2026, 11, 29, 16, 5, 9, tzinfo=dt.UTC)
    with timezone.override(zoneinfo.ZoneInfo("America/Denver")):
        assert when(moment) == "11/29/2026 09:05:09 MST"
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):
        assert when(moment) == "11/29/2026 10:05:09 CST"
    assert when(None) == ""


def test_counts_agree_with_their_nouns():
    assert count(1, "entry", "entries") == "1 entry"
    assert count(2249, "entry", "entries") == "2,249 entries"
    assert count(0, "record") == "0 records"


def test_a_time_read_with_raw_sql_on_sqlite_is_utc_not_local(settings):
    """SQLite hands raw SQL Django's stored UTC as naive text: it is shown in the viewer's zone,
    not taken for a local time."""
    from django.utils import timezone

    from statesync.core.output import when
    from statesync.state.reports.overview import _when

    settings.TIME_ZONE = "America/Chicago"
    timezone.deactivate()
    assert when(_when("2024-01-15 18:00:00.000000")) == "01/15/2024 12:00:00 CST"


def test_the_command_line_says_a_full_disk_plainly(monkeypatch, capsys):
    """No traceback for what an operator acts on: the database full, or refusing."""
    from django.db import OperationalError

    from statesync import cli

    def full(argv):
        raise OperationalError("database or disk is full")

    monkeypatch.setattr(cli, "execute_from_command_line", full)
    assert cli.main(["status"]) == 1
    said = capsys.readouterr().err
    assert said.startswith("statesync: the database has no room left (free space, then try again)")
    assert "Traceback" not in said
