"""The configuration's system checks: an edition that fell back to SQLite by mistake says so."""

from __future__ import annotations

import os
import subprocess
import sys

from statesync.web.checks import unread_database_urls

PG = "postgres://statesync@db.example/statesync"


def test_a_state_given_only_the_districts_database_url_is_warned():
    (warning,) = unread_database_urls("state", {"DATABASE_URL": PG})
    assert warning.startswith("STATESYNC_ROLE=state keeps its data in SQLite")
    assert "STATE_DATABASE_URL is not set, though DATABASE_URL names a database server" in warning


def test_an_edition_with_its_own_url_or_on_sqlite_everywhere_is_not_warned():
    assert unread_database_urls("state", {"STATE_DATABASE_URL": PG, "DATABASE_URL": PG}) == []
    assert unread_database_urls("district", {"DATABASE_URL": PG, "ROUTER_DATABASE_URL": PG}) == []
    assert unread_database_urls("state", {"DATABASE_URL": "sqlite:///tmp/district.db"}) == []
    assert unread_database_urls("state", {}) == []
    assert unread_database_urls("both", {"STATE_DATABASE_URL": PG}) == []  # reads all three


def test_every_command_prints_the_warning(tmp_path):
    environ = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
    environ.update(STATESYNC_HOME=str(tmp_path), STATESYNC_ROLE="state", DATABASE_URL=PG)
    done = subprocess.run(
        [sys.executable, "-m", "statesync", "check"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # a warning: the edition still starts
    assert "(statesync.W001) STATESYNC_ROLE=state keeps its data in SQLite" in done.stderr
