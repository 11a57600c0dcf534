"""The `statesync` console script: Django's management commands, with statesync's own among them.

`statesync selective-sync …` runs the `selective_sync` command; anything Django knows
(`createsuperuser`, `shell`, `dbshell`) works as it would through manage.py.

Every command that may change data or start work is audited, as the operating-system user:
statesync's own record exactly what they did (`audits_itself`), and every other one that is
not in READ_ONLY is recorded here, at the door, with its arguments (secrets masked) before it
runs — so `createsuperuser`, `changepassword`, `flush`, `shell` and the rest leave a row too.
"""

from __future__ import annotations

import os
import re
import signal
import sys

from django.core.management import execute_from_command_line

from statesync.config import ConfigError
from statesync.gctune import collect_less_often

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


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except ConfigError as exc:  # a setting statesync cannot use: say which, no traceback
        print(f"statesync: {exc}", file=sys.stderr)
        return 2


def _main(argv: list[str] | None) -> int:
    # Piped into `head`, stop quietly as Unix tools do.
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
    door = args[0] if args and audited_at_the_door(args[0]) else None
    recorded = door is not None and _record(door, args[1:], quiet=True)
    collect_less_often()  # a resync or a worker makes rows and records by the hundred thousand
    ran = False  # a command refused with an error (SystemExit) changed nothing to audit
    try:
        execute_from_command_line(["statesync", *args])
        ran = True
    except KeyboardInterrupt:  # how long-running commands (demo, worker) end
        ran = True
        raise
    finally:
        if ran and door is not None and not recorded:  # `migrate` made the audit table
            _record(door, args[1:], quiet=False)
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


def audited_at_the_door(name: str) -> bool:
    """Whether `name` is audited here: it may change data, and does not audit itself."""
    import django  # noqa: PLC0415  (settings are chosen above, in main)
    from django.core.management import get_commands, load_command_class  # noqa: PLC0415

    if name in READ_ONLY:
        return False
    django.setup()
    app = get_commands().get(name)
    if app is None:
        return False  # Django will say it is unknown
    return not getattr(load_command_class(app, name), "audits_itself", False)


def masked(args: list[str]) -> list[str]:
    """The arguments as audited: the value of any token, password or secret option hidden."""
    shown: list[str] = []
    hide_next = False
    for arg in args:
        if hide_next:
            shown.append("***")
            hide_next = False
        elif arg.startswith("-") and _SECRET.search(arg):
            name, equals, _ = arg.partition("=")
            shown.append(f"{name}=***" if equals else arg)
            hide_next = not equals
        else:
            shown.append(arg)
    return shown


def _record(name: str, args: list[str], quiet: bool) -> bool:
    from django.db import DatabaseError  # noqa: PLC0415

    from statesync.access import audit  # noqa: PLC0415  (needs the apps loaded)

    try:
        audit.record_command(f"command.{name}", name, argv=masked(args))
    except DatabaseError as exc:
        if not quiet:
            print(f"statesync: {name} was not audited: {exc}", file=sys.stderr)
        return False
    return True
