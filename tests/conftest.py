"""Fixtures shared by every test area.

Services: outside CI a test that needs PostgreSQL, Redis or Chromium skips with the reason;
under CI=true it fails instead, so nothing is silently skipped there.
"""

from __future__ import annotations

import gc
import os
import threading

import pytest
from django.db import connections
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test.utils import setup_databases, teardown_databases

from statesync.core.db.routers import state_db
from statesync.state.models import District
from statesync.state.people import resolver
from statesync.tools.demo import seed
from tests.reliability import figures
from tests.support import databases, flush
from tests.support.fixes import issue_state_ids

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(available: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a service the test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings):
    """Tests make hundreds of users and logins; production's hasher spends about a third of a
    second on each, on purpose. Servers and workers started as processes keep it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """The test databases: migrated by the first worker, copied by the rest
    (tests/support/databases.py), dropped at the end."""
    with django_db_blocker.unblock():
        name = databases.key()
        with databases.first_come():
            copied = databases.copy_in(name)
            if not copied:
                config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
                databases.keep(name)
        if copied:
            config = setup_databases(
                verbosity=0, interactive=False, keepdb=True, serialized_aliases=set()
            )
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _expected_database(django_db_setup):
    """CI's PostgreSQL pass must really run on PostgreSQL (and the SQLite pass on SQLite)."""
    expected = os.environ.get("STATESYNC_EXPECT_VENDOR")
    if expected:
        for alias in connections:
            assert connections[alias].vendor == expected, (
                f"database {alias!r} is {connections[alias].vendor}, expected {expected}"
            )


@pytest.fixture(scope="session", autouse=True)
def _no_session_left_at_the_end(django_db_setup, django_db_blocker):
    """The live server's request threads keep their PostgreSQL connections (CONN_MAX_AGE)
    until they are collected: one left at the end stopped the test database being dropped
    ("being accessed by other users"). Ended here, before the databases are torn down."""
    yield
    gc.collect()
    with django_db_blocker.unblock():
        for alias in connections:
            if connections[alias].vendor == "postgresql":
                with connections[alias].cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )


@pytest.fixture(scope="session", autouse=True)
def _quick_postgresql_flush():
    """Transactional tests on PostgreSQL empty the tables they used, not all of them
    (tests/support/flush.py)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", flush.sql_flush)
        yield


@pytest.fixture
def registered(transactional_db):
    """District 0001 registered at the state, with a token."""
    district = District.register("0001", "Demo Unified School District")
    return district, district.issue_token()


@pytest.fixture
def resolving(transactional_db):
    """The state's identity resolver at work beside the test, as `statesync serve` runs it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=resolver.run, args=(state_db(), stop, 0.02), name="identity resolver", daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


@pytest.fixture(autouse=True)
def _resolver_beside_the_live_state(request):
    """Wherever the live server plays the state, its identity resolver works beside it, as
    `statesync serve` starts one; a test marked settled_by_test settles identity itself."""
    if "live_server" in request.fixturenames and not request.node.get_closest_marker(
        "settled_by_test"
    ):
        request.getfixturevalue("resolving")


@pytest.fixture
def dis(live_server, registered, resolving, monkeypatch):
    """The district connected to a live state server over real HTTP."""
    _district, token = registered
    monkeypatch.setenv("STATESYNC_STATE_URL", live_server.url)
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", token)
    return live_server


@pytest.fixture
def seeded(transactional_db):
    """Write a synthetic district; returns the generated rows."""

    def make(
        scale: str = "small",
        defects: bool = True,
        random_seed: int = 1,
        year: int = 2024,
        years: int = 1,
        state_ids: bool = False,
    ):
        from statesync.district.models import SchoolYear

        district = seed.generate(scale, year, random_seed, defects=defects, years=years)
        if state_ids:  # a district after its go-live year: no state IDs to give or send down
            issue_state_ids(district)
        seed.write(district)
        if years == 2:
            SchoolYear.objects.get_or_create(end_year=year - 1)
        SchoolYear.activate(year)
        return district

    return make


def pytest_collection_modifyitems(items):
    """Slow tests first, so none starts last. The Makefile runs pytest-xdist with
    `--dist worksteal`: an idle worker takes half of a busy one's queue. Its default (`load`)
    handed each worker a fixed first quarter of the suite, and the one that drew the slowest
    ran alone for two minutes after the others had finished (296 s against 223 s)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Reliability figures: counted where the tests run, added up and written where the run ends.


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["reliability_figures"] = dict(figures.FIGURES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    figures.FIGURES.update(getattr(node, "workeroutput", {}).get("reliability_figures", {}))


def pytest_terminal_summary(terminalreporter):
    if figures.FIGURES and not hasattr(terminalreporter.config, "workeroutput"):
        figures.write()
        terminalreporter.section("reliability figures")
        for name, value in sorted(figures.FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
