"""Tests that make their own SQLite data folder run once, in the SQLite pass."""

from __future__ import annotations

import pytest
from django.db import connections

OWN_SQLITE = (
    "runs on a SQLite data folder of its own whatever the tests' database: the SQLite pass "
    "runs this"
)


def sqlite_pass_only() -> None:
    """Skip in the PostgreSQL pass a test whose processes never touch the tests' database:
    run twice it would prove nothing more, and each costs that pass seconds to a minute."""
    if connections["default"].vendor != "sqlite":
        pytest.skip(OWN_SQLITE)
