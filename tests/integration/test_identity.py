"""Identity beside intake (docs/STATE_OWNED.md): a batch stores its people without a state ID
and says how many await identity; the identity resolver settles them in arrival order, in
bulk, and rejects an overlap across districts from that moment, never by deleting it."""

from __future__ import annotations

import io
import time

import msgspec
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog, config, handoff
from statesync.core.db.routers import state_db
from statesync.core.sync.client import StateClient
from statesync.core.wire import RuleCode
from statesync.district.models import ErrorLogEntry, ErrorSource, Mode, Run
from statesync.district.services import notify, statechanges
from statesync.district.services.resync import execute
from statesync.state.models import District, IdentityWork, MatchHold, StatePerson, copy_model
from statesync.state.models.people import reserve_numbers, state_id_for
from statesync.state.people import matching, resolver, stateowned
from statesync.state.people.matching import block, normalise
from statesync.state.reports.overview import overview
from statesync.web.server import free_port
from tests.support.districts import SendingDistrict, settle
from tests.support.servers import Served
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
People = copy_model(catalog.PERSON)
ANA = {"gender": "F", "last_name": "Lee", "first_name": "Ana", "birth_date": "2008-03-04"}


def state_id_at_state(number: str, record_id: int) -> str | None:
    return People.objects.get(tenant__number=number, record_id=record_id).state_id


@pytest.mark.settled_by_test
def test_a_batch_stores_its_people_and_the_resolver_gives_their_state_ids_in_bulk(live_server):
    a = SendingDistrict(live_server.url, "0002")
    answer = a.person(7, **ANA)
    assert (answer["inserted"], answer["awaiting_identity"]) == (1, 1)
    assert state_id_at_state("0002", 7) is None  # stored; its state ID is the resolver's
    assert IdentityWork.pending(state_db(), District.objects.get(number="0002").pk) == 1

    (done,) = settle()
    assert (done.object, done.records, done.outcomes["issued"]) == (catalog.PERSON, 1, 1)
    given = state_id_at_state("0002", 7)
    assert given and len(given) == 10
    assert [c["value"] for c in a.http.get("/changes").json()["items"]] == [given]
    # One audit entry for the queued batch, naming its counts, not one per student.
    (entry,) = AuditEntry.objects.filter(action="state.identity")
    assert entry.detail["issued"] == 1 and entry.target.endswith("PersonIdentity: 1 records")
    # Linked now: the next batch keeps the state ID itself, and nothing awaits identity.
    again = a.person(7, **ANA)
    assert again["awaiting_identity"] == 0
    assert settle() == []


@pytest.mark.settled_by_test
def test_a_person_replaced_before_the_resolver_came_is_settled_by_the_newer_batch(live_server):
    a = SendingDistrict(live_server.url, "0002")
    a.person(7, **ANA)
    a.person(7, **(ANA | {"first_name": "Anne"}))  # replaced before the first was settled
    first, second = settle()
    assert (first.superseded, second.superseded) == (1, 0)
    assert second.outcomes["issued"] == 1
    assert People.objects.get(record_id=7).first_name == "Anne"
    assert state_id_at_state("0002", 7)


@pytest.mark.settled_by_test
def test_an_overlap_found_after_acceptance_reaches_the_later_districts_error_log_and_counts(
    live_server,
):
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(7, **ANA)
    b.person(40, **ANA)
    a.enroll(1, 7, "2023-08-21")
    b.enroll(1, 40, "2024-01-08")
    settle()
    # The state counts it rejected, not held, and keeps its copy.
    later = next(o for o in overview(list(District.objects.all())) if o.district.number == "0003")
    assert later.objects[catalog.ENROLLMENT].rejected == 1
    assert later.objects[catalog.ENROLLMENT].accepted == 0
    assert copy_model(catalog.ENROLLMENT).objects.filter(tenant__number="0003").count() == 1
    # The district takes the notice into its Error Log and the run that sent it.
    run = Run.plan([catalog.ENROLLMENT], Mode.DIFFERENTIAL)
    notice = next(c for c in b.http.get("/changes").json()["items"] if c["field"] == "")
    notice["value"]["run"] = run.pk  # as if this district's run had sent it
    statechanges.apply_changes([handoff.DownChangeItem(**notice)])
    entry = ErrorLogEntry.objects.get(object=catalog.ENROLLMENT, record_id=1, current=True)
    assert (entry.code, entry.source, entry.run) == (RuleCode.OVERLAP, ErrorSource.IDENTITY, run)
    assert "district 0002" in entry.message
    assert run.run_objects.get(object=catalog.ENROLLMENT).errors == 1


