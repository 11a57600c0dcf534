"""System checks on how statesync is configured (shown by `statesync check`, `serve`, `migrate`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core import checks


def unread_database_urls(role: str, environ: Mapping[str, str]) -> list[str]:
    """Why an edition that fell back to SQLite was probably meant to use another database: its
    own URL is unset while another edition's names a database server, which it ignores."""
    own = settings.DATABASE_URLS.get(role)
    if own is None or environ.get(own):
        return []
    return [
        f"STATESYNC_ROLE={role} keeps its data in SQLite under STATESYNC_HOME because {own} is "
        f"not set, though {name} names a database server, which only the {edition} edition "
        f"reads: set {own} to that address if this edition is to use it"
        for edition, name in settings.DATABASE_URLS.items()
        if edition != role and environ.get(name, "").split(":", 1)[0] not in ("", "sqlite")
    ]


@checks.register()
def check_database_urls(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Warning(message, id="statesync.W001")
        for message in unread_database_urls(settings.ROLE, os.environ)
    ]
