"""The Ed-Fi sample district "Grand Bend ISD" (XML interchanges) as Ed-Fi API JSON.

    .venv/bin/python -m statesync.tools.demo.edfi tests/data/edfi/grand-bend OUT_DIR

writes one JSON Lines file per resource (`schools.jsonl`, …) into OUT_DIR: what lightbeam sends
(the tests and `statesync bench` do the same through `convert` and `write`). The XML is the Ed-Fi
Alliance's (Apache License 2.0, tests/data/edfi/grand-bend/LICENSE), kept with the tests.

What the interchanges lack is derived, and said so here and in docs/EDFI.md:
- enrollments (studentSchoolAssociations): Data Standard 5.1's StudentEnrollment interchange is
  not published, so a student is enrolled in each school their attendance events name, from
  the begin date of that school's first session of the year; the grade is the one their age
  on 1 September gives (6 → First grade), since nothing in the interchanges says it;
- sex, races and Hispanic ethnicity (studentEducationOrganizationAssociations): Data Standard
  5.1's Student interchange has none, so they come from the same students in the district's
  Data Standard 2.0 interchange, matched by StudentUniqueId (a student not there gets none),
  with 2.0's "American Indian - Alaskan Native" spelled as 5.x's descriptor spells it;
- calendars: the interchange has one (school 255901107); a school with sessions and no
  calendar gets one named "{schoolId}-{year}", of type School.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from statesync.core.catalog import GRADES as GRADE_CODES
from statesync.state.edfi import intake
from statesync.state.edfi.descriptors import DESCRIPTORS
from statesync.state.edfi.mapping import RESOURCES
from statesync.state.edfi.openapi import DEPENDENCY_ORDER
from statesync.state.edfi.problems import Problem
from statesync.state.models import District

LEA_ID = 255901
# Where a checkout keeps the sample (the tests' data): the bench and demo read it from there.
SAMPLE = Path(__file__).resolve().parents[4] / "tests" / "data" / "edfi" / "grand-bend"
# Data Standard 2.0 spelled some race values otherwise than 5.x's RaceDescriptor does.
RACES_DS2 = {"American Indian - Alaskan Native": "American Indian - Alaska Native"}
# Kindergarten, then "First grade" … "Twelfth grade": the state's grade descriptors, in order.
GRADES = [
    code for code, grade in DESCRIPTORS["GradeLevelDescriptor"].items() if grade in GRADE_CODES[1:]
]


def local(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def children(element: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in element if local(child) == name)


def text(element: ET.Element, *path: str) -> str | None:
    """The text at a path of local names below `element`, or None."""
    found: ET.Element | None = element
    for name in path:
        found = next(children(found, name), None) if found is not None else None
    return found.text.strip() if found is not None and found.text else None


def year(value: str) -> int:
    """ "2021-2022" → 2022: Ed-Fi's schoolYear is the year a school year ends."""
    return int(value.split("-")[-1])


def school_ref(element: ET.Element) -> dict[str, int]:
    return {"schoolId": int(text(element, "SchoolReference", "SchoolIdentity", "SchoolId") or 0)}


def session_ref(element: ET.Element) -> dict[str, Any]:
    identity = next(children(next(children(element, "SessionReference")), "SessionIdentity"))
    return {
        "schoolId": int(text(identity, "SchoolReference", "SchoolIdentity", "SchoolId") or 0),
        "schoolYear": year(text(identity, "SchoolYear") or "0"),
        "sessionName": text(identity, "SessionName"),
    }


