"""The `statesync` console script: Django's management commands, with statesync's own among them.

`statesync selective-sync …` runs the `selective_sync` command; anything Django knows
(`createsuperuser`, `shell`, `dbshell`) works as it would through manage.py.

Every command that may change data or start work is audited, as the operating-system user,
however it was started: statesync/access/door.py.
"""

from __future__ import annotations

import os
import sys

from django.core.management import execute_from_command_line
from django.db import OperationalError

from statesync.core.commands import is_disk_full
from statesync.core.config import ConfigError
from statesync.core.gctune import collect_less_often
from statesync.core.stacks import dump_stacks_on_signal


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # piped into `head`, which stopped reading: stop quietly
        return _stdout_closed()
    except ConfigError as exc:  # a setting statesync cannot use: say which, no traceback
        print(f"statesync: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:  # the database away or full: what an operator acts on
        full = is_disk_full(exc)
        what = "has no room left (free space, then try again)" if full else "refused"
        print(f"statesync: the database {what}: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statesync.settings")
    if args in ([], ["help"], ["--help"], ["-h"]):
        print(usage())
        return 0
    if args == ["help", "--all"]:
        args = ["help"]  # Django's own list, development commands and all
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    collect_less_often()  # a resync or a worker makes rows and records by the hundred thousand
    dump_stacks_on_signal()
    execute_from_command_line(["statesync", *args])  # audited at the door (access/door.py)
    return 0


def _stdout_closed() -> int:
    """What Unix tools do when their reader went away: no traceback, no more output.

    SIGPIPE stays ignored, as Python leaves it: reset to its default (what statesync did
    before), any write to a socket its peer had closed killed the process without a word
    (exit 141) instead of raising the error a resync or a worker retries on.
    """
    # Python flushes stdout again at exit; point it at nothing so that says nothing either.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def usage() -> str:
    """statesync's own commands, one line each (Django's are one `help --all` away)."""
    import django  # noqa: PLC0415  (settings are chosen in main)
    from django.core.management import get_commands, load_command_class  # noqa: PLC0415

    django.setup()
    ours = sorted(name for name, app in get_commands().items() if app.startswith("statesync"))
    width = max(len(name) for name in ours) + 2
    lines = ["usage: statesync COMMAND [options]    (statesync COMMAND --help for its options)", ""]
    for name in ours:
        summary = str(load_command_class(get_commands()[name], name).help).split(". ")[0]
        lines.append(f"  {name.replace('_', '-'):<{width}}{summary.rstrip('.')}")
    lines += [
        "",
        "Also every Django command: createsuperuser, changepassword, shell, dbshell…",
        "(statesync help --all lists them).",
    ]
    return "\n".join(lines)
