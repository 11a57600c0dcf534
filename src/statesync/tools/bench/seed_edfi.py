"""A district edition's data as Ed-Fi JSON: what its SIS would send through the Ed-Fi door.

`statesync bench` seeds a district, sends it through the native door, and sends the same
district through the Ed-Fi door with lightbeam, so the two rates are of one district
(docs/EDFI.md, "Speed"). This is docs/EDFI.md's mapping run backwards. What Ed-Fi cannot carry
is lost on the way, and docs/EDFI.md lists it ("The seed district as Ed-Fi").

Rows are read from the district's tables a few at a time (a chunked cursor) and written as
they are read, one JSON Lines file per resource, as lightbeam reads them. Only the small
tables (schools, calendars, schedules) are held while the rest is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db import connections

from statesync.core import catalog
from statesync.state.edfi.descriptors import for_code, uri

LEA_BASE = 100_000  # an Ed-Fi LEA ID: this plus the district's number
SCHOOL_DIGITS = 10_000  # an Ed-Fi school ID: the LEA's times this, plus the school's ID
ORG_ID = "EducationOrganizationIdentificationSystemDescriptor"
EVENT = "CalendarEventDescriptor"

Row = dict[str, Any]


class Output:
    """One JSON Lines file per resource in `folder`, opened at its first record; counts."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.files, self.counts = folder, dict[str, IO[str]](), dict[str, int]()

    def put(self, resource: str, body: dict[str, Any]) -> None:
        if resource not in self.files:
            self.files[resource] = open(self.folder / f"{resource}.jsonl", "w")  # noqa: SIM115
            self.counts[resource] = 0
        self.files[resource].write(json.dumps(body) + "\n")
        self.counts[resource] += 1

    def close(self) -> None:
        for file in self.files.values():
            file.close()


class Scope:
    """The schools sent (the first `schools` by ID, or all) and the small tables under them."""

    def __init__(self, using: str, schools: int | None):
        self.using = using
        [self.district] = rows(using, "District")
        self.lea = LEA_BASE + int(self.district[catalog.DISTRICT_NUMBER_FIELD])
        self.schools = list(rows(using, "School"))[:schools]
        school_ids = [s["id"] for s in self.schools]
        self.calendars = {
            c["id"]: c for c in rows(using, "Calendar", *among("school_id", school_ids))
        }
        structures = rows(using, "ScheduleStructure", *self.under_calendars())
        self.structure_calendar = {s["id"]: s["calendar_id"] for s in structures}
        # Each school year's first session (its begin date, its name): where offerings are.
        self.first_session: dict[tuple[int, int], tuple[str, str]] = {}

    def under_calendars(self) -> tuple[str, list[int]]:
        return among("calendar_id", list(self.calendars))

    def under_structures(self) -> tuple[str, list[int]]:
        return among("structure_id", list(self.structure_calendar))

    def school_id(self, district_school_id: int) -> int:
        return self.lea * SCHOOL_DIGITS + district_school_id

    def calendar_reference(self, calendar_id: int) -> dict[str, Any]:
        calendar = self.calendars[calendar_id]
        return {
            "calendarCode": calendar_code(calendar),
            "schoolId": self.school_id(calendar["school_id"]),
            "schoolYear": calendar[catalog.YEAR_FIELD],
        }


def among(column: str, ids: list[int]) -> tuple[str, list[int]]:
    """A WHERE clause and its parameters: `column` is one of `ids` (a few hundred at most)."""
    if not ids:
        return "WHERE 1=0", []
    return f"WHERE {column} IN ({', '.join(['%s'] * len(ids))})", ids


def rows(using: str, name: str, where: str = "", params: list[int] | None = None) -> Iterator[Row]:
    """The district's records of `name` in ID order (those `where` keeps), as dicts, read
    through a chunked cursor: PostgreSQL hands them over a few thousand at a time."""
    obj = catalog.OBJECTS[name]
    connection = connections[using]
    quoted = ", ".join(connection.ops.quote_name(c) for c in obj.columns)
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT {quoted} FROM {obj.district_table} {where} ORDER BY id", params or []
        )
        for row in cursor:
            yield dict(zip(obj.columns, row, strict=True))


