"""State-owned data (docs/STATE_OWNED.md): state IDs given and matched across districts,
state-owned fields kept at the state and sent down, conflicts between districts.

District 0001 is this process's district edition, resynced over real HTTP; districts 0002 and
0003 send their batches to the same state server with their own tokens.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from statesync.access.models import AuditEntry
from statesync.core import catalog, handoff
from statesync.core.sync.client import StateClient
from statesync.core.wire import RuleCode
from statesync.district.models import (
    AppliedChange,
    Mode,
    OutboxEntry,
    Run,
    StateOwnedField,
    dis_model,
)
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.district.services.statechanges import take_state_changes
from statesync.state.models import (
    Conflict,
    District,
    DownChange,
    FieldSetting,
    MatchHold,
    Rejection,
    StatePerson,
    copy_model,
)
from statesync.state.models.people import (
    check_digit_holds,
    next_number,
    reserve_numbers,
    state_id_for,
)
from statesync.web.server import free_port
from tests.support.districts import SendingDistrict, settle

PersonIdentityCopy = copy_model("PersonIdentity")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
Person = dis_model(catalog.PERSON)


def resync(mode: str = Mode.DIFFERENTIAL) -> Run:
    return execute(Run.plan(catalog.NAMES, mode))


def pull() -> int:
    with state_client(retries=0) as client:
        return take_state_changes(client)


def state_ids_at_state(number: str) -> dict[int, str | None]:
    """Record ID → the state ID the state holds for each of a district's people."""
    copies = PersonIdentityCopy.objects.filter(tenant__number=number)
    return dict(copies.values_list("record_id", "state_id"))


def test_state_ids_given_sent_down_kept_and_restored(dis, registered, seeded):
    seeded("small", defects=False)
    people = Person.objects.count()
    first = resync()
    assert first.run_objects.get(object=catalog.PERSON).errors == 0

    # Every person got a state ID (or is held for a person's eye), each well formed, and each
    # is queued for the district.
    district, _ = registered
    links = {i: s for i, s in state_ids_at_state("0001").items() if s}
    held = MatchHold.objects.filter(district=district, status=MatchHold.Status.PENDING).count()
    assert len(links) + held == people
    assert all(check_digit_holds(p.state_id) for p in StatePerson.objects.all())
    queued = DownChange.objects.filter(district=district, field=catalog.STATE_ID_FIELD)
    assert queued.count() == len(links)

    # The run's end pulled them into the district (the worker does too, every minute),
    # audited, and sent nothing back up.
    assert AppliedChange.objects.count() == len(links)
    assert Person.objects.exclude(state_id=None).count() == len(links)
    # One audit entry per page of changes and field, naming how many records it changed.
    audited = AuditEntry.objects.filter(via="state", action="state change")
    assert sum(entry.detail.get("records", 1) for entry in audited) == len(links)
    assert audited.count() == -(-len(links) // handoff.MAX_DOWN_CHANGES)
    assert not OutboxEntry.objects.exists()
    assert pull() == 0  # once each
    again = resync().run_objects.get(object=catalog.PERSON)
    assert (again.inserted, again.updated) == (0, 0)

    # The state ID is read-only in the district...
    assert StateOwnedField.of(catalog.PERSON) == {catalog.STATE_ID_FIELD}
    person = Person.objects.exclude(state_id=None).first()
    given = person.state_id
    person.state_id = None
    with pytest.raises(ValidationError, match="owned by the state"):
        person.save()

    # ...and one changed with SQL is put back by the next resync's sync down, and reported.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_personidentity SET state_id = NULL WHERE id = %s", [person.pk]
        )
    resync()
    assert state_ids_at_state("0001")[person.pk] == given
    person.refresh_from_db()
    assert person.state_id == given
    restored = AppliedChange.objects.filter(record_id=person.pk).first()  # the latest
    assert (restored.old_value, restored.value) == (None, given)
    assert "the district's value is replaced" in restored.reason


def test_a_field_the_state_takes_over_is_read_only_and_restored(dis, registered, seeded):
    seeded("small", defects=False)
    resync()
    FieldSetting.objects.create(
        object=catalog.PERSON, field="last_name", owner="state", changed_by="state staff"
    )
    pull()
    assert StateOwnedField.of(catalog.PERSON) == {catalog.STATE_ID_FIELD, "last_name"}
    person = Person.objects.first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_personidentity SET last_name = 'Changed' WHERE id = %s", [person.pk]
        )
    resync()
    person.refresh_from_db()
    assert person.last_name != "Changed"
    change = AppliedChange.objects.get(record_id=person.pk, field="last_name")
    assert "owned by the state" in change.reason and change.old_value == "Changed"


