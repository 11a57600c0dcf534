"""Test databases migrated once and copied for each pytest-xdist worker.

Each worker used to migrate its own three databases before its first test (about 5 s of CPU
each). Now the first worker to get here migrates them and keeps a copy, named by what they
depend on; the others copy it and have Django keep what they copied (keepdb): a SQLite file
copied, a PostgreSQL database created from it as a template. Django still migrates a kept
database, so a migration the copy lacks (a library's new one) is applied there; a change to
one of statesync's own migrations names a new copy.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import django
import psycopg
from django.db import connections

from tests.environment import CHECKOUT, RUNS

TEMPLATE_PREFIX = "statesync_template_"


def key() -> str:
    """What the migrated databases depend on: statesync's migrations, Django's version and
    each database's vendor."""
    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted((CHECKOUT / "src" / "statesync").rglob("migrations/*.py")):
        digest.update(path.relative_to(CHECKOUT).as_posix().encode() + path.read_bytes())
    for alias in sorted(connections):
        digest.update(f"{alias}:{connections[alias].vendor}".encode())
    return digest.hexdigest()[:12]


@contextlib.contextmanager
def first_come() -> Iterator[None]:
    """One worker at a time, across the run's processes: the first makes the copy."""
    RUNS.mkdir(parents=True, exist_ok=True)
    with open(RUNS / "databases.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def copy_in(name: str) -> bool:
    """Give this worker the copy named `name` of every database, if there is one: whether
    there was."""
    if not all(_held(name, alias) for alias in connections):
        return False
    for alias in connections:
        if connections[alias].vendor == "postgresql":
            with _admin(alias) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{_test_name(alias)}" WITH (FORCE)')
                admin.execute(
                    f'CREATE DATABASE "{_test_name(alias)}" TEMPLATE {_copy(name, alias)}'
                )
        else:
            shutil.copyfile(_copy(name, alias), _test_name(alias))
    return True


def keep(name: str) -> None:
    """Keep this worker's freshly migrated databases as the copy named `name`, in place of
    any copy made before a migration changed."""
    for alias in connections:
        connections[alias].close()  # a template must have no session on it
        if connections[alias].vendor == "postgresql":
            with _admin(alias) as admin:
                pattern = f"{TEMPLATE_PREFIX}%_{alias}"
                made = admin.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", [pattern]
                )
                for (older,) in made.fetchall():
                    admin.execute(f'DROP DATABASE IF EXISTS "{older}"')
                admin.execute(
                    f'CREATE DATABASE {_copy(name, alias)} TEMPLATE "{_test_name(alias)}"'
                )
        else:
            for older in RUNS.glob(f"{TEMPLATE_PREFIX}*_{alias}.sqlite3"):
                older.unlink()
            partial = f"{_copy(name, alias)}.partial"
            shutil.copyfile(_test_name(alias), partial)
            shutil.move(partial, _copy(name, alias))  # whole or not at all


def _copy(name: str, alias: str) -> str:
    """The copy's PostgreSQL database, or its SQLite file."""
    if connections[alias].vendor == "postgresql":
        return f"{TEMPLATE_PREFIX}{name}_{alias}"
    return str(RUNS / f"{TEMPLATE_PREFIX}{name}_{alias}.sqlite3")


def _held(name: str, alias: str) -> bool:
    if connections[alias].vendor != "postgresql":
        return Path(_copy(name, alias)).exists()
    with _admin(alias) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [_copy(name, alias)])
        return found.fetchone() is not None


def _test_name(alias: str) -> str:
    """The worker's test database, as Django names it (with the worker's suffix)."""
    return str(connections[alias].creation._get_test_db_name())


@contextlib.contextmanager
def _admin(alias: str) -> Iterator[psycopg.Connection]:
    """A session on the server's `postgres` database, where databases are made and dropped."""
    s = connections[alias].settings_dict
    user, host, port = s.get("USER") or "postgres", s.get("HOST") or "127.0.0.1", s.get("PORT")
    with psycopg.connect(f"postgres://{user}@{host}:{port or 5432}/postgres", autocommit=True) as c:
        yield c
