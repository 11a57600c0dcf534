"""The people of a synthetic district and their enrollments, with their planted defects."""

from __future__ import annotations

import datetime as dt

from statesync.core import catalog
from statesync.tools.demo import names
from statesync.tools.demo.seed.dates import first_kind
from statesync.tools.demo.seed.objects import GRADE_AGE, Generation, Record


def people(g: Generation) -> None:
    """Each person is enrolled (primary) in a regular calendar, high schools weighted up."""
    rng = g.rng
    schools = {s["id"]: s for s in g.records["School"]}
    regular = g.regular_calendars()
    weights = [4 if schools[c["school_id"]]["school_type"] == "HIGH" else 1 for c in regular]
    sept_first = dt.date(g.year - 1, 9, 1)
    count = g.counts["PersonIdentity"]
    rng.sample(range(10**9, 10**10), count)  # the state IDs the seed once made up
    grades_of = {s["id"]: _grades(s) for s in schools.values()}
    made = g.records["PersonIdentity"]
    for i, calendar in enumerate(rng.choices(regular, weights=weights, k=count)):
        grade = rng.choice(grades_of[calendar["school_id"]])
        birth = sept_first - dt.timedelta(days=365 * GRADE_AGE[grade] + rng.randrange(365))
        gender = "X" if rng.random() < 0.01 else rng.choice("MF")
        first = rng.choice(names.FIRST_NAMES_F if gender == "F" else names.FIRST_NAMES_M)
        middle = (
            rng.choice(names.FIRST_NAMES_M + names.FIRST_NAMES_F) if rng.random() < 0.6 else None
        )
        races = sorted(rng.sample(catalog.RACE_CODES, 2 if rng.random() < 0.1 else 1))
        person: Record = {"id": i + 1, "district_id": 1}
        # Districts hold no state IDs before their first resync: the state gives them
        # (docs/STATE_OWNED.md). The draws stay so every other value is as it was.
        rng.random()
        person["state_id"] = None
        person["last_name"] = rng.choice(names.LAST_NAMES)
        person |= {"first_name": first, "middle_name": middle}
        person["suffix"] = "Jr" if rng.random() < 0.01 else None
        person |= {"birth_date": birth, "gender": gender, "hispanic": rng.random() < 0.25}
        person["race_codes"] = races
        made.append(person)
        g.primary.append((calendar, grade))


def _grades(school: Record) -> list[str]:
    low = catalog.GRADES.index(school["grade_low"])
    high = catalog.GRADES.index(school["grade_high"])
    return list(catalog.GRADES[low : high + 1])


def enrollments(g: Generation) -> None:
    """Each person's primary enrollment, then summer school or secondary (S) enrollments."""
    made = g.records["Enrollment"]

    def enroll(person_id: int, calendar: Record, grade: str, service: str) -> None:
        start, end = g.good_dates[calendar["id"]]
        ended = calendar["is_summer"]
        made.append(
            {
                "id": len(made) + 1,
                "person_id": person_id,
                "calendar_id": calendar["id"],
                "grade": grade,
                "service_type": service,
                "start_date": start,
                "start_status": "E1",
                "end_date": end if ended else None,
                "end_status": "C1" if ended else None,
            }
        )

    for person, (calendar, grade) in zip(g.records["PersonIdentity"], g.primary, strict=True):
        enroll(person["id"], calendar, grade, "P")
    calendars = g.records["Calendar"]  # in ID order
    regular = g.regular_calendars()
    summer_of = {c["school_id"]: c for c in calendars if c["is_summer"]}
    for _ in range(g.counts["Enrollment"] - len(made)):
        primary = made[g.rng.randrange(len(g.records["PersonIdentity"]))]
        summer = summer_of.get(calendars[primary["calendar_id"] - 1]["school_id"])
        if summer is not None and g.rng.random() < 0.5 and primary["end_date"] is None:
            # Summer school follows a completed year: the regular enrollment ends with it.
            primary["end_date"] = g.good_dates[primary["calendar_id"]][1]
            primary["end_status"] = "C1"
            enroll(primary["person_id"], summer, primary["grade"], "P")
        else:
            enroll(primary["person_id"], g.rng.choice(regular), primary["grade"], "S")


def person_defects(g: Generation) -> None:
    for person in g.defective("PersonIdentity"):
        fault = g.rng.randrange(5)
        if fault == 0:
            person["state_id"] = f"{g.rng.randrange(10**8, 10**9)}"  # nine digits
        elif fault == 1:
            person["gender"] = "U"  # a code the state does not use
        elif fault == 2:
            person["birth_date"] = dt.date(1900, 1, 1)  # a placeholder
        elif fault == 3:
            person["last_name"] = None
        else:
            person["race_codes"] = [*person["race_codes"], "ZZ"]


def enrollment_defects(g: Generation) -> None:
    made = g.records["Enrollment"]
    regular = g.regular_calendars()
    for i, enrollment in enumerate(g.defective("Enrollment")):
        fault = first_kind(i, g.rng.randrange(3))
        if fault == 0:
            enrollment["grade"] = "13"
        elif fault == 1:  # ends before it starts
            enrollment["end_date"] = enrollment["start_date"] - dt.timedelta(g.rng.randrange(1, 30))
            enrollment["end_status"] = "W1"
        else:  # a second primary enrollment overlapping the first
            enrollment["service_type"] = "P"
            enrollment["calendar_id"] = next(
                c["id"]
                for c in g.rng.sample(regular, len(regular))
                if c["id"] != enrollment["calendar_id"]
            )
            first = made[enrollment["person_id"] - 1]  # each person's first is primary
            enrollment["start_date"] = g.good_dates[first["calendar_id"]][0] + dt.timedelta(30)
            enrollment["end_date"] = enrollment["end_status"] = None