@pytest.mark.settled_by_test
def test_across_districts_one_student_one_state_id(live_server, registered):
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    student = {"last_name": "Núñez", "first_name": "Ana", "birth_date": "2008-03-04"}
    a.person(7, gender="F", **student)
    (given,) = [c["value"] for c in a.changes()]

    # The same student in another district (accents and case aside) gets the same state ID.
    b.person(40, gender="F", last_name="NUNEZ", first_name="ana", birth_date="2008-03-04")
    assert [c["value"] for c in b.changes()] == [given]

    # A likely match is held, not guessed; a mistyped or never-issued ID is refused.
    b.person(41, gender="F", last_name="Nunes", first_name="Ana", birth_date="2008-03-04")
    settle()
    hold = MatchHold.objects.get(record_id=41)
    assert hold.candidates[0]["state_id"] == given
    assert "same birth date" in hold.candidates[0]["reasons"]
    wrong = b.person(
        42,
        gender="M",
        last_name="Lee",
        first_name="Bo",
        birth_date="2009-01-01",
        state_id=given[:-1] + str((int(given[-1]) + 1) % 10),
    )
    assert wrong["rejected"][0]["errors"][0]["code"] == RuleCode.FORMAT
    never = b.person(
        43,
        gender="M",
        last_name="Lee",
        first_name="Bo",
        birth_date="2009-01-01",
        state_id=state_id_for(10**6),  # well typed, never issued
    )
    assert never["rejected"][0]["errors"][0]["code"] == RuleCode.STATE_ID

    # Overlapping primary enrollments: the batch accepts the later district's and says it
    # awaits identity; the resolver then rejects it from that moment (E-OVERLAP, naming the
    # other district and the dates), keeping its copy, and tells both districts.
    a.enroll(1, 7, "2023-08-21")
    settle()
    result = b.enroll(1, 40, "2024-01-08")
    assert (result["rejected"], result["awaiting_identity"]) == ([], 1)
    assert not Conflict.objects.exists()
    (rejection,) = [c for c in b.changes() if c["field"] == ""]
    assert rejection["value"]["rejected"] == RuleCode.OVERLAP
    assert "district 0002 from 2024-01-08 to on" in rejection["value"]["message"]
    held = Rejection.objects.get(district__number="0003", object=catalog.ENROLLMENT, record_id=1)
    assert held.errors[0]["code"] == RuleCode.OVERLAP
    enrollments = copy_model(catalog.ENROLLMENT).objects
    assert enrollments.filter(tenant__number="0003", record_id=1).exists()  # never deleted
    (conflict,) = Conflict.objects.all()
    assert (conflict.district.number, conflict.other_district.number) == ("0003", "0002")
    notice = a.changes()[-1]
    assert notice["field"] == "" and "district 0003" in notice["reason"]
    # Enrolled after the first district's enrollment ended: no conflict, and it ends.
    a.enroll(1, 7, "2023-08-21", "2023-12-22")
    settle()
    assert b.enroll(1, 40, "2024-01-08")["rejected"] == []
    settle()
    conflict.refresh_from_db()
    assert conflict.resolved_at is not None
    assert not Rejection.objects.filter(district__number="0003", record_id=1).exists()


