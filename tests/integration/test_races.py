"""Every decision that issues, matches or moves data happens once, whoever else acts at the
same moment (docs/RELIABILITY.md, "Decisions happen once").

On SQLite every write transaction holds the database's one write lock from its start, so the
races below need PostgreSQL, whose writers run at once; CI's PostgreSQL pass runs those.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.core.wire import RuleCode
from statesync.district.models import Run, SchoolYear
from statesync.state.ingest import locks
from statesync.state.models import District, MatchHold, Rejection, StatePerson
from statesync.state.people import resolver, statevalues
from statesync.state.people.statevalues import ValueRefused
from tests.support.districts import SendingDistrict, settle
from tests.support.locks import advisory_lock, other_connection, waiting_for
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def needs_postgresql(alias: str) -> None:
    if connections[alias].vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: CI's PostgreSQL pass runs this race")


def in_threads(count: int, work) -> list:
    """`work(i)` in `count` threads released at once; each result, or the exception it raised."""
    start = threading.Barrier(count)

    def run(i: int):
        start.wait()
        try:
            return work(i)
        except Exception as exc:
            return exc
        finally:
            for connection in connections.all():
                connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def held_person(live_server) -> MatchHold:
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(7, gender="F", last_name="Núñez", first_name="Ana", birth_date="2008-03-04")
    b.person(41, gender="F", last_name="Nunes", first_name="Ana", birth_date="2008-03-04")
    settle()
    return MatchHold.objects.select_related("district").get(record_id=41)


def test_simultaneous_decisions_on_one_held_person_issue_one_state_id(live_server):
    hold = held_person(live_server)
    before = StatePerson.objects.count()
    outcomes = in_threads(6, lambda i: statevalues.decide(hold, None, f"manager {i}"))
    given = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, ValueRefused)]
    assert len(given) == 1 and len(refused) == 5, outcomes
    assert StatePerson.objects.count() == before + 1
    hold.refresh_from_db()
    assert (hold.status, hold.state_id) == (MatchHold.Status.NEW, given[0])


@pytest.mark.settled_by_test
def test_two_resolvers_at_once_judge_two_districts_overlapping_enrollments_one_after_another(
    live_server,
):
    needs_postgresql(state_db())
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    student = {"gender": "F", "last_name": "Núñez", "first_name": "Ana", "birth_date": "2008-03-04"}
    a.person(7, **student)
    b.person(40, **student)  # the same student: one state ID
    settle()
    a.enroll(1, 7, "2023-08-21")
    b.enroll(1, 40, "2024-01-08")  # both accepted: the resolver judges them
    lock = (0, locks.RESOLVING)
    with ThreadPoolExecutor(2) as pool, advisory_lock(state_db(), *lock) as other:
        resolving = [pool.submit(resolver.resolve_all, state_db()) for _ in range(2)]
        # Both wait their turn (without it, each saw none of the other's and both passed).
        wait_for(lambda: waiting_for(other, *lock) == 2, 30, "both resolvers to wait their turn")
    for done in resolving:
        done.result()
    rejected = Rejection.objects.filter(object=catalog.ENROLLMENT)
    assert [(r.district.number, r.errors[0]["code"]) for r in rejected] == [
        ("0003", RuleCode.OVERLAP)
    ]


def test_a_state_owned_value_is_set_under_the_lock_of_the_districts_batches(live_server):
    needs_postgresql(state_db())
    district = SendingDistrict(live_server.url, "0002")
    district.person(7, gender="F", last_name="Lee", first_name="Ana", birth_date="2008-03-04")
    tenant = District.objects.get(number="0002")
    person = catalog.get(catalog.PERSON)
    (given,) = [c["value"] for c in district.changes()]
    lock = (tenant.pk, catalog.order().index(person.name))
    with ThreadPoolExecutor(1) as pool, advisory_lock(state_db(), *lock) as other:
        setting = pool.submit(
            statevalues.set_value, tenant, person, 7, catalog.STATE_ID_FIELD, given, "test"
        )
        # It reads the copy only once no batch of the district's people is under way.
        wait_for(lambda: waiting_for(other, *lock) == 1, 30, "the value to wait for the batch")
        assert not setting.done()
    setting.result()


def test_a_run_planned_during_a_rollover_waits_for_it(dis, registered):
    needs_postgresql("default")
    SchoolYear.scoped()
    with (
        ThreadPoolExecutor(1) as pool,
        other_connection("default") as rollover,
        other_connection("default") as watcher,  # statistics views are fixed per transaction
    ):
        rollover.execute("BEGIN")
        rollover.execute("SELECT * FROM district_schoolyear WHERE active FOR UPDATE")  # as it does
        planning = pool.submit(Run.plan, ["District"])

        def waits() -> bool:
            row = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE '%district_schoolyear%'"
            ).fetchone()
            return bool(row and row[0])

        wait_for(waits, 30, "the run to wait for the rollover")
        assert not planning.done()
        rollover.execute("COMMIT")
    assert planning.result().school_year == SchoolYear.current()
