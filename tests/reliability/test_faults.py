"""Faults during a resync and during real-time sync; afterwards district and state agree.

Each fault ends the run "completed after retries" (or failed with a message that says what
happened); then a verify run finds 0 differences and no record is at the state twice.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest
from django.db import connections

from statesync.core import catalog
from statesync.district.models import OutboxEntry, Run, RunObject, RunStatus, dis_model
from statesync.district.services import realtime
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.web.server import free_port
from tests.reliability.figures import record
from tests.support.equality import PEOPLE, assert_state_equals_district
from tests.support.locks import write_lock
from tests.support.proxy import Proxy
from tests.support.servers import Served
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
# Long enough to inject a fault mid-run (about 26,000 people and 28,000 enrollments); the
# product page's full scale is the point of tests/e2e/test_seed_scale_walk.py, not of these.
MID_RUN = 60_000


class Background(threading.Thread):
    """Run a resync on a thread of its own, as a worker would."""

    def __init__(self, run, client):
        super().__init__(daemon=True)
        self.run_obj, self.client, self.result = run, client, None

    def run(self) -> None:
        try:
            self.result = execute(self.run_obj, client=self.client, batch_size=1000)
        finally:
            connections.close_all()  # this thread's, or the test database outlives the test


def under_way(run, name: str, records: int):
    return lambda: RunObject.objects.filter(run=run, object=name, processed__gte=records).exists()


@pytest.mark.slow
def test_state_killed_and_restarted_mid_run(registered, seeded, monkeypatch):
    enrollments = seeded(MID_RUN, defects=False, state_ids=True).counts()["Enrollment"]
    server = Served(free_port()).start()
    try:
        monkeypatch.setenv("STATESYNC_STATE_URL", server.url)
        monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
        run = Run.plan(PEOPLE)
        job = Background(run, state_client(retries=8, backoff=0.5))
        job.start()
        wait_for(under_way(run, "PersonIdentity", 20_000), 120, "the run to be under way")
        server.kill()
        record("faults injected: state server SIGKILLed mid-run")
        time.sleep(2)
        server.start()
        job.join(300)
        assert job.result.status == RunStatus.SUCCEEDED, job.result.message
        assert RunObject.objects.get(run=run, object="Enrollment").processed == enrollments
        assert_state_equals_district()
    finally:
        server.stop()


@pytest.mark.slow
def test_dropped_and_stalled_connections(dis, registered, seeded, monkeypatch):
    seeded(MID_RUN, defects=False, state_ids=True)
    proxy = Proxy(dis.thread.host, dis.thread.port)
    proxy.up()
    try:
        monkeypatch.setenv("STATESYNC_STATE_URL", proxy.url)
        monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
        run = Run.plan(PEOPLE)
        job = Background(run, state_client(retries=10, backoff=0.3, timeout=2.0))
        job.start()
        wait_for(under_way(run, "PersonIdentity", 10_000), 120, "the run to be under way")
        proxy.down()  # every open connection cut, new ones refused
        record("faults injected: connections dropped")
        time.sleep(1)
        proxy.up()
        wait_for(under_way(run, "Enrollment", 10_000), 120, "the run to go on")
        proxy.stall()  # connections hang: the client's timeout must fire
        record("faults injected: connections stalled")
        time.sleep(3)
        proxy.resume()
        job.join(300)
        assert job.result.status == RunStatus.SUCCEEDED, job.result.message
        assert_state_equals_district()
    finally:
        proxy.down()


def hold_write_lock(alias: str, seconds: float, times: int, stop: threading.Event) -> None:
    """Another writer: keep taking the database's write lock, as a busy application would."""
    for _ in range(times):
        if stop.is_set():
            break
        with write_lock(alias, "district_runobject"):
            time.sleep(seconds)  # how long the other writer holds it: the fault itself
        record("faults injected: write lock held by another writer")
        time.sleep(0.3)


@pytest.mark.slow
def test_lock_contention_from_a_concurrent_writer(dis, registered, seeded):
    seeded(MID_RUN, defects=False, state_ids=True)
    run = Run.plan(PEOPLE)
    stop = threading.Event()
    writers = [
        threading.Thread(target=hold_write_lock, args=("default", 1.5, 4, stop), daemon=True),
    ]
    if connections["state"].vendor == "sqlite":
        writers.append(
            threading.Thread(target=hold_write_lock, args=("state", 1.5, 4, stop), daemon=True)
        )
    job = Background(run, state_client())
    job.start()
    for writer in writers:
        writer.start()
    job.join(300)
    stop.set()
    for writer in writers:
        writer.join(30)
    assert job.result.status == RunStatus.SUCCEEDED, job.result.message
    assert_state_equals_district()