@pytest.mark.settled_by_test
def test_a_guessed_state_id_attaches_nobody_to_another_districts_student(live_server, registered):
    """A state ID proves nothing alone: district 0003 cannot attach a person of its own to
    district 0002's student by sending their state ID, nor learn where they are enrolled."""
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(7, gender="F", last_name="Núñez", first_name="Ana", birth_date="2008-03-04")
    (given,) = [c["value"] for c in a.changes()]
    a.enroll(1, 7, "2023-08-21")
    settle()

    fake = b.person(
        40, gender="M", last_name="Lee", first_name="Bo", birth_date="2009-01-01", state_id=given
    )
    (error,) = fake["rejected"][0]["errors"]
    assert error["code"] == RuleCode.IDENTITY
    assert "Núñez" not in error["message"] and "2008" not in error["message"]
    assert not PersonIdentityCopy.objects.filter(tenant__number="0003", record_id=40).exists()
    # Its enrollment has no person at the state: E-PARENT, and nothing of district 0002's.
    (enrolled,) = b.enroll(1, 40, "2024-01-08")["rejected"]
    assert [e["code"] for e in enrolled["errors"]] == [RuleCode.PARENT]
    assert "district 0002" not in str(enrolled) and not Conflict.objects.exists()
    assert [c["field"] for c in a.changes()] == [catalog.STATE_ID_FIELD]  # no false notice

    # Alike (a typo in the first name) with the state ID: accepted, held for Person Matching,
    # and without the state ID until a state data manager decides.
    alike = b.person(
        41,
        gender="F",
        last_name="Nunez",
        first_name="Anna",
        birth_date="2008-03-04",
        state_id=given,
    )
    assert (alike["rejected"], alike["awaiting_identity"]) == ([], 1)
    settle()
    hold = MatchHold.objects.get(district__number="0003", record_id=41)
    assert hold.candidates[0]["state_id"] == given
    assert "the district sent this state ID" in hold.candidates[0]["reasons"]
    assert state_ids_at_state("0003")[41] == ""
    assert b.changes()[-1]["value"] == ""
    # The same identity with its state ID: linked, as a district that knew it would.
    same = b.person(
        42, gender="F", last_name="NUNEZ", first_name="ana", birth_date="2008-03-04", state_id=given
    )
    assert same["rejected"] == []
    settle()
    assert state_ids_at_state("0003")[42] == given


def test_the_sync_down_api_refuses_bad_input_clearly(live_server):
    district = SendingDistrict(live_server.url, "0002")
    for body, said in (
        (b"{", "malformed JSON"),
        (b'{"through": "7"}', "invalid acknowledgement"),
        (b'{"through": 0}', "invalid acknowledgement"),
        (b'{"through": 1, "extra": 2}', "invalid acknowledgement"),
        (b"\xff\xfe", "malformed"),
    ):
        answer = district.http.post("/changes/applied", content=body)
        assert answer.status_code == 400 and said in answer.text, body
    other = SendingDistrict(live_server.url, "0003")
    # Another district's changes: the token is this district's only.
    theirs = f"{live_server.url}/api/state/v1/districts/0002/changes"
    assert other.http.get(theirs).status_code == 403
    nobody = district.http.get("/changes", headers={"Authorization": "Bearer sst_nope"})
    assert nobody.status_code == 401
    assert district.http.get("/changes?limit=0").status_code == 400


def test_the_sync_down_comes_page_after_page_and_every_change_is_applied(
    dis, registered, seeded, monkeypatch
):
    seeded("small", defects=False)
    monkeypatch.setattr(handoff, "MAX_DOWN_CHANGES", 100)  # the state's page, in this process
    asked = []
    monkeypatch.setattr(
        StateClient,
        "down_changes",
        _spy(StateClient.down_changes, lambda after=0: asked.append(after)),
    )
    resync()
    district, _ = registered
    queued = DownChange.objects.filter(district=district)
    assert queued.count() > 300  # several pages
    assert AppliedChange.objects.count() == queued.count()
    assert not queued.filter(applied_at=None).exists()
    # Each page asked for after the last one's final change, ending with an empty page.
    pages = [a for a in asked if a]
    assert pages == sorted(set(pages)) and len(pages) >= queued.count() // 100


def _spy(method, note):
    def spied(self, *args, **kwargs):
        note(*args, **kwargs)
        return method(self, *args, **kwargs)

    return spied


def test_an_acknowledgement_marks_only_the_changes_it_names(live_server):
    mine, theirs = (
        SendingDistrict(live_server.url, "0002"),
        SendingDistrict(live_server.url, "0003"),
    )
    changes = [
        DownChange.objects.create(
            district=District.objects.get(number=number),
            object=catalog.PERSON,
            record_id=1,
            field=catalog.STATE_ID_FIELD,
            value="x",
            reason="test",
        ).pk
        for number in ("0002", "0002", "0002", "0003")
    ]
    first, second, third, others = changes
    # Asked for after the first: the rest, in order; not another district's.
    assert [i["id"] for i in mine.http.get(f"/changes?after={first}").json()["items"]] == [
        second,
        third,
    ]
    # The district applied the third only (the second committed after it read its page):
    # the second stays waiting, though its ID is lower; another district's is never touched.
    body = {"through": others, "ids": [third, others]}
    assert mine.http.post("/changes/applied", json=body).json() == {"applied": 1}
    waiting = DownChange.objects.filter(applied_at=None).values_list("pk", flat=True)
    assert sorted(waiting) == [first, second, others]
    assert [i["id"] for i in theirs.changes()] == [others]
    for wrong in ({"through": 1, "ids": [0]}, {"through": 1, "ids": list(range(1, 5002))}):
        answer = mine.http.post("/changes/applied", json=wrong)
        assert answer.status_code == 400 and "invalid acknowledgement" in answer.text
    assert mine.http.get("/changes?after=-1").status_code == 400


