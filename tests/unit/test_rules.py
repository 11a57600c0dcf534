"""Each rule code on each object it applies to, judged against an in-memory state (no database).

`FakeLookups` stands in for the state's accepted copy: rules only read through it, so every
rule can be exercised record by record here, and the integration tests keep to what needs
a real database and HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec
import pytest

from statesync.core import catalog, wire
from statesync.core.wire import RuleCode
from statesync.state import rules
from statesync.state.people.matching import Person

D = dt.date


class FakeLookups:
    """The state's accepted records of one district, as {object: {record ID: {column: value}}}."""

    tenant_number = "0001"

    def __init__(self, tables: dict[str, dict[int, dict[str, Any]]], elsewhere=None):
        self.tables = tables
        # State ID → primary enrollments in other districts; None: the state has no other.
        self.elsewhere = elsewhere

    def _rows(self, obj: catalog.DisObject) -> dict[int, dict[str, Any]]:
        return self.tables.get(obj.name, {})

    def fetch(
        self, obj: catalog.DisObject, ids: Iterable[int | None], columns: Sequence[str]
    ) -> dict[int, tuple]:
        rows = self._rows(obj)
        return {i: tuple(rows[i][c] for c in columns) for i in ids if i in rows}

    def fetch_by(
        self, obj: catalog.DisObject, key: str, values: Iterable[Any], columns: Sequence[str]
    ) -> list[tuple]:
        wanted = set(values)
        return [
            (i, *(row[c] for c in columns))
            for i, row in self._rows(obj).items()
            if row.get(key) in wanted
        ]

    def rejections(self, obj: catalog.DisObject, ids: Iterable[int]) -> dict[int, list[dict]]:
        return {}

    def state_people(self, state_ids: Iterable[str]) -> dict[str, Person]:
        return {s: ISSUED[s] for s in state_ids if s in ISSUED}

    def enrollments_elsewhere(self, state_ids: list[str]) -> dict[str, list] | None:
        if self.elsewhere is None:
            return None
        return {s: self.elsewhere[s] for s in state_ids if s in self.elsewhere}


# The state IDs the fake state has issued (state_id_for(1)), to the valid person below.
ISSUED = {"1000000016": Person("doe", "jane", "2012-03-04", "F", 1)}


# One valid record per object, hanging under the world below (dates as the wire has them).
VALID: dict[str, dict[str, Any]] = {
    "District": {"id": 1, "state_district_number": "0001", "name": "Demo"},
    "School": {
        "id": 2,
        "district_id": 1,
        "state_school_number": "1234",
        "name": "Lincoln Elementary",
        "grade_low": "KG",
        "grade_high": "05",
        "school_type": "ELEM",
    },
    "Calendar": {
        "id": 2,
        "school_id": 1,
        "school_year": 2024,
        "name": "2023-24",
        "start_date": "2023-08-20",
        "end_date": "2024-05-30",
        "is_summer": False,
    },
    "CourseSection": {
        "id": 2,
        "calendar_id": 1,
        "course_number": "ALG1",
        "state_course_code": "02001",
        "course_name": "Algebra I",
        "section_number": 1,
        "max_students": 30,
    },
    "SchoolMonth": {
        "id": 2,
        "calendar_id": 1,
        "seq": 1,
        "name": "August",
        "start_date": "2023-08-20",
        "end_date": "2023-09-19",
    },
    "ScheduleStructure": {"id": 2, "calendar_id": 1, "name": "Main", "is_primary": True},
    "TermSchedule": {
        "id": 2,
        "structure_id": 1,
        "name": "Semesters",
        "terms": [
            {"seq": 1, "name": "S1", "start_date": "2023-08-20", "end_date": "2023-12-20"},
            {"seq": 2, "name": "S2", "start_date": "2024-01-05", "end_date": "2024-05-30"},
        ],
    },
    "PeriodSchedule": {
        "id": 2,
        "structure_id": 1,
        "name": "Regular",
        "periods": [{"seq": 1, "name": "P1", "start_time": "08:00", "end_time": "08:50"}],
    },
    "Day": {
        "id": 2,
        "calendar_id": 1,
        "period_schedule_id": 1,
        "date": "2023-09-05",
        "instructional": True,
        "attendance": True,
        "event_code": None,
    },
    "PersonIdentity": {
        "id": 2,
        "district_id": 1,
        "state_id": "1000000016",
        "last_name": "Doe",
        "first_name": "Jane",
        "middle_name": None,
        "suffix": None,
        "birth_date": "2012-03-04",
        "gender": "F",
        "hispanic": False,
        "race_codes": ["WH"],
    },
    "Enrollment": {
        "id": 2,
        "person_id": 1,
        "calendar_id": 1,
        "grade": "05",
        "service_type": "P",
        "start_date": "2023-08-20",
        "start_status": "E1",
        "end_date": None,
        "end_status": None,
    },
}


