"""Students shared by neighbouring districts (numbers one apart), for the state's matching.

District n and district n+1 draw the same students from a generator of their own pair, so
each district builds its half alone: a *mover* leaves n mid-year (withdrawn) and enrols in
n+1 the next school day — one student, so one state ID; a *look-alike* in n+1 shares a mover's
birth date and gender with a name one letter off — a likely match, held for a person's eye.
The first mover of each pair was never withdrawn by the district they left, so the state finds
their two primary enrollments overlapping (E-OVERLAP, Cross-District Conflicts). Movers are
enrolled in a calendar the seed planted no defect in, nor in its school, so what the state
finds about them is about them.
"""

from __future__ import annotations

import datetime as dt
import random

from statesync.core import catalog
from statesync.tools.demo import names
from statesync.tools.demo.seed.objects import GRADE_AGE, Generation

# Per thousand people: how many leave for the next district, and look-alikes among them.
MOVERS_PER_THOUSAND = 5
LOOK_ALIKES_PER_MOVER = 0.2


def movers(g: Generation) -> None:
    """Add this district's half of its shares with the districts either side."""
    number = int(g.district_number)
    count = max(2, len(g.records[catalog.PERSON]) * MOVERS_PER_THOUSAND // 1000)
    if number > 1:
        _arrive(g, _students(number - 1, count, g.year))
    _leave(g, _students(number, count, g.year))


def _students(leaving: int, count: int, year: int) -> list[dict]:
    """The students who leave district `leaving` for the next one, the same in both."""
    rng = random.Random(f"movers {leaving} {leaving + 1}")
    students = []
    for _ in range(count):
        grade = rng.choice(catalog.GRADES[2:])
        gender = rng.choice("MF")
        first = rng.choice(names.FIRST_NAMES_F if gender == "F" else names.FIRST_NAMES_M)
        september = dt.date(year - 1, 9, 1)
        born = september - dt.timedelta(days=365 * GRADE_AGE[grade] + rng.randrange(365))
        students.append(
            {
                "last_name": rng.choice(names.LAST_NAMES),
                "first_name": first,
                "birth_date": born,
                "gender": gender,
                "grade": grade,
                "look_alike": rng.random() < LOOK_ALIKES_PER_MOVER,
            }
        )
    return students


def winter_break(year: int) -> tuple[dt.date, dt.date]:
    """The last day in the old district and the first in the new: the same in both halves."""
    return dt.date(year - 1, 12, 18), dt.date(year, 1, 8)


def _leave(g: Generation, students: list[dict]) -> None:
    calendar = _clean_calendars(g)[0]
    for i, student in enumerate(students):
        last_day, _ = winter_break(g.year)
        person = _person(g, student)
        _enroll(g, person, calendar, student["grade"], g.good_dates[calendar["id"]][0])
        if i == 0:
            continue  # never withdrawn here: still enrolled when the next district enrols them
        enrollment = g.records[catalog.ENROLLMENT][-1]
        enrollment["end_date"], enrollment["end_status"] = last_day, "W1"


def _clean_calendars(g: Generation) -> list[dict]:
    """Regular calendars whose dates and school the seed left as drawn (no defect planted)."""
    numbers = [s["state_school_number"] for s in g.records[catalog.SCHOOL]]
    clean_schools = {
        s["id"]
        for s in g.records[catalog.SCHOOL]
        if s["state_school_number"]
        and s["state_school_number"].isdigit()
        and numbers.count(s["state_school_number"]) == 1
    }
    clean = [
        c
        for c in g.regular_calendars()
        if c["school_id"] in clean_schools
        and (c["start_date"], c["end_date"]) == g.good_dates[c["id"]]
    ]
    return clean or g.regular_calendars()


def _arrive(g: Generation, students: list[dict]) -> None:
    for student in students:
        calendar = _clean_calendars(g)[-1]
        _, first_day = winter_break(g.year)
        person = _person(g, student)
        _enroll(g, person, calendar, student["grade"], first_day)
        if student["look_alike"]:
            # Someone else, born the same day, whose name is one letter off the mover's.
            twin = dict(student, last_name=student["last_name"] + "e")
            _enroll(g, _person(g, twin), calendar, student["grade"], first_day)


def _person(g: Generation, student: dict) -> dict:
    made = g.records[catalog.PERSON]
    person = {
        "id": len(made) + 1,  # people's IDs run 1, 2, 3…
        "district_id": 1,
        catalog.STATE_ID_FIELD: None,
        "last_name": student["last_name"],
        "first_name": student["first_name"],
        "middle_name": None,
        "suffix": None,
        "birth_date": student["birth_date"],
        "gender": student["gender"],
        "hispanic": False,
        "race_codes": ["WH"],
    }
    made.append(person)
    return person


def _enroll(g: Generation, person: dict, calendar: dict, grade: str, start: dt.date) -> None:
    made = g.records[catalog.ENROLLMENT]
    made.append(
        {
            "id": len(made) + 1,
            "person_id": person["id"],
            "calendar_id": calendar["id"],
            "grade": grade,
            "service_type": "P",
            "start_date": start,
            "start_status": "E1",
            "end_date": None,
            "end_status": None,
        }
    )
