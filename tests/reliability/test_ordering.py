"""Nothing goes backwards: whichever sender's request arrives last, an older copy of a record
never replaces a newer one at the state, nor brings a deleted one back.

Senders race through a proxy that holds or delays what they send, so an older copy really is
delivered after a newer one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from statesync.core import config
from statesync.core.db.routers import state_db
from statesync.core.sync.client import StateClient
from statesync.district.models import OutboxEntry, Run, RunStatus, dis_model
from statesync.district.services import realtime, selective
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from tests.reliability.figures import record
from tests.support.equality import PEOPLE, assert_state_equals_district
from tests.support.proxy import Proxy
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def synced(dis, seeded):
    """A small district wholly at the state, and nothing waiting in its outbox."""
    seeded("small", defects=False)
    assert execute(Run.plan(PEOPLE)).status == RunStatus.SUCCEEDED
    OutboxEntry.objects.all().delete()
    return dis


@pytest.fixture
def proxy(synced, registered):
    """A proxy to the state that holds what clients send until `resume()`; `client()` goes
    through it."""
    held = Proxy(synced.thread.host, synced.thread.port)
    held.up()
    held.stall()
    clients: list[StateClient] = []

    def client() -> StateClient:
        clients.append(state_client(connection=config.DisConnection(held.url, registered[1])))
        return clients[-1]

    held.client = client
    yield held
    held.resume()
    for each in clients:
        each.close()
    held.down()


def in_background(work: Callable[[], object]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        finally:
            connections.close_all()  # this thread's own

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def held_at_state(name: str, record_id: int, column: str):
    table = dis_model(name).dis_object.state_table
    with connections[state_db()].cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE record_id = %s", [record_id])
        row = cursor.fetchone()
    return row[0] if row else None


def sent_through(proxy: Proxy) -> None:
    """Wait until a request is held in the proxy: the sender read the record before."""
    wait_for(lambda: proxy.received > 0, 30, "the sender to send through the proxy")


def test_an_older_copy_delivered_late_does_not_replace_a_newer_one(proxy):
    person = dis_model("PersonIdentity").objects.order_by("pk").first()
    person.last_name = "Older"
    person.save()
    late = in_background(lambda: selective.sync("PersonIdentity", [person.pk], proxy.client()))
    sent_through(proxy)
    person.last_name = "Newer"
    person.save()
    assert realtime.drain().sent >= 1  # straight to the state
    assert held_at_state("PersonIdentity", person.pk, "last_name") == "Newer"
    proxy.resume()
    late.join(timeout=60)
    assert held_at_state("PersonIdentity", person.pk, "last_name") == "Newer"
    record("races: older copies delivered after newer ones", 1)
    assert_state_equals_district()


def test_a_copy_delivered_after_its_deletion_does_not_bring_it_back(proxy):
    person = dis_model("PersonIdentity").objects.order_by("pk").last()
    late = in_background(lambda: selective.sync("PersonIdentity", [person.pk], proxy.client()))
    sent_through(proxy)
    person.delete()  # and its enrollments, through the application: all in the outbox
    realtime.drain()
    assert held_at_state("PersonIdentity", person.pk, "last_name") is None
    proxy.resume()
    late.join(timeout=60)
    assert held_at_state("PersonIdentity", person.pk, "last_name") is None
    record("races: copies delivered after their deletion", 1)
    assert_state_equals_district()


def test_a_batch_resync_delivered_late_does_not_undo_newer_saves(proxy):
    run = Run.plan(["PersonIdentity"], "force")
    late = in_background(lambda: execute(run, client=proxy.client(), batch_size=200))
    sent_through(proxy)  # the first batch, read before the saves below
    people = list(dis_model("PersonIdentity").objects.order_by("pk")[:50])
    for person in people:
        person.first_name = "Renamed"
        person.save()
    realtime.drain()
    proxy.resume()
    late.join(timeout=120)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert all(held_at_state("PersonIdentity", p.pk, "first_name") == "Renamed" for p in people)
    record("races: batch resyncs delivered after newer saves", 1)
    assert_state_equals_district()


def test_two_drainers_at_once_the_later_read_wins(proxy):
    """Two drainers take the same outbox entry; the one that read first is delivered last."""
    person = dis_model("PersonIdentity").objects.order_by("pk")[5]
    person.last_name = "First read"
    person.save()
    late = in_background(lambda: realtime.drain(proxy.client()))
    sent_through(proxy)
    with connection.cursor() as cursor:  # behind the application's back: versioned all the same
        cursor.execute(
            "UPDATE district_personidentity SET last_name = 'Second read' WHERE id = %s",
            [person.pk],
        )
    OutboxEntry.objects.create(object="PersonIdentity", record_id=person.pk)
    realtime.drain()
    proxy.resume()
    late.join(timeout=60)
    assert held_at_state("PersonIdentity", person.pk, "last_name") == "Second read"
    record("races: drainers delivering out of order", 1)
    assert_state_equals_district()
