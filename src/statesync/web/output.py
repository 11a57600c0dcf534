"""How statesync's commands talk on a terminal."""

from __future__ import annotations

from django.core.management.base import BaseCommand


def say(command: BaseCommand, message: str) -> None:
    """A status line on stderr, unstyled: Django paints all of stderr as an error, and a line
    saying what is happening is not one."""
    command.stderr.write(message, style_func=_plain)


def _plain(text: str) -> str:
    return text