def world() -> dict[str, dict[int, dict[str, Any]]]:
    """Record 1 of every object, accepted: what the valid records' parents point at."""
    tables = {name: {1: dict(values, id=1)} for name, values in VALID.items()}
    tables["School"][1]["state_school_number"] = "1111"
    tables["PersonIdentity"][1]["state_id"] = "1111111111"
    tables["Enrollment"][1].update(person_id=99, calendar_id=1)  # another person's
    tables["Day"][1]["date"] = "2023-09-04"
    tables["SchoolMonth"][1].update(seq=9, start_date="2024-05-01", end_date="2024-05-30")
    tables["CourseSection"][1]["course_number"] = "ENG1"
    return tables


def record(object_name: str, /, **changes: Any) -> wire.Record:
    return msgspec.convert({**VALID[object_name], **changes}, wire.record_type(object_name))


def judge(name: str, records: list[wire.Record], tables=None) -> dict[int, list[tuple]]:
    verdicts = rules.judge(FakeLookups(tables or world()), catalog.get(name), records)
    return {i: [(e.code, e.field) for e in errors] for i, errors in verdicts.errors.items()}


NAMES = list(catalog.NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_valid_record_passes_every_rule(name):
    assert judge(name, [record(name)]) == {}


@pytest.mark.parametrize("name", NAMES)
def test_required_fields_missing_are_e_required(name):
    for spec in (f for f in catalog.get(name).fields if f.required):
        empty = [] if spec.is_list else None
        errors = judge(name, [record(name, **{spec.name: empty})])
        assert (RuleCode.REQUIRED, spec.name) in errors[VALID[name]["id"]], spec.name


@pytest.mark.parametrize("name", [n for n in NAMES if catalog.get(n).parents])
def test_a_parent_the_state_lacks_is_e_parent_and_a_missing_key_e_required(name):
    obj = catalog.get(name)
    for key in obj.parent_keys:
        assert (RuleCode.PARENT, key) in judge(name, [record(name, **{key: 999})])[2]
        assert (RuleCode.REQUIRED, key) in judge(name, [record(name, **{key: None})])[2]


def test_e_parent_names_the_parent_and_why():
    verdicts = rules.judge(FakeLookups(world()), catalog.get("School"), [record("School")])
    assert verdicts.errors == {}
    missing = rules.judge(
        FakeLookups(world()), catalog.get("School"), [record("School", district_id=7)]
    )
    assert missing.errors[2][0].message == "District 7 is not at the state"


@pytest.mark.parametrize("name", [n for n in NAMES if catalog.get(n).natural_key])
def test_a_natural_key_another_record_holds_is_e_duplicate(name):
    obj = catalog.get(name)
    tables = world()
    tables[name][3] = dict(VALID[name], id=3)  # the same natural key, stored under ID 3
    errors = judge(name, [record(name, id=5)], tables)
    assert (RuleCode.DUPLICATE, obj.natural_key[-1]) in errors[5]


@pytest.mark.parametrize("name", [n for n in NAMES if catalog.get(n).natural_key])
def test_two_records_of_one_batch_with_one_natural_key_reject_the_second(name):
    tables = world()
    del tables[name][1]  # nothing stored: the batch's own records collide
    errors = judge(name, [record(name, id=5), record(name, id=6)], tables)
    assert 5 not in errors or RuleCode.DUPLICATE not in {c for c, _ in errors[5]}
    assert (RuleCode.DUPLICATE, catalog.get(name).natural_key[-1]) in errors[6]


FORMAT_CASES = [
    ("District", {"state_district_number": "01"}, "state_district_number"),
    ("District", {"name": "x" * 101}, "name"),
    ("School", {"state_school_number": "547A"}, "state_school_number"),
    ("School", {"state_school_number": "١٢٣٤"}, "state_school_number"),  # not ASCII digits
    ("School", {"name": "a\x00b"}, "name"),
    ("Calendar", {"name": "x" * 101}, "name"),
    ("CourseSection", {"state_course_code": "0200"}, "state_course_code"),
    ("SchoolMonth", {"name": "x" * 41}, "name"),
    ("ScheduleStructure", {"name": "x" * 61}, "name"),
    ("TermSchedule", {"name": "x" * 61}, "name"),
    ("PeriodSchedule", {"name": "x" * 61}, "name"),
    (
        "PeriodSchedule",
        {"periods": [{"seq": 1, "name": "P1", "start_time": "8am", "end_time": "08:50"}]},
        "periods",
    ),
    ("PersonIdentity", {"state_id": "123456789"}, "state_id"),
    ("PersonIdentity", {"state_id": "1000000017"}, "state_id"),  # check digit mistyped
    ("PersonIdentity", {"suffix": "x" * 11}, "suffix"),
]


def test_a_state_id_the_state_never_issued_is_e_state_id():
    errors = judge("PersonIdentity", [record("PersonIdentity", state_id="1000000024")])
    assert errors[2] == [(RuleCode.STATE_ID, "state_id")]
    assert judge("PersonIdentity", [record("PersonIdentity")]) == {}


@pytest.mark.parametrize(
    "changes",
    [
        {"last_name": "Smith", "first_name": "Robert"},  # someone else's name
        {"birth_date": "2011-01-01"},  # another birth date: not even a likely match
    ],
)
def test_a_state_id_sent_with_another_identity_is_e_identity(changes):
    """A guessed state ID attaches nobody: the identity sent must be the state's for it."""
    errors = judge("PersonIdentity", [record("PersonIdentity", **changes)])
    assert errors[2] == [(RuleCode.IDENTITY, "state_id")]
    message = (
        rules.judge(
            FakeLookups(world()),
            catalog.get("PersonIdentity"),
            [record("PersonIdentity", **changes)],
        )
        .errors[2][0]
        .message
    )
    assert "doe" not in message.lower() and "jane" not in message.lower()  # nothing of theirs


@pytest.mark.parametrize(
    "changes",
    [
        {"last_name": "DOE", "first_name": "Jane "},  # the same, as matching normalises it
        {"first_name": "Janet"},  # alike: accepted and held for Person Matching (stateowned)
        {"gender": "M"},  # the same names and birth date: held too
    ],
)
def test_a_state_id_sent_with_its_identity_or_one_alike_passes_the_rules(changes):
    assert judge("PersonIdentity", [record("PersonIdentity", **changes)]) == {}


def test_a_record_already_linked_to_its_state_id_may_change_its_name():
    tables = world()
    tables["PersonIdentity"][2] = {"state_id": "1000000016"}
    renamed = record("PersonIdentity", last_name="Smith", first_name="Robert")
    assert judge("PersonIdentity", [renamed], tables) == {}


@pytest.mark.parametrize(("name", "changes", "field"), FORMAT_CASES)
def test_wrong_shapes_are_e_format(name, changes, field):
    assert (RuleCode.FORMAT, field) in judge(name, [record(name, **changes)])[VALID[name]["id"]]


CODE_CASES = [
    ("District", {"state_district_number": "0002"}, "state_district_number"),  # not the token's
    ("School", {"grade_low": "13"}, "grade_low"),
    ("School", {"grade_high": "13"}, "grade_high"),
    ("School", {"school_type": "PRIV"}, "school_type"),
    ("CourseSection", {"state_course_code": "99001"}, "state_course_code"),
    ("Day", {"event_code": "XMAS"}, "event_code"),
    ("PersonIdentity", {"gender": "U"}, "gender"),
    ("PersonIdentity", {"race_codes": ["WH", "ZZ"]}, "race_codes"),
    ("Enrollment", {"grade": "13"}, "grade"),
    ("Enrollment", {"service_type": "Q"}, "service_type"),
    ("Enrollment", {"start_status": "X9"}, "start_status"),
    ("Enrollment", {"end_date": "2024-05-30", "end_status": "X9"}, "end_status"),
]


@pytest.mark.parametrize(("name", "changes", "field"), CODE_CASES)
def test_values_outside_the_code_set_are_e_code(name, changes, field):
    assert (RuleCode.CODE, field) in judge(name, [record(name, **changes)])[VALID[name]["id"]]


OUTSIDE_TERM = [
    {"seq": 1, "name": "S1", "start_date": "2023-08-01", "end_date": "2023-12-20"},
]
RANGE_CASES = [
    ("School", {"grade_low": "06", "grade_high": "KG"}, "grade_high"),
    ("Calendar", {"school_year": 1990}, "school_year"),
    ("Calendar", {"start_date": "2024-06-01", "end_date": "2023-08-20"}, "end_date"),
    ("Calendar", {"start_date": "2022-08-20"}, "start_date"),
    ("CourseSection", {"section_number": 0}, "section_number"),
    ("CourseSection", {"max_students": 5000}, "max_students"),
    ("SchoolMonth", {"end_date": "2024-06-15"}, "end_date"),
    ("SchoolMonth", {"start_date": "2023-09-30"}, "end_date"),  # ends before it starts
    ("TermSchedule", {"terms": OUTSIDE_TERM}, "terms.start_date"),
    (
        "PeriodSchedule",
        {"periods": [{"seq": 1, "name": "P1", "start_time": "09:00", "end_time": "08:50"}]},
        "periods",
    ),
    ("Day", {"date": "2024-06-20"}, "date"),
    ("PersonIdentity", {"birth_date": "1900-01-01"}, "birth_date"),
    ("PersonIdentity", {"birth_date": "2999-01-01"}, "birth_date"),
    ("Enrollment", {"start_date": "2023-08-01"}, "start_date"),
    ("Enrollment", {"end_date": "2023-08-10", "end_status": "W1"}, "end_date"),
]


@pytest.mark.parametrize(("name", "changes", "field"), RANGE_CASES)
def test_values_out_of_range_are_e_range(name, changes, field):
    assert (RuleCode.RANGE, field) in judge(name, [record(name, **changes)])[VALID[name]["id"]]


def test_overlapping_school_months_are_e_overlap():
    tables = world()
    tables["SchoolMonth"][1].update(seq=2, start_date="2023-09-10", end_date="2023-10-10")
    errors = judge("SchoolMonth", [record("SchoolMonth")], tables)
    assert errors == {2: [(RuleCode.OVERLAP, "start_date")]}


def test_overlapping_terms_of_one_schedule_are_e_overlap():
    terms = [
        {"seq": 1, "name": "S1", "start_date": "2023-08-20", "end_date": "2023-12-20"},
        {"seq": 2, "name": "S2", "start_date": "2023-12-01", "end_date": "2024-05-30"},
    ]
    assert judge("TermSchedule", [record("TermSchedule", terms=terms)]) == {
        2: [(RuleCode.OVERLAP, "terms")]
    }


def test_overlapping_primary_enrollments_of_one_person_are_e_overlap():
    tables = world()
    tables["Enrollment"][1]["person_id"] = 1  # the same person, primary, open-ended
    assert judge("Enrollment", [record("Enrollment")], tables) == {
        2: [(RuleCode.OVERLAP, "start_date")]
    }
    secondary = record("Enrollment", service_type="S")
    assert judge("Enrollment", [secondary], tables) == {}


def test_overlap_within_one_batch_blames_the_later_record():
    first = record("Enrollment", id=5)
    second = record("Enrollment", id=6, start_date="2023-09-01")
    errors = judge("Enrollment", [first, second])
    assert list(errors) == [6]
    assert errors[6] == [(RuleCode.OVERLAP, "start_date")]


def test_every_rule_code_is_exercised_here():
    exercised = {RuleCode.REQUIRED, RuleCode.PARENT, RuleCode.DUPLICATE, RuleCode.OVERLAP}
    exercised |= {RuleCode.FORMAT} if FORMAT_CASES else set()
    exercised |= {RuleCode.CODE} if CODE_CASES else set()
    exercised |= {RuleCode.RANGE} if RANGE_CASES else set()
    # Closed years are the ingest's, not a rule of the record: test_school_years exercises it.
    exercised |= {RuleCode.YEAR_CLOSED}
    exercised |= {RuleCode.STATE_ID}  # test_a_state_id_the_state_never_issued_is_e_state_id
    exercised |= {RuleCode.IDENTITY}  # test_a_state_id_sent_with_another_identity_is_e_identity
    assert exercised == set(RuleCode)


def test_messages_quote_the_offending_value():
    verdicts = rules.judge(
        FakeLookups(world()),
        catalog.get("School"),
        [record("School", state_school_number="547A")],
    )
    assert verdicts.errors[2][0].message == "State School Number '547A' is not 4 digits"


def test_the_date_type_of_stored_values_does_not_matter():
    tables = world()
    tables["Calendar"][1].update(start_date=D(2023, 8, 20), end_date=D(2024, 5, 30))
    assert judge("Day", [record("Day", date="2024-06-20")], tables) == {
        2: [(RuleCode.RANGE, "date")]
    }