def export(folder: Path, schools: int | None = None, using: str = "default") -> dict[str, int]:
    """Write the district in `using` (its first `schools`, or all) as Ed-Fi JSON Lines files
    into `folder`: the count of each resource."""
    scope, out = Scope(using, schools), Output(folder)
    try:
        for write in (_organizations, _calendars, _schedules, _days, _sections, _people):
            write(scope, out)
    finally:
        out.close()
    return out.counts


def calendar_code(calendar: Row) -> str:
    return str(calendar["name"])[:60]


def _json(value: Any) -> Any:
    """A JSON column's value: SQLite gives its text, PostgreSQL what it holds."""
    return json.loads(value) if isinstance(value, str) else value


def _grades(low: str, high: str) -> list[dict[str, str]]:
    grades = catalog.GRADES[catalog.GRADES.index(low) : catalog.GRADES.index(high) + 1]
    return [{"gradeLevelDescriptor": for_code("GradeLevelDescriptor", g)} for g in grades]


def _organizations(scope: Scope, out: Output) -> None:
    """The LEA and its schools; a school's type as Ed-Fi says it (category, focus, charter)."""
    out.put(
        "localEducationAgencies",
        {
            "localEducationAgencyId": scope.lea,
            "nameOfInstitution": str(scope.district["name"])[:75],
            "localEducationAgencyCategoryDescriptor": uri(
                "LocalEducationAgencyCategoryDescriptor", "Independent"
            ),
            "categories": [_category("Local Education Agency")],
        },
    )
    for school in scope.schools:
        kind = school["school_type"]
        body = {
            "schoolId": scope.school_id(school["id"]),
            "nameOfInstitution": str(school["name"])[:75],
            "localEducationAgencyReference": {"localEducationAgencyId": scope.lea},
            "educationOrganizationCategories": [_category("School")],
            "gradeLevels": _grades(school["grade_low"], school["grade_high"]),
            "identificationCodes": [
                {
                    "educationOrganizationIdentificationSystemDescriptor": uri(ORG_ID, "SEA"),
                    "identificationCode": school["state_school_number"],
                }
            ],
        }
        if kind == "CHTR":
            body["charterStatusDescriptor"] = for_code("CharterStatusDescriptor", kind)
        elif kind == "ALT":
            body["schoolTypeDescriptor"] = for_code("SchoolTypeDescriptor", kind)
        else:
            body["schoolCategories"] = [
                {"schoolCategoryDescriptor": for_code("SchoolCategoryDescriptor", kind)}
            ]
        out.put("schools", body)


def _category(value: str) -> dict[str, str]:
    return {
        "educationOrganizationCategoryDescriptor": uri(
            "EducationOrganizationCategoryDescriptor", value
        )
    }


def _calendars(scope: Scope, out: Output) -> None:
    """Calendars, and each school year's sessions: the terms of its regular calendar."""
    for calendar in scope.calendars.values():
        out.put(
            "calendars",
            {
                "calendarCode": calendar_code(calendar),
                "schoolReference": {"schoolId": scope.school_id(calendar["school_id"])},
                "schoolYearTypeReference": {"schoolYear": calendar[catalog.YEAR_FIELD]},
                "calendarTypeDescriptor": uri(
                    "CalendarTypeDescriptor", "Summer" if calendar["is_summer"] else "School"
                ),
            },
        )
    _sessions(scope, out)


def _sessions(scope: Scope, out: Output) -> None:
    """A school year's sessions: the terms of its regular calendar's first term schedule, or,
    where it has none, one session as long as that calendar (derived: an offering needs one).
    Sessions are the school's, not a calendar's, so Ed-Fi holds one set a school year."""
    for terms in rows(scope.using, "TermSchedule", *scope.under_structures()):
        calendar = scope.calendars[scope.structure_calendar[terms["structure_id"]]]
        key = (scope.school_id(calendar["school_id"]), calendar[catalog.YEAR_FIELD])
        if calendar["is_summer"] or key in scope.first_session:
            continue
        names: set[str] = set()
        for term in _json(terms["terms"]):
            name = str(term["name"])[:60]
            if name not in names:
                names.add(name)
                _session(scope, out, calendar, name, term["start_date"], term["end_date"])
    for calendar in scope.calendars.values():
        key = (scope.school_id(calendar["school_id"]), calendar[catalog.YEAR_FIELD])
        if not calendar["is_summer"] and key not in scope.first_session:
            _session(
                scope, out, calendar, "Full year", calendar["start_date"], calendar["end_date"]
            )


