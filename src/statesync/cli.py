"""The `statesync` console script: Django's management commands, with statesync's own among them.

`statesync selective-sync …` runs the `selective_sync` command; anything Django knows
(`createsuperuser`, `shell`, `dbshell`) works as it would through manage.py.
"""

from __future__ import annotations

import os
import signal
import sys

from django.core.management import execute_from_command_line


def main(argv: list[str] | None = None) -> int:
    # Piped into `head`, stop quietly as Unix tools do.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statesync.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["statesync", *args])
    return 0