def convert(source: Path) -> dict[str, list[dict[str, Any]]]:
    """Every resource's records, by endpoint, from the interchanges in `source`."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    orgs = ET.parse(source / "ds5" / "EducationOrganization.xml").getroot()
    _agencies(orgs, out)
    _courses(orgs, out)
    first_day = _calendars(ET.parse(source / "ds5" / "EducationOrgCalendar.xml").getroot(), out)
    _schedule(ET.parse(source / "ds5" / "MasterSchedule.xml").getroot(), out)
    _people(source, out, first_day)
    return out


def _agencies(orgs: ET.Element, out: dict[str, list[dict[str, Any]]]) -> None:
    for lea in children(orgs, "LocalEducationAgency"):
        out["localEducationAgencies"].append(
            {
                "localEducationAgencyId": int(text(lea, "LocalEducationAgencyId") or 0),
                "nameOfInstitution": text(lea, "NameOfInstitution"),
                "localEducationAgencyCategoryDescriptor": text(lea, "LocalEducationAgencyCategory"),
                "categories": [
                    {"educationOrganizationCategoryDescriptor": c.text}
                    for c in children(lea, "EducationOrganizationCategory")
                ],
            }
        )
    for school in children(orgs, "School"):
        out["schools"].append(
            {
                "schoolId": int(text(school, "SchoolId") or 0),
                "nameOfInstitution": text(school, "NameOfInstitution"),
                "shortNameOfInstitution": text(school, "ShortNameOfInstitution"),
                "localEducationAgencyReference": {"localEducationAgencyId": LEA_ID},
                "educationOrganizationCategories": [
                    {"educationOrganizationCategoryDescriptor": c.text}
                    for c in children(school, "EducationOrganizationCategory")
                ],
                "gradeLevels": [
                    {"gradeLevelDescriptor": g.text} for g in children(school, "GradeLevel")
                ],
                "schoolCategories": [
                    {"schoolCategoryDescriptor": c.text} for c in children(school, "SchoolCategory")
                ],
            }
        )


def _courses(orgs: ET.Element, out: dict[str, list[dict[str, Any]]]) -> None:
    for period in children(orgs, "ClassPeriod"):
        out["classPeriods"].append(
            {
                "classPeriodName": text(period, "ClassPeriodName"),
                "schoolReference": school_ref(period),
                "meetingTimes": [
                    {"startTime": text(m, "StartTime"), "endTime": text(m, "EndTime")}
                    for m in children(period, "MeetingTime")
                ],
            }
        )
    for course in children(orgs, "Course"):
        edorg = text(
            course,
            "EducationOrganizationReference",
            "EducationOrganizationIdentity",
            "EducationOrganizationId",
        )
        out["courses"].append(
            {
                "courseCode": text(course, "CourseCode"),
                "courseTitle": text(course, "CourseTitle"),
                "numberOfParts": int(text(course, "NumberOfParts") or 1),
                "educationOrganizationReference": {"educationOrganizationId": int(edorg or LEA_ID)},
                "identificationCodes": [
                    {
                        "identificationCode": text(c, "IdentificationCode"),
                        "courseIdentificationSystemDescriptor": text(
                            c, "CourseIdentificationSystem"
                        ),
                    }
                    for c in children(course, "CourseIdentificationCode")
                ],
            }
        )


def _calendars(
    calendar_xml: ET.Element, out: dict[str, list[dict[str, Any]]]
) -> dict[tuple[int, int], str]:
    """Sessions, calendars (derived where missing) and dates; each school year's first day."""
    first_day: dict[tuple[int, int], str] = {}
    for session in children(calendar_xml, "Session"):
        at, school_year = school_ref(session), year(text(session, "SchoolYear") or "0")
        begin = text(session, "BeginDate") or ""
        key = (at["schoolId"], school_year)
        first_day[key] = min(first_day.get(key, begin), begin)
        out["sessions"].append(
            {
                "sessionName": text(session, "SessionName"),
                "schoolReference": at,
                "schoolYearTypeReference": {"schoolYear": school_year},
                "beginDate": begin,
                "endDate": text(session, "EndDate"),
                "termDescriptor": text(session, "Term"),
                "totalInstructionalDays": int(text(session, "TotalInstructionalDays") or 0),
            }
        )
    calendars = set()
    for calendar in children(calendar_xml, "Calendar"):
        at, school_year = school_ref(calendar), year(text(calendar, "SchoolYear") or "0")
        calendars.add((at["schoolId"], school_year))
        out["calendars"].append(
            {
                "calendarCode": text(calendar, "CalendarCode"),
                "schoolReference": at,
                "schoolYearTypeReference": {"schoolYear": school_year},
                "calendarTypeDescriptor": text(calendar, "CalendarType"),
            }
        )
    for school_id, school_year in sorted(set(first_day) - calendars):  # derived: said above
        out["calendars"].append(
            {
                "calendarCode": f"{school_id}-{school_year}",
                "schoolReference": {"schoolId": school_id},
                "schoolYearTypeReference": {"schoolYear": school_year},
                "calendarTypeDescriptor": "uri://ed-fi.org/CalendarTypeDescriptor#School",
            }
        )
    for day in children(calendar_xml, "CalendarDate"):
        identity = next(children(next(children(day, "CalendarReference")), "CalendarIdentity"))
        out["calendarDates"].append(
            {
                "date": text(day, "Date"),
                "calendarReference": {
                    "calendarCode": text(identity, "CalendarCode"),
                    "schoolId": int(
                        text(identity, "SchoolReference", "SchoolIdentity", "SchoolId") or 0
                    ),
                    "schoolYear": year(text(identity, "SchoolYear") or "0"),
                },
                "calendarEvents": [
                    {"calendarEventDescriptor": e.text} for e in children(day, "CalendarEvent")
                ],
            }
        )
    return first_day