def test_a_run_waits_for_identity_and_its_notification_and_page_say_so(dis, seeded, admin_client):
    seeded("small", defects=False)
    run = execute(Run.plan(catalog.NAMES, Mode.FORCE))
    people = run.run_objects.get(object=catalog.PERSON)
    assert people.awaiting_identity == people.processed
    run.refresh_from_db()
    assert run.identity_settled_at is not None
    assert run.result()["awaiting_identity"] == run.awaiting_identity
    assert "Identity: the state settled all" in notify.run_summary(run)
    page = admin_client.get(reverse("district:run", args=[run.pk])).content.decode()
    assert f"Identity: {run.awaiting_identity:,} of this run's records awaited" in page
    assert "Settled, and their state IDs applied here" in page


@pytest.mark.settled_by_test
def test_a_run_that_cannot_wait_longer_says_the_state_ids_come_later(live_server, registered):
    # No resolver at work: the state keeps counting the district's person as awaiting.
    district, token = registered
    run = Run.plan([catalog.PERSON], Mode.FORCE)
    run.run_objects.update(awaiting_identity=1)
    IdentityWork.objects.using(state_db()).create(
        district=district, object=catalog.PERSON, payload=b"", records=1
    )
    connection = config.DisConnection(live_server.url, token)
    with StateClient("0001", connection, retries=0) as client:
        assert statechanges.settle_identity(client, run, wait=0) == 0
    run.refresh_from_db()
    assert run.identity_settled_at is None
    assert "1 records await the state's identity resolver" in notify.run_summary(run)


@pytest.mark.settled_by_test
def test_the_resolver_command_settles_what_waits_and_says_how_much(live_server):
    a = SendingDistrict(live_server.url, "0002")
    a.person(7, **ANA)
    err = io.StringIO()
    call_command("resolver", "--once", stderr=err)
    assert "settled the identity of 1 records in 1 batches" in err.getvalue()
    assert resolver.resolve_all(state_db()) == []


def test_serve_settles_identity_beside_itself_unless_told_not_to(transactional_db):
    quiet = Served(free_port(), args=("--no-resolver",)).start()
    try:
        a = SendingDistrict(quiet.url, "0002")
        a.person(7, **ANA)
        time.sleep(1)  # a resolver polls every 0.2 s: none settled it
        assert state_id_at_state("0002", 7) is None
    finally:
        quiet.stop()
    server = Served(free_port()).start()
    try:
        wait_for(lambda: state_id_at_state("0002", 7), 30, "the resolver beside serve")
    finally:
        server.stop()


@pytest.mark.settled_by_test
def test_a_batch_that_cannot_be_settled_is_set_aside_and_the_rest_go_on(live_server):
    a = SendingDistrict(live_server.url, "0002")
    tenant = District.objects.get(number="0002")
    bad = IdentityWork.objects.using(state_db()).create(
        district=tenant, object=catalog.PERSON, payload=b"\xc1", records=1
    )
    a.person(7, **ANA)  # queued behind it
    for _ in range(IdentityWork.MAX_ATTEMPTS - 1):
        with pytest.raises(msgspec.DecodeError):
            resolver.resolve_next(state_db())
    # The command line says it, without a traceback.
    with pytest.raises(CommandError, match=r"could not be settled .*DecodeError.*set aside"):
        call_command("resolver", "--once")
    bad.refresh_from_db()
    assert bad.attempts == IdentityWork.MAX_ATTEMPTS and "DecodeError" in bad.failed
    assert IdentityWork.pending(state_db(), tenant.pk) == 1  # the person, not the bad batch
    (done,) = settle()
    assert done.outcomes["issued"] == 1 and state_id_at_state("0002", 7)


@pytest.mark.settled_by_test
def test_twins_and_look_alikes_in_one_batch_match_the_new_person_beside_them(live_server):
    a = SendingDistrict(live_server.url, "0002")
    base = {"district_id": 1, "middle_name": None, "suffix": None, "hispanic": False}
    base |= {"race_codes": ["WH"], "state_id": None}
    a.send(
        catalog.PERSON,
        [
            base | ANA | {"id": 7},
            base | ANA | {"id": 8},  # the same student twice: one state ID
            base | ANA | {"id": 9, "first_name": "Anna"},  # alike: held, the new one its candidate
        ],
    )
    (done,) = settle()
    assert (done.outcomes["issued"], done.outcomes["matched"], done.outcomes["held"]) == (1, 1, 1)
    given = state_id_at_state("0002", 7)
    assert state_id_at_state("0002", 8) == given
    hold = MatchHold.objects.get(record_id=9)
    assert hold.candidates[0]["state_id"] == given


@pytest.mark.settled_by_test
def test_a_state_id_issued_while_the_resolver_matched_is_seen_before_it_writes(
    live_server, monkeypatch
):
    a = SendingDistrict(live_server.url, "0002")
    a.person(7, **ANA)
    planned = stateowned.plan_state_ids
    issued = []

    def plan_then_someone_issues(ctx, records, known=None):
        plan = planned(ctx, records, known)
        if not issued:  # a state data manager gives the same student a state ID meanwhile
            with transaction.atomic(using=state_db()):
                (number,) = reserve_numbers(state_db(), 1)
                StatePerson.issue(state_db(), [_person_of(number, ANA)])
            issued.append(state_id_for(number))
        return plan

    monkeypatch.setattr(stateowned, "plan_state_ids", plan_then_someone_issues)
    (done,) = settle()
    assert (done.outcomes["issued"], done.outcomes["matched"]) == (0, 1)
    assert state_id_at_state("0002", 7) == issued[0]
    assert StatePerson.objects.filter(last_name="Lee").count() == 1