def _session(scope: Scope, out: Output, calendar: Row, name: str, start: Any, end: Any) -> None:
    school_id, year = scope.school_id(calendar["school_id"]), calendar[catalog.YEAR_FIELD]
    begins = (str(start), name)
    scope.first_session[(school_id, year)] = min(
        scope.first_session.get((school_id, year), begins), begins
    )
    out.put(
        "sessions",
        {
            "sessionName": name,
            "schoolReference": {"schoolId": school_id},
            "schoolYearTypeReference": {"schoolYear": year},
            "beginDate": str(start),
            "endDate": str(end),
            "termDescriptor": uri("TermDescriptor", "Other"),
            "totalInstructionalDays": _instructional_days(scope, calendar, str(start), str(end)),
        },
    )


def _instructional_days(scope: Scope, calendar: Row, start: str, end: str) -> int:
    with connections[scope.using].cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM district_day WHERE calendar_id = %s AND instructional "
            f"AND {connections[scope.using].ops.quote_name('date')} BETWEEN %s AND %s",
            [calendar["id"], start, end],
        )
        return int(cursor.fetchone()[0])


def _schedules(scope: Scope, out: Output) -> None:
    """Bell schedules and their class periods. A class period is the school's, by name: one
    named alike in two bell schedules at other times is renamed with its times."""
    periods: dict[tuple[int, str], tuple[str, str]] = {}
    bells: set[tuple[int, str]] = set()
    for schedule in rows(scope.using, "PeriodSchedule", *scope.under_structures()):
        school = scope.calendars[scope.structure_calendar[schedule["structure_id"]]]["school_id"]
        school_id = scope.school_id(school)
        name = str(schedule["name"])[:60]
        if (school, name) in bells:
            name = f"{name[:48]} {schedule['id']}"
        bells.add((school, name))
        references = []
        for period in _json(schedule["periods"]):
            times = (period["start_time"], period["end_time"])
            period_name = str(period["name"])[:60]
            if periods.setdefault((school, period_name), times) != times:
                period_name = f"{period_name[:48]} {times[0]}-{times[1]}"
                periods[(school, period_name)] = times
            references.append(
                {"classPeriodReference": {"classPeriodName": period_name, "schoolId": school_id}}
            )
        out.put(
            "bellSchedules",
            {
                "bellScheduleName": name,
                "schoolReference": {"schoolId": school_id},
                "classPeriods": references,
            },
        )
    for (school, period_name), (start, end) in periods.items():
        out.put(
            "classPeriods",
            {
                "classPeriodName": period_name,
                "schoolReference": {"schoolId": scope.school_id(school)},
                "meetingTimes": [{"startTime": f"{start}:00", "endTime": f"{end}:00"}],
            },
        )


def _days(scope: Scope, out: Output) -> None:
    """Each day as a calendar date: instructional or not, and its event."""
    for day in rows(scope.using, "Day", *scope.under_calendars()):
        events = [
            uri(EVENT, "Instructional day" if day["instructional"] else "Non-instructional day")
        ]
        if day["event_code"]:
            events.append(for_code(EVENT, day["event_code"]))
        out.put(
            "calendarDates",
            {
                "date": str(day["date"]),
                "calendarReference": scope.calendar_reference(day["calendar_id"]),
                "calendarEvents": [{"calendarEventDescriptor": e} for e in events],
            },
        )