def _schedule(schedule: ET.Element, out: dict[str, list[dict[str, Any]]]) -> None:
    for bell in children(schedule, "BellSchedule"):
        out["bellSchedules"].append(
            {
                "bellScheduleName": text(bell, "BellScheduleName"),
                "schoolReference": school_ref(bell),
                "classPeriods": [
                    {
                        "classPeriodReference": {
                            "classPeriodName": text(p, "ClassPeriodIdentity", "ClassPeriodName"),
                            "schoolId": school_ref(next(children(p, "ClassPeriodIdentity")))[
                                "schoolId"
                            ],
                        }
                    }
                    for p in children(bell, "ClassPeriodReference")
                ],
            }
        )
    for offering in children(schedule, "CourseOffering"):
        course = next(children(next(children(offering, "CourseReference")), "CourseIdentity"))
        out["courseOfferings"].append(
            {
                "localCourseCode": text(offering, "LocalCourseCode"),
                "schoolReference": school_ref(offering),
                "sessionReference": session_ref(offering),
                "courseReference": {
                    "courseCode": text(course, "CourseCode"),
                    "educationOrganizationId": int(
                        text(
                            course,
                            "EducationOrganizationReference",
                            "EducationOrganizationIdentity",
                            "EducationOrganizationId",
                        )
                        or LEA_ID
                    ),
                },
            }
        )
    for section in children(schedule, "Section"):
        identity = next(
            children(next(children(section, "CourseOfferingReference")), "CourseOfferingIdentity")
        )
        ref = session_ref(identity)
        body = {
            "sectionIdentifier": text(section, "SectionIdentifier"),
            "courseOfferingReference": {
                "localCourseCode": text(identity, "LocalCourseCode"),
                **ref,
            },
        }
        if text(section, "SectionName"):
            body["sectionName"] = text(section, "SectionName")
        out["sections"].append(body)