@pytest.mark.settled_by_test
@pytest.mark.parametrize("guess_off_by", [0, 5])
def test_what_the_resolver_made_before_its_write_transaction_is_made_again_if_numbers_moved(
    live_server, monkeypatch, guess_off_by
):
    # The state IDs, their rows and each copy's new digest are made before the transaction
    # from a guess of the next number; a guess the reserved numbers do not bear out (another
    # reserved first) is not written: it is all made again from the numbers reserved.
    a = SendingDistrict(live_server.url, "0002")
    bo = {"gender": "M", "last_name": "Kim", "first_name": "Bo", "birth_date": "2009-01-01"}
    values = {"district_id": 1, "state_id": None, "middle_name": None, "suffix": None}
    values |= {"hispanic": False, "race_codes": ["WH"]}
    a.send(catalog.PERSON, [values | ANA | {"id": 7}, values | bo | {"id": 8}])  # one batch
    guessed = resolver.next_number
    monkeypatch.setattr(resolver, "next_number", lambda using: guessed(using) + guess_off_by)
    made = []
    gift = stateowned.StateIdPlan.gift
    monkeypatch.setattr(
        stateowned.StateIdPlan, "gift", lambda plan, first: made.append(first) or gift(plan, first)
    )
    settle()
    issued = dict(StatePerson.objects.values_list("first_name", "pk"))
    assert made == ([issued["Ana"]] if guess_off_by == 0 else [issued["Ana"] + 5, issued["Ana"]])
    assert state_id_at_state("0002", 7) == state_id_for(issued["Ana"])
    assert state_id_at_state("0002", 8) == state_id_for(issued["Bo"])
    # The digest of each copy is its record with the state ID given: nothing to send again.
    sent = [c["value"] for c in a.http.get("/changes").json()["items"]]
    assert sent == [state_id_for(issued["Ana"]), state_id_for(issued["Bo"])]
    assert a.person(7, **ANA | {"state_id": sent[0]})["unchanged"] == 1


def _person_of(number: int, person: dict) -> tuple:
    """`person` as StatePerson.issue takes them."""
    last, first, born = (
        normalise(person["last_name"]),
        normalise(person["first_name"]),
        person["birth_date"],
    )
    blocks = (block(born, last), block(born, first))
    return (number, last, first, *blocks, person["last_name"], person["first_name"], born, "F")


@pytest.mark.settled_by_test
def test_the_resolver_keeps_the_people_it_read_until_someone_else_issues(live_server):
    a = SendingDistrict(live_server.url, "0002")
    known = matching.Known()
    a.person(7, **ANA)
    assert resolver.resolve_next(state_db(), known).outcomes["issued"] == 1
    # Its own issue is learned once committed: the same student again matches from memory.
    a.person(9, **ANA)
    assert resolver.resolve_next(state_db(), known).outcomes["matched"] == 1
    assert state_id_at_state("0002", 9) == state_id_at_state("0002", 7)
    # A state ID given elsewhere (Person Matching) in a block it has read: it reads again.
    ava = ANA | {"first_name": "Ava"}  # in both blocks Ana was read in
    with transaction.atomic(using=state_db()):
        (number,) = reserve_numbers(state_db(), 1)
        StatePerson.issue(state_db(), [_person_of(number, ava)])
    a.person(8, **ava)
    done = resolver.resolve_next(state_db(), known)
    assert (done.outcomes["matched"], done.outcomes["issued"]) == (1, 0)
    assert state_id_at_state("0002", 8) == state_id_for(number)


@pytest.mark.settled_by_test
def test_the_people_a_resolver_keeps_are_bounded(live_server):
    a = SendingDistrict(live_server.url, "0002")
    a.person(7, **ANA)
    a.person(8, gender="M", last_name="Lee", first_name="Bo", birth_date="2009-01-01")
    settle()
    known = matching.Known(limit=1)
    ana, bo = matching.block("2008-03-04", "lee"), matching.block("2009-01-01", "lee")
    assert [row[1] for row in known.people_in(state_db(), [ana])] == ["ana"]
    # At its limit: the next read forgets what it held first, and answers all the same.
    assert [row[1] for row in known.people_in(state_db(), [bo])] == ["bo"]
    assert list(known.rows) == [state_person_id("Bo")]
    assert [row[1] for row in known.people_in(state_db(), [ana])] == ["ana"]


def state_person_id(first_name: str) -> int:
    return StatePerson.objects.get(first_name=first_name).pk