def _sections(scope: Scope, out: Output) -> None:
    """Sections, with the district's courses and each school's offerings of them (in its
    first session of the year)."""
    courses: set[str] = set()
    offerings: set[tuple[str, int]] = set()
    for section in rows(scope.using, "CourseSection", *scope.under_calendars()):
        calendar = scope.calendars[section["calendar_id"]]
        number, school_id = section["course_number"], scope.school_id(calendar["school_id"])
        year = calendar[catalog.YEAR_FIELD]
        offering = {
            "localCourseCode": number,
            "schoolId": school_id,
            "schoolYear": year,
            "sessionName": scope.first_session[(school_id, year)][1],
        }
        if number not in courses:
            courses.add(number)
            out.put("courses", _course(scope, section))
        if (number, calendar["id"]) not in offerings:
            offerings.add((number, calendar["id"]))
            out.put(
                "courseOfferings",
                {
                    "localCourseCode": number,
                    "courseReference": {"courseCode": number, "educationOrganizationId": scope.lea},
                    "schoolReference": {"schoolId": school_id},
                    "sessionReference": {
                        k: offering[k] for k in ("schoolId", "schoolYear", "sessionName")
                    },
                    "localCourseTitle": str(section["course_name"])[:60],
                },
            )
        out.put(
            "sections",
            {
                "sectionIdentifier": str(section["section_number"]),
                "courseOfferingReference": offering,
            },
        )


def _course(scope: Scope, section: Row) -> dict[str, Any]:
    return {
        "courseCode": section["course_number"],
        "educationOrganizationReference": {"educationOrganizationId": scope.lea},
        "courseTitle": str(section["course_name"])[:60],
        "numberOfParts": 1,
        "identificationCodes": [
            {
                "courseIdentificationSystemDescriptor": uri(
                    "CourseIdentificationSystemDescriptor", "State course code"
                ),
                "identificationCode": section["state_course_code"],
            }
        ],
    }


def _people(scope: Scope, out: Output) -> None:
    """Students enrolled in the schools sent, their association with the district (sex, race,
    ethnicity, a state ID when the district holds one), and their enrollments."""
    where, params = scope.under_calendars()
    enrolled = f"WHERE id IN (SELECT person_id FROM district_enrollment {where})"
    for person in rows(scope.using, "PersonIdentity", enrolled, params):
        unique_id = str(person["id"])
        student = {
            "studentUniqueId": unique_id,
            "firstName": person["first_name"],
            "lastSurname": person["last_name"],
            "birthDate": str(person["birth_date"]),
        }
        if person["middle_name"]:
            student["middleName"] = person["middle_name"]
        if person["suffix"]:
            student["generationCodeSuffix"] = person["suffix"]
        out.put("students", student)
        out.put("studentEducationOrganizationAssociations", _association(scope, person))
    for enrollment in rows(scope.using, "Enrollment", where, params):
        out.put("studentSchoolAssociations", _enrollment(scope, enrollment))


def _association(scope: Scope, person: Row) -> dict[str, Any]:
    body: dict[str, Any] = {
        "educationOrganizationReference": {"educationOrganizationId": scope.lea},
        "studentReference": {"studentUniqueId": str(person["id"])},
        "sexDescriptor": for_code("SexDescriptor", person["gender"]),
        "hispanicLatinoEthnicity": bool(person["hispanic"]),
        "races": [
            {"raceDescriptor": for_code("RaceDescriptor", r)} for r in _json(person["race_codes"])
        ],
    }
    if person[catalog.STATE_ID_FIELD]:
        body["studentIdentificationCodes"] = [
            {
                "assigningOrganizationIdentificationCode": "SEA",
                "studentIdentificationSystemDescriptor": uri(
                    "StudentIdentificationSystemDescriptor", "State"
                ),
                "identificationCode": person[catalog.STATE_ID_FIELD],
            }
        ]
    return body


def _enrollment(scope: Scope, enrollment: Row) -> dict[str, Any]:
    calendar = scope.calendars[enrollment["calendar_id"]]
    body: dict[str, Any] = {
        "entryDate": str(enrollment["start_date"]),
        "schoolReference": {"schoolId": scope.school_id(calendar["school_id"])},
        "studentReference": {"studentUniqueId": str(enrollment["person_id"])},
        "entryGradeLevelDescriptor": for_code("GradeLevelDescriptor", enrollment["grade"]),
        "calendarReference": scope.calendar_reference(calendar["id"]),
        "entryTypeDescriptor": for_code("EntryTypeDescriptor", enrollment["start_status"]),
        "primarySchool": enrollment["service_type"] == "P",
    }
    if enrollment["end_date"]:
        body["exitWithdrawDate"] = str(enrollment["end_date"])
    if enrollment["end_status"]:
        body["exitWithdrawTypeDescriptor"] = for_code(
            "ExitWithdrawTypeDescriptor", enrollment["end_status"]
        )
    return body
