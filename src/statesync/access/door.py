"""Commands audited at the door: every management command that may change data or start work,
whichever way it was started (`statesync`, `django-admin`, `manage.py`), leaves an audit row.

statesync's own commands record exactly what they did (`audits_itself`); every other one not
in READ_ONLY is recorded here, before it runs, with its arguments (secrets masked, the code of
`shell -c` by its length and digest only) — so `createsuperuser`, `changepassword`, `flush`,
`shell` and the rest leave a row too. The door is Django's BaseCommand.run_from_argv, the way
every command line reaches a command (call_command from code does not: its caller audits).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable
from typing import Any

from django.core.management import BaseCommand
from django.db import DatabaseError

from statesync.access import audit

# Commands that only read, or only write files of a developer's checkout: nothing to audit.
READ_ONLY = frozenset(
    {
        "axes_list_attempts",
        "bench",  # works in a throw-away data folder of its own
        "check",
        "compilemessages",
        "diffsettings",
        "findstatic",
        "help",
        "inspectdb",
        "makemessages",
        "makemigrations",
        "optimizemigration",
        "runs",
        "showmigrations",
        "sqlflush",
        "sqlmigrate",
        "sqlsequencereset",
        "squashmigrations",
        "startapp",
        "startproject",
        "status",
        "test",
        "version",
    }
)
_SECRET = re.compile(r"token|password|secret", re.IGNORECASE)
_CODE = ("-c", "--command")  # `shell -c CODE`: code may set a password or hold a token


def audited_at_the_door(command: BaseCommand) -> bool:
    """Whether `command` is audited here: it may change data, and does not audit itself."""
    name = command.__module__.rsplit(".", 1)[-1]
    return name not in READ_ONLY and not getattr(command, "audits_itself", False)


def masked(args: list[str]) -> list[str]:
    """The arguments as audited: the value of any token, password or secret option hidden,
    and code given to run by its length and digest (enough to match a script, not to read it)."""
    shown: list[str] = []
    hide_next: Callable[[str], str] | None = None
    for arg in args:
        name, equals, value = arg.partition("=")
        if hide_next is not None:
            shown.append(hide_next(arg))
            hide_next = None
        elif arg.startswith("-") and name in _CODE:
            shown.append(f"{name}={_code(value)}" if equals else arg)
            hide_next = None if equals else _code
        elif arg.startswith("-") and _SECRET.search(arg):
            shown.append(f"{name}=***" if equals else arg)
            hide_next = None if equals else (lambda _: "***")
        else:
            shown.append(arg)
    return shown


def _code(code: str) -> str:
    return f"<{len(code)} characters, sha256 {hashlib.sha256(code.encode()).hexdigest()[:12]}>"


def _record(name: str, args: list[str], quiet: bool) -> bool:
    try:
        audit.record_command(f"command.{name}", name, argv=masked(args))
    except DatabaseError as exc:
        if not quiet:
            print(f"statesync: {name} was not audited: {exc}", file=sys.stderr)
        return False
    return True


def install() -> None:
    """Put the door on every command line's way into a command (once, at start-up)."""
    if getattr(BaseCommand.run_from_argv, "audited_door", False):
        return
    through = BaseCommand.run_from_argv

    def run_from_argv(self: BaseCommand, argv: list[str]) -> Any:
        if not audited_at_the_door(self):
            return through(self, argv)
        name, args = argv[1], list(argv[2:])
        recorded = _record(name, args, quiet=True)
        ran = False  # a command refused with an error (SystemExit) changed nothing to audit
        try:
            result = through(self, argv)
            ran = True
            return result
        except KeyboardInterrupt:  # how long-running commands (demo, worker) end
            ran = True
            raise
        finally:
            if ran and not recorded:  # `migrate` made the audit table
                _record(name, args, quiet=False)

    run_from_argv.audited_door = True  # type: ignore[attr-defined]
    BaseCommand.run_from_argv = run_from_argv  # type: ignore[method-assign]
