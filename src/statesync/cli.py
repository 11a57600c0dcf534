"""The `statesync` console script: Django's management commands, with statesync's own among them.

`statesync selective-sync …` runs the `selective_sync` command; anything Django knows
(`createsuperuser`, `shell`, `dbshell`) works as it would through manage.py.

Every command that may change data or start work is audited, as the operating-system user,
however it was started: statesync/access/door.py.
"""

from __future__ import annotations

import os
import signal
import sys

from django.core.management import execute_from_command_line
from django.db import OperationalError

from statesync.core.commands import is_disk_full
from statesync.core.config import ConfigError
from statesync.core.gctune import collect_less_often


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except ConfigError as exc:  # a setting statesync cannot use: say which, no traceback
        print(f"statesync: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:  # the database away or full: what an operator acts on
        full = is_disk_full(exc)
        what = "has no room left (free space, then try again)" if full else "refused"
        print(f"statesync: the database {what}: {exc}", file=sys.stderr)
        return 1


def _main(argv: list[str] | None) -> int:
    if argv is None:
        # The console script, piped into `head`: stop quietly as Unix tools do. Only there: a
        # process that calls main() itself (the tests' workers) would be killed without a word
        # by its next write to a socket its peer had closed.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
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
    execute_from_command_line(["statesync", *args])  # audited at the door (access/door.py)
    return 0


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
