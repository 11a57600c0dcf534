"""How statesync's commands talk on a terminal."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone


def say(command: BaseCommand, message: str) -> None:
    """A status line on stderr, unstyled: Django paints all of stderr as an error, and a line
    saying what is happening is not one."""
    command.stderr.write(message, style_func=_plain)


def _plain(text: str) -> str:
    return text


def when(moment: dt.datetime | str | None) -> str:
    """A time as every page and command shows it: in the current zone, which it names.

    An ISO 8601 string (a time kept in JSON, as a district reported it) is read first."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment) if moment else None
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%m/%d/%Y %H:%M:%S %Z")


def count(n: int, singular: str, plural: str = "") -> str:
    """ "1 entry", "2,249 entries": the number thousands-separated, the noun agreeing."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