def _people(
    source: Path, out: dict[str, list[dict[str, Any]]], first_day: dict[tuple[int, int], str]
) -> None:
    older = {}
    for student in ET.parse(source / "ds2" / "Student.xml").getroot():
        older[text(student, "StudentUniqueId")] = student
    born: dict[str, str] = {}
    for student in children(ET.parse(source / "ds5" / "Student.xml").getroot(), "Student"):
        unique_id = text(student, "StudentUniqueId")
        body = {
            "studentUniqueId": unique_id,
            "firstName": text(student, "Name", "FirstName"),
            "lastSurname": text(student, "Name", "LastSurname"),
            "birthDate": text(student, "BirthData", "BirthDate"),
        }
        for field, xml_name in (
            ("middleName", "MiddleName"),
            ("generationCodeSuffix", "GenerationCodeSuffix"),
        ):
            if text(student, "Name", xml_name):
                body[field] = text(student, "Name", xml_name)
        born[unique_id or ""] = body["birthDate"] or ""
        out["students"].append(body)
        association: dict[str, Any] = {
            "educationOrganizationReference": {"educationOrganizationId": LEA_ID},
            "studentReference": {"studentUniqueId": unique_id},
        }
        old = older.get(unique_id)
        if old is not None:  # Data Standard 2.0's sex, races and ethnicity (said above)
            if text(old, "Sex"):
                association["sexDescriptor"] = f"uri://ed-fi.org/SexDescriptor#{text(old, 'Sex')}"
            if text(old, "HispanicLatinoEthnicity"):
                association["hispanicLatinoEthnicity"] = (
                    text(old, "HispanicLatinoEthnicity") == "true"
                )
            association["races"] = [
                {"raceDescriptor": f"uri://ed-fi.org/RaceDescriptor#{RACES_DS2.get(race, race)}"}
                for race in (r.text or "" for r in children(old, "Race"))
            ]
        out["studentEducationOrganizationAssociations"].append(association)
    attendance = ET.parse(source / "ds5" / "StudentSchoolAttendance.xml").getroot()
    enrolled: set[tuple[str, int, int]] = set()
    for event in attendance:
        unique_id = text(event, "StudentReference", "StudentIdentity", "StudentUniqueId") or ""
        session = session_ref(event)
        enrolled.add((unique_id, session["schoolId"], session["schoolYear"]))
    for unique_id, school_id, school_year in sorted(enrolled):
        if unique_id not in born or (school_id, school_year) not in first_day:
            continue
        out["studentSchoolAssociations"].append(
            {
                "studentReference": {"studentUniqueId": unique_id},
                "schoolReference": {"schoolId": school_id},
                "schoolYearTypeReference": {"schoolYear": school_year},
                "entryDate": first_day[(school_id, school_year)],
                "entryGradeLevelDescriptor": _grade(born[unique_id], school_year),
            }
        )


def _grade(birth_date: str, school_year: int) -> str:
    """The grade a student's age on 1 September gives (derived: said in the module's doc)."""
    start = dt.date(school_year - 1, 9, 1)
    born = dt.date.fromisoformat(birth_date)
    age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    index = min(max(age - 5, 0), len(GRADES) - 1)
    return f"uri://ed-fi.org/GradeLevelDescriptor#{GRADES[index]}"


def first_students(
    records: dict[str, list[dict[str, Any]]], n: int
) -> dict[str, list[dict[str, Any]]]:
    """The records with only the first `n` students (and their associations) and `n` sections:
    a smaller sample of the same shape, where a test or a small bench needs one."""
    kept = {s["studentUniqueId"] for s in records["students"][:n]}
    for name in ("studentEducationOrganizationAssociations", "studentSchoolAssociations"):
        records[name] = [
            r for r in records[name] if r["studentReference"]["studentUniqueId"] in kept
        ]
    records["students"] = records["students"][:n]
    records["sections"] = records["sections"][:n]
    return records


def write(records: dict[str, list[dict[str, Any]]], target: Path) -> dict[str, int]:
    """Write one JSONL file per resource into `target`; the count of each."""
    target.mkdir(parents=True, exist_ok=True)
    for resource, items in records.items():
        with open(target / f"{resource}.jsonl", "w") as out:
            for item in items:
                out.write(json.dumps(item) + "\n")
    return {resource: len(items) for resource, items in records.items()}


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: python -m statesync.tools.demo.edfi SOURCE_DIR OUT_DIR")
    counts = write(convert(Path(sys.argv[1])), Path(sys.argv[2]))
    for resource, n in sorted(counts.items()):
        print(f"{n:>6}  {resource}")


if __name__ == "__main__":
    main()


def load(
    district: District,
    records: dict[str, list[dict[str, Any]]],
    refusals: list[str] | None = None,
) -> dict[str, list[int]]:
    """Send `records` into `district`'s Ed-Fi copy in dependency order, in process, through the
    door's own intake (the same checks, mapping and rules as a POST): {resource: [accepted,
    refused]}. Each refusal's reason is added to `refusals`, when given."""
    outcome: dict[str, list[int]] = {}
    for name in sorted(records, key=lambda n: DEPENDENCY_ORDER.get(n, 99)):
        resource = RESOURCES[name]
        counts = outcome.setdefault(name, [0, 0])
        for record in records[name]:
            try:
                intake.upsert(district, resource, json.dumps(record).encode())
                counts[0] += 1
            except Problem as problem:
                counts[1] += 1
                if refusals is not None:
                    refusals.append(f"{name}: {problem.detail} {problem.validation_errors}")
    return outcome