def test_real_time_sync_through_a_state_restart(registered, seeded, monkeypatch):
    seeded("small", defects=False)
    server = Served(free_port()).start()
    try:
        monkeypatch.setenv("STATESYNC_STATE_URL", server.url)
        monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
        assert execute(Run.plan(PEOPLE)).status == RunStatus.SUCCEEDED
        person = dis_model("PersonIdentity")
        server.kill()
        record("faults injected: state server SIGKILLed during real-time sync")
        for n, p in enumerate(person.objects.order_by("pk")[:50]):
            p.first_name = f"Saved {n}"
            p.save()
        assert realtime.drain().error
        assert OutboxEntry.objects.count() == 50
        server.start()
        result = realtime.drain()
        assert result.error == ""
        assert result.sent == 50
        assert not OutboxEntry.objects.exists()
        assert_state_equals_district()
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _python_path_for_children(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))


def test_a_run_waits_out_a_state_outage_longer_than_its_retries(
    dis, registered, seeded, monkeypatch, settings
):
    """The client gives up after its retries; the run does not: it waits and goes on from its
    checkpoints when the state is back (it failed, and never resumed by itself)."""
    seeded("small", defects=False, state_ids=True)
    settings.OUTAGE_SECONDS = 120
    proxy = Proxy(dis.thread.host, dis.thread.port)
    monkeypatch.setenv("STATESYNC_STATE_URL", proxy.url)
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
    run = Run.plan(PEOPLE)
    job = Background(run, state_client(retries=0, timeout=2.0))  # no retries of its own
    job.start()  # with the state away from the start
    wait_for(
        lambda: "Waiting for the state" in Run.objects.get(pk=run.pk).message,
        60,
        "the run to say it waits",
    )
    assert Run.objects.get(pk=run.pk).status == RunStatus.RUNNING
    record("faults injected: state away longer than the client's retries")
    proxy.up()
    try:
        job.join(120)
        assert job.result.status == RunStatus.SUCCEEDED, job.result.message
        assert_state_equals_district()
    finally:
        proxy.down()


def test_a_run_whose_state_stays_away_fails_saying_why(
    dis, registered, seeded, monkeypatch, settings
):
    seeded("small", defects=False)
    settings.OUTAGE_SECONDS = 2
    monkeypatch.setenv("STATESYNC_STATE_URL", f"http://127.0.0.1:{free_port()}")  # nobody there
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
    run = execute(Run.plan(["District"]), client=state_client(retries=0, timeout=1.0))
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("Gave up after 0 min: the state stayed unreachable")


def test_a_cut_database_connection_is_reopened_and_the_run_goes_on(
    dis, registered, seeded, monkeypatch
):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the connection is cut from the server's side: CI's PostgreSQL pass runs this")
    from statesync.district.services.resync import RunJournal
    from tests.support.locks import other_connection

    seeded(MID_RUN, defects=False, state_ids=True)
    backends: list[int] = []
    record_batch = RunJournal.record

    def noting_its_connection(journal, outcome):
        record_batch(journal, outcome)
        backends.append(connections["default"].connection.info.backend_pid)

    monkeypatch.setattr(RunJournal, "record", noting_its_connection)
    run = Run.plan(PEOPLE)
    job = Background(run, state_client(retries=3))
    job.start()
    wait_for(under_way(run, "PersonIdentity", 5_000), 120, "the run to be under way")
    with other_connection("default") as admin:  # the run's own connection, and no other
        admin.execute("SELECT pg_terminate_backend(%s)", [backends[-1]])
    record("faults injected: district database connection cut mid-run")
    job.join(300)
    assert job.result.status == RunStatus.SUCCEEDED, job.result.message
    assert len(set(backends)) > 1  # it went on through a connection of its own, opened anew
    assert_state_equals_district()


def test_a_full_disk_ends_the_run_failed_with_why(dis, registered, seeded):
    if connections["default"].vendor != "sqlite":
        pytest.skip("SQLite's page limit stands in for a full disk: the SQLite pass runs this")
    seeded("small")  # its planted defects: the run writes error-log entries, so it must grow
    run = Run.plan(catalog.NAMES, "force")
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM")  # no free pages left by earlier tests to write into
        cursor.execute("PRAGMA page_count")
        (pages,) = cursor.fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")  # not a page more, on this connection
    try:
        run = execute(run)
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("PRAGMA max_page_count = 1073741823")
    assert run.status == RunStatus.FAILED
    assert run.message.startswith("The district's database has no room left")
