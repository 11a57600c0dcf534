"""Ed-Fi documents onto statesync's objects (docs/EDFI.md says it field by field).

A mapper takes one document as the struct decoded it, reads what else it needs from the
district's other documents (a section's course, a student's association with the district),
and returns the statesync records it carries: what the state's rules then judge. It never
judges itself; it refuses only what cannot be mapped at all (an unknown descriptor, a reference
to nothing), and says where.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from statesync.core import catalog, wire
from statesync.state.edfi import derived, descriptors, problems
from statesync.state.edfi import resources as r
from statesync.state.edfi.store import Documents
from statesync.state.models import EdfiDocument

SEX, RACE, GRADE = "SexDescriptor", "RaceDescriptor", "GradeLevelDescriptor"
MAX_STUDENTS_UNDECLARED = 1000  # Ed-Fi sections declare no capacity: the rule's upper bound


class NotMappable(Exception):
    """A document the state cannot turn into records: 400 at `path`, with why."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path, self.message = path, message

    def problem(self) -> problems.Problem:
        return problems.validation({self.path: [self.message]})


class Unresolved(Exception):
    """A document whose reference the state does not hold: 409, naming it."""

    def problem(self) -> problems.Problem:
        return problems.unresolved(str(self))


@dataclass
class Mapped:
    """One statesync record a document carries."""

    object: str
    record: wire.Record
    resource: r.Resource  # whose JSON paths name its fields


def descriptor(value: str | None, type_name: str, path: str) -> str | None:
    """The statesync code of a descriptor field, or NotMappable at `path`."""
    if value is None:
        return None
    try:
        return descriptors.statesync_code(value, type_name)
    except descriptors.UnknownDescriptor as exc:
        raise NotMappable(path, str(exc)) from None


def school_year_of(day: dt.date) -> int:
    """The school year (its end year) a date falls in, as catalog.school_years counts them."""
    return day.year + 1 if day.month >= 7 else day.year