def test_dis_pull_is_audited_and_a_state_that_is_down_is_said_plainly(dis, seeded, monkeypatch):
    seeded("small", defects=False)
    call_command("dis", "pull")
    assert AuditEntry.objects.filter(action="dis.pull", via="cli").count() == 1
    monkeypatch.setenv("STATESYNC_STATE_URL", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(CommandError, match="did not answer"):
        call_command("dis", "pull")
    assert AuditEntry.objects.filter(action="dis.pull").count() == 1  # nothing done: no row


def test_numbers_reserved_for_state_ids_are_consecutive_and_never_given_twice():
    using = "state"
    guesses = [next_number(using)]  # what the resolver guesses before its transaction
    with transaction.atomic(using=using):
        first = reserve_numbers(using, 3)
        StatePerson.issue(using, [_person(n) for n in first])
    guesses.append(next_number(using))
    with transaction.atomic(using=using):
        second = reserve_numbers(using, 2)
        # Reserving holds the issuing lock until the numbers are issued (PostgreSQL; SQLite
        # has one writer at a time): no other district matches against the state meanwhile.
        assert _issuing_lock_is_free(using) is (connections[using].vendor != "postgresql")
        StatePerson.issue(using, [_person(n) for n in second])
    assert _issuing_lock_is_free(using)
    assert first == list(range(first[0], first[0] + 3))
    assert second == [first[-1] + 1, first[-1] + 2]
    assert guesses == [first[0], second[0]]
    assert reserve_numbers(using, 0) == []
    # A person saved the ordinary way takes the next number, above every one reserved.
    later = StatePerson.objects.using(using).create(
        last_key="x", first_key="y", block_last="", block_first="", birth_date="2010-01-01"
    )
    assert later.pk > second[-1]


def _person(number: int) -> tuple:
    """A state person's values in StatePerson.issue's order (people.PERSON_COLUMNS)."""
    return (number, "lee", "bo", "2009-01-01l", "2009-01-01b", "Lee", "Bo", "2009-01-01", "M")


def _issuing_lock_is_free(using: str) -> bool:
    """Whether another connection could take the issuing lock now."""
    settings = connections[using].settings_dict
    if connections[using].vendor != "postgresql":
        return True
    with psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        return other.execute("SELECT pg_try_advisory_lock(0, 1)").fetchone()[0]


def test_one_new_student_sent_by_two_districts_at_once_gets_one_state_id(live_server, registered):
    districts = [SendingDistrict(live_server.url, number) for number in ("0002", "0003")]
    for round_ in range(5):
        student = {"last_name": f"Shared{_letters(round_)}", "first_name": "Ann"}
        student |= {"birth_date": f"2008-03-{10 + round_}", "gender": "F"}  # unlike each other
        record_id = 1000 + round_
        start = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            sends = [
                pool.submit(_send_beside_others, d, start, record_id, student) for d in districts
            ]
            for send in sends:
                send.result()  # what went wrong in a thread fails the test
        settle()
        given = {state_ids_at_state(d.number).get(record_id) for d in districts}
        assert len(given) == 1 and None not in given, f"round {round_}: {given}"
        assert StatePerson.objects.filter(last_name=student["last_name"]).count() == 1


def _send_beside_others(
    district: SendingDistrict, start: threading.Barrier, record_id: int, student: dict
) -> None:
    """`student` after 300 other new students, so each batch is still matching when the other
    district's starts."""
    mark = "q" if district.number.endswith("2") else "z"
    batch = [_new_person(i, f"Fill{_letters(i)}{mark}") for i in range(1, 301)]
    start.wait()
    result = district.send(catalog.PERSON, [*batch, _new_person(record_id, **student)])
    assert result["rejected"] == []


def _letters(number: int) -> str:
    """A number as letters (names lose their digits when matching compares them)."""
    return "".join(chr(ord("a") + int(digit)) for digit in f"{number:04d}")


def _new_person(record_id: int, last_name: str, **values: str) -> dict:
    person = {"id": record_id, "district_id": 1, "state_id": None, "middle_name": None}
    person |= {"suffix": None, "hispanic": False, "race_codes": ["WH"], "last_name": last_name}
    filler = {"first_name": "Kid", "birth_date": f"2009-{1 + record_id % 12:02d}-11", "gender": "M"}
    return person | (values or filler)