class Mapper:
    """Maps one district's documents, reading its other documents through `docs`."""

    def __init__(self, docs: Documents, district_number: str):
        self.docs = docs
        self.district_number = district_number

    def records(self, resource: r.Resource, doc_id: int, body: Any) -> list[Mapped]:
        """The statesync records `body` (decoded as `resource.struct`) carries."""
        mapper: Callable[[int, Any], list[Mapped]] | None = getattr(self, f"_{resource.name}", None)
        return mapper(doc_id, body) if mapper else []

    def check_descriptors(self, value: Any, path: str = "$") -> None:
        """NotMappable for any descriptor in `value` the state does not accept."""
        if isinstance(value, msgspec.Struct):
            for name in value.__struct_fields__:
                wire_name = value.__struct_encode_fields__[value.__struct_fields__.index(name)]
                self.check_descriptors(getattr(value, name), f"{path}.{wire_name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.check_descriptors(item, f"{path}[{i}]")
        elif isinstance(value, str) and path.endswith("Descriptor"):
            field = path.rsplit(".", 1)[1]
            type_name = _descriptor_type(field)
            if type_name is not None:
                descriptor(value, type_name, path)

    # Each resource that carries a record: `_<endpoint>(doc_id, body)`.
    def _localEducationAgencies(self, doc_id: int, lea: r.LocalEducationAgency) -> list[Mapped]:
        held = self.docs.lea()
        if held is not None and held.pk != doc_id:
            raise NotMappable(
                "$.localEducationAgencyId",
                f"district {self.district_number} is Ed-Fi LEA "
                f"{_body(held)['localEducationAgencyId']}; a client sends for its own district",
            )
        record = derived.new_record(
            "District",
            doc_id,
            state_district_number=self.district_number,
            name=lea.name_of_institution,
        )
        return [Mapped("District", record, RESOURCES["localEducationAgencies"])]

    def _schools(self, doc_id: int, school: r.School) -> list[Mapped]:
        lea = self.docs.lea()
        if lea is None:
            raise Unresolved(
                f"localEducationAgencies: district {self.district_number} has sent no LEA yet"
            )
        grades = [
            descriptor(g.grade_level_descriptor, GRADE, f"$.gradeLevels[{i}].gradeLevelDescriptor")
            for i, g in enumerate(school.grade_levels)
        ]
        order = {g: i for i, g in enumerate(catalog.GRADES)}
        known = sorted((g for g in grades if g in order), key=order.__getitem__)
        unknown = [g for g in grades if g not in order]
        low = unknown[0] if unknown else known[0] if known else None
        high = unknown[0] if unknown else known[-1] if known else None
        record = derived.new_record(
            "School",
            doc_id,
            district_id=lea.pk,
            state_school_number=_state_school_number(school),
            name=school.name_of_institution,
            grade_low=low,
            grade_high=high,
            school_type=self._school_type(school, known),
        )
        return [Mapped("School", record, RESOURCES["schools"])]

    def _school_type(self, school: r.School, grades: list[str]) -> str | None:
        # A charter or an alternative school is that first, whatever its grades' category.
        for value, type_name, path in (
            (
                school.charter_status_descriptor,
                "CharterStatusDescriptor",
                "$.charterStatusDescriptor",
            ),
            (school.school_type_descriptor, "SchoolTypeDescriptor", "$.schoolTypeDescriptor"),
        ):
            code = descriptor(value, type_name, path)
            if code in catalog.SCHOOL_TYPES:
                return code
        for i, category in enumerate(school.school_categories):
            path = f"$.schoolCategories[{i}].schoolCategoryDescriptor"
            code = descriptor(category.school_category_descriptor, "SchoolCategoryDescriptor", path)
            if code in catalog.SCHOOL_TYPES or i == len(school.school_categories) - 1:
                return code
        # No category sent: the type its highest grade implies (docs/EDFI.md).
        if not grades:
            return None
        top = catalog.GRADES.index(grades[-1])
        return (
            "HIGH"
            if top >= catalog.GRADES.index("09")
            else ("MID" if top >= catalog.GRADES.index("06") else "ELEM")
        )

    def _calendars(self, doc_id: int, calendar: r.Calendar) -> list[Mapped]:
        school_id = calendar.school_reference.school_id
        school = self._held("schools", [school_id])
        year = calendar.school_year_type_reference.school_year
        first, last = catalog.school_years(year)
        kind = descriptors.code_value(calendar.calendar_type_descriptor, "CalendarTypeDescriptor")
        record = derived.new_record(
            "Calendar",
            doc_id,
            school_id=school,
            school_year=year,
            name=calendar.calendar_code,
            start_date=dt.date.fromisoformat(first),
            end_date=dt.date.fromisoformat(last),
            is_summer=kind == "Summer",
        )
        parts = derived.calendar_parts(self.docs, doc_id, school_id, year)
        here = RESOURCES["calendars"]
        return [Mapped("Calendar", record, here), *(Mapped(o, x, here) for o, x in parts)]

    def _sessions(self, doc_id: int, session: r.Session) -> list[Mapped]:
        return self.sessions_changed(session, sent=True)

    def sessions_changed(self, session: r.Session, sent: bool) -> list[Mapped]:
        """The term schedules of the session's school and year, with it (`sent`) or without."""
        school_id = session.school_reference.school_id
        year = session.school_year_type_reference.school_year
        body = msgspec.to_builtins(session)
        found = []
        for calendar in self.docs.calendars_of(school_id, year):
            terms = derived.term_schedule(
                self.docs,
                calendar.pk,
                school_id,
                year,
                sent=body if sent else None,
                without=None if sent else session.session_name,
            )
            if terms is not None:
                found.append(Mapped(terms[0], terms[1], RESOURCES["sessions"]))
        return found

    def _bellSchedules(self, doc_id: int, bell: r.BellSchedule) -> list[Mapped]:
        made = derived.period_schedule(self.docs, doc_id, bell)
        if isinstance(made, str):
            raise Unresolved(made)
        return [Mapped(made[0], made[1], RESOURCES["bellSchedules"])]

    def _calendarDates(self, doc_id: int, date: r.CalendarDate) -> list[Mapped]:
        ref = date.calendar_reference
        calendar = self._held("calendars", [ref.calendar_code, ref.school_id, ref.school_year])
        made = derived.day(self.docs, doc_id, date, calendar)
        if isinstance(made, str):
            raise Unresolved(made)
        return [Mapped(made[0], made[1], RESOURCES["calendarDates"])]

    def _sections(self, doc_id: int, section: r.Section) -> list[Mapped]:
        ref = section.course_offering_reference
        offering = self.docs.held(
            "courseOfferings",
            [ref.local_course_code, ref.school_id, ref.school_year, ref.session_name],
        )
        if offering is None:
            raise Unresolved(f"courseOfferings: {_show(msgspec.to_builtins(ref))} is not held")
        course_ref = _body(offering)["courseReference"]
        course = self.docs.held(
            "courses", [course_ref["courseCode"], course_ref["educationOrganizationId"]]
        )
        state_code = None
        title = _body(offering).get("localCourseTitle")
        if course is not None:
            title = title or _body(course).get("courseTitle")
            for code in _body(course).get("identificationCodes", []):
                system = code.get("courseIdentificationSystemDescriptor", "")
                if system.endswith("#State course code"):
                    state_code = code.get("identificationCode")
        record = derived.new_record(
            "CourseSection",
            doc_id,
            calendar_id=self._calendar_of(
                ref.school_id, ref.school_year, None, "$.courseOfferingReference"
            ),
            course_number=ref.local_course_code,
            state_course_code=state_code,
            course_name=title,
            section_number=doc_id,
            max_students=MAX_STUDENTS_UNDECLARED,
        )
        return [Mapped("CourseSection", record, RESOURCES["sections"])]

    def _students(self, doc_id: int, student: r.Student) -> list[Mapped]:
        lea = self.docs.lea()
        association = None
        if lea is not None:
            association = self.docs.held(
                "studentEducationOrganizationAssociations",
                [_body(lea)["localEducationAgencyId"], student.student_unique_id],
            )
        if association is None:
            return []  # a person needs its sex and races: they come with the association
        seoa = msgspec.convert(association.body, r.StudentEducationOrganizationAssociation)
        return self._person(doc_id, student, seoa, RESOURCES["students"])

    def _studentEducationOrganizationAssociations(
        self, doc_id: int, seoa: r.StudentEducationOrganizationAssociation
    ) -> list[Mapped]:
        lea = self.docs.lea()
        edorg = seoa.education_organization_reference.education_organization_id
        if lea is None or _body(lea)["localEducationAgencyId"] != edorg:
            return []  # a school's association: the district's one carries the person
        student_doc_key = seoa.student_reference.student_unique_id
        student_doc = self.docs.held("students", [student_doc_key])
        if student_doc is None:
            raise Unresolved(f"students: studentUniqueId {student_doc_key!r} is not held")
        student = msgspec.convert(student_doc.body, r.Student)
        return self._person(
            student_doc.pk, student, seoa, RESOURCES["studentEducationOrganizationAssociations"]
        )

    def _person(
        self,
        person_id: int,
        student: r.Student,
        seoa: r.StudentEducationOrganizationAssociation,
        resource: r.Resource,
    ) -> list[Mapped]:
        lea = self.docs.lea()
        assert lea is not None
        races = [
            descriptor(x.race_descriptor, RACE, f"$.races[{i}].raceDescriptor")
            for i, x in enumerate(seoa.races)
        ]
        state_id = next(
            (
                code.identification_code
                for code in seoa.student_identification_codes
                if code.student_identification_system_descriptor.endswith("#State")
            ),
            None,
        )
        record = derived.new_record(
            "PersonIdentity",
            person_id,
            district_id=lea.pk,
            state_id=state_id,
            last_name=student.last_surname,
            first_name=student.first_name,
            middle_name=student.middle_name,
            suffix=student.generation_code_suffix,
            birth_date=student.birth_date,
            gender=descriptor(seoa.sex_descriptor, SEX, "$.sexDescriptor"),
            hispanic=seoa.hispanic_latino_ethnicity,
            race_codes=races,
        )
        return [Mapped("PersonIdentity", record, resource)]

    def _studentSchoolAssociations(
        self, doc_id: int, ssa: r.StudentSchoolAssociation
    ) -> list[Mapped]:
        person = self._held("students", [ssa.student_reference.student_unique_id])
        year = (
            ssa.calendar_reference.school_year
            if ssa.calendar_reference
            else ssa.school_year_type_reference.school_year
            if ssa.school_year_type_reference
            else school_year_of(ssa.entry_date)
        )
        code = ssa.calendar_reference.calendar_code if ssa.calendar_reference else None
        end_status = descriptor(
            ssa.exit_withdraw_type_descriptor,
            "ExitWithdrawTypeDescriptor",
            "$.exitWithdrawTypeDescriptor",
        )
        record = derived.new_record(
            "Enrollment",
            doc_id,
            person_id=person,
            calendar_id=self._calendar_of(
                ssa.school_reference.school_id, year, code, "$.schoolReference"
            ),
            grade=descriptor(
                ssa.entry_grade_level_descriptor, GRADE, "$.entryGradeLevelDescriptor"
            ),
            service_type="S" if ssa.primary_school is False else "P",
            start_date=ssa.entry_date,
            start_status=descriptor(
                ssa.entry_type_descriptor, "EntryTypeDescriptor", "$.entryTypeDescriptor"
            )
            or "E1",
            end_date=ssa.exit_withdraw_date,
            end_status=end_status or ("W1" if ssa.exit_withdraw_date else None),
        )
        return [Mapped("Enrollment", record, RESOURCES["studentSchoolAssociations"])]

    def _held(self, resource: str, key: list[Any]) -> int:
        doc = self.docs.held(resource, key)
        if doc is None:
            raise Unresolved(
                f"{resource}: {_show(dict(zip(RESOURCES[resource].key_names, key, strict=True)))} "
                "is not held"
            )
        return doc.pk

    def _calendar_of(self, school_id: int, year: int, code: str | None, path: str) -> int:
        """The calendar a school's record of `year` belongs to: the one named, or the school's
        only calendar that year, or else its only one that is not a summer calendar."""
        if code is not None:
            return self._held("calendars", [code, school_id, year])
        calendars = self.docs.calendars_of(school_id, year)
        if not calendars:
            raise Unresolved(f"calendars: school {school_id} has no calendar for {year} held")
        if len(calendars) == 1:
            return calendars[0].pk
        regular = [c for c in calendars if not _is_summer(c)]
        if len(regular) == 1:
            return regular[0].pk
        names = ", ".join(_body(c)["calendarCode"] for c in calendars)
        raise NotMappable(
            path,
            f"school {school_id} has {len(calendars)} calendars for {year} ({names}); "
            "send a calendarReference to say which",
        )


def _body(doc: EdfiDocument) -> dict[str, Any]:
    """A held document's body (the store returns only held ones)."""
    assert doc.body is not None, f"{doc} is not held"
    return doc.body


def _is_summer(calendar: EdfiDocument) -> bool:
    kind = _body(calendar)["calendarTypeDescriptor"]
    return descriptors.code_value(kind, "CalendarTypeDescriptor") == "Summer"


def _state_school_number(school: r.School) -> str:
    """The school's SEA identification code when it is 4 digits, else the last 4 of schoolId."""
    for code in school.identification_codes:
        system = code.education_organization_identification_system_descriptor
        if system.endswith("#SEA") and len(code.identification_code) == 4:
            return code.identification_code
    return str(school.school_id)[-4:].rjust(4, "0")


def _descriptor_type(field: str) -> str | None:
    """The descriptor type of a JSON field: `entryGradeLevelDescriptor` → GradeLevelDescriptor."""
    name = field[0].upper() + field[1:]
    for type_name in descriptors.DESCRIPTORS:
        if name.endswith(type_name):
            return type_name
    return None


def _show(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


RESOURCES = {res.name: res for res in r.RESOURCES}
