"""The Ed-Fi resources the state serves (Data Standard 5), as typed schemas.

Each resource is a msgspec struct holding the fields statesync reads; a client's other fields
are kept in the stored document and given back, but not read. The structs decode and check a
POSTed body (a wrong type names its JSON path), and the OpenAPI document is generated from
them (`openapi.py`). Natural keys and references are declared here once: the API's
get-by-example, upsert, Change Queries and reference checks all read them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

import msgspec

NAMESPACE = "ed-fi"
EDORG_ID = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
YEAR = Annotated[int, msgspec.Meta(ge=1900, le=2200)]
DESCRIPTOR = Annotated[str, msgspec.Meta(max_length=306)]


# Text of at most N characters, not empty.
TEXT32 = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
TEXT60 = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
TEXT75 = Annotated[str, msgspec.Meta(min_length=1, max_length=75)]
TEXT120 = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
TEXT255 = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class Part(msgspec.Struct, rename="camel", kw_only=True):
    """Base of every Ed-Fi struct: camelCase names on the wire, other fields ignored."""


# References: the natural key of the record referred to.
class SchoolReference(Part):
    school_id: EDORG_ID


class LocalEducationAgencyReference(Part):
    local_education_agency_id: EDORG_ID


class EducationOrganizationReference(Part):
    education_organization_id: EDORG_ID


class SchoolYearTypeReference(Part):
    school_year: YEAR


class CalendarReference(Part):
    calendar_code: TEXT60
    school_id: EDORG_ID
    school_year: YEAR


class SessionReference(Part):
    school_id: EDORG_ID
    school_year: YEAR
    session_name: TEXT60


class CourseReference(Part):
    course_code: TEXT60
    education_organization_id: EDORG_ID


class CourseOfferingReference(Part):
    local_course_code: TEXT60
    school_id: EDORG_ID
    school_year: YEAR
    session_name: TEXT60


class StudentReference(Part):
    student_unique_id: TEXT32


class ClassPeriodReference(Part):
    class_period_name: TEXT60
    school_id: EDORG_ID


# Collections inside a resource.
class EducationOrganizationCategory(Part):
    education_organization_category_descriptor: DESCRIPTOR


class GradeLevel(Part):
    grade_level_descriptor: DESCRIPTOR


class SchoolCategory(Part):
    school_category_descriptor: DESCRIPTOR


class EducationOrganizationIdentificationCode(Part):
    education_organization_identification_system_descriptor: DESCRIPTOR
    identification_code: TEXT60


class CourseIdentificationCode(Part):
    course_identification_system_descriptor: DESCRIPTOR
    identification_code: TEXT120


class CalendarEvent(Part):
    calendar_event_descriptor: DESCRIPTOR


class Race(Part):
    race_descriptor: DESCRIPTOR


class MeetingTime(Part):
    start_time: str
    end_time: str


class BellScheduleClassPeriod(Part):
    class_period_reference: ClassPeriodReference


class StudentIdentificationCode(Part):
    assigning_organization_identification_code: TEXT60
    student_identification_system_descriptor: DESCRIPTOR
    identification_code: TEXT60


# The resources.
class LocalEducationAgency(Part):
    local_education_agency_id: EDORG_ID
    name_of_institution: TEXT75
    local_education_agency_category_descriptor: DESCRIPTOR
    categories: list[EducationOrganizationCategory]


class School(Part):
    school_id: EDORG_ID
    name_of_institution: TEXT75
    education_organization_categories: list[EducationOrganizationCategory]
    grade_levels: list[GradeLevel]
    local_education_agency_reference: LocalEducationAgencyReference | None = None
    school_categories: list[SchoolCategory] = []
    school_type_descriptor: DESCRIPTOR | None = None
    charter_status_descriptor: DESCRIPTOR | None = None
    identification_codes: list[EducationOrganizationIdentificationCode] = []


class Calendar(Part):
    calendar_code: TEXT60
    school_reference: SchoolReference
    school_year_type_reference: SchoolYearTypeReference
    calendar_type_descriptor: DESCRIPTOR
    grade_levels: list[GradeLevel] = []


class CalendarDate(Part):
    date: dt.date
    calendar_reference: CalendarReference
    calendar_events: list[CalendarEvent]


class Session(Part):
    session_name: TEXT60
    school_reference: SchoolReference
    school_year_type_reference: SchoolYearTypeReference
    begin_date: dt.date
    end_date: dt.date
    term_descriptor: DESCRIPTOR
    total_instructional_days: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class ClassPeriod(Part):
    class_period_name: TEXT60
    school_reference: SchoolReference
    meeting_times: list[MeetingTime] = []


class BellSchedule(Part):
    bell_schedule_name: TEXT60
    school_reference: SchoolReference
    class_periods: list[BellScheduleClassPeriod]


class Course(Part):
    course_code: TEXT60
    education_organization_reference: EducationOrganizationReference
    course_title: TEXT60
    number_of_parts: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    identification_codes: list[CourseIdentificationCode]


class CourseOffering(Part):
    local_course_code: TEXT60
    course_reference: CourseReference
    school_reference: SchoolReference
    session_reference: SessionReference
    local_course_title: Annotated[str, msgspec.Meta(max_length=60)] | None = None


class Section(Part):
    section_identifier: TEXT255
    course_offering_reference: CourseOfferingReference
    section_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None


class Student(Part):
    student_unique_id: TEXT32
    first_name: TEXT75
    last_surname: TEXT75
    birth_date: dt.date
    middle_name: Annotated[str, msgspec.Meta(max_length=75)] | None = None
    generation_code_suffix: Annotated[str, msgspec.Meta(max_length=10)] | None = None


class StudentEducationOrganizationAssociation(Part):
    education_organization_reference: EducationOrganizationReference
    student_reference: StudentReference
    sex_descriptor: DESCRIPTOR | None = None
    hispanic_latino_ethnicity: bool | None = None
    races: list[Race] = []
    # Read-only here: the state writes its own state ID into it on every GET (docs/EDFI.md).
    student_identification_codes: list[StudentIdentificationCode] = []


class StudentSchoolAssociation(Part):
    entry_date: dt.date
    school_reference: SchoolReference
    student_reference: StudentReference
    entry_grade_level_descriptor: DESCRIPTOR
    calendar_reference: CalendarReference | None = None
    school_year_type_reference: SchoolYearTypeReference | None = None
    entry_type_descriptor: DESCRIPTOR | None = None
    exit_withdraw_date: dt.date | None = None
    exit_withdraw_type_descriptor: DESCRIPTOR | None = None
    primary_school: bool | None = None


class Descriptor(Part):
    code_value: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    namespace: TEXT255
    short_description: TEXT75
    description: str | None = None


@dataclass(frozen=True)
class Reference:
    """A reference a resource holds: the JSON field, and the resources it may point at."""

    field: str
    targets: tuple[str, ...]
    # A reference key named otherwise in the target (educationOrganizationId → schoolId).
    renames: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)
    required: bool = True


@dataclass(frozen=True)
class Resource:
    """One served Ed-Fi resource: its endpoint, struct, natural key and references."""

    name: str  # the endpoint: "schools"
    struct: type[Part]
    # Natural key: query parameter name → path in the body, in key order.
    keys: tuple[tuple[str, tuple[str, ...]], ...]
    references: tuple[Reference, ...] = ()
    # Where statesync's fields come from, for rejections keyed by JSON path.
    paths: dict[str, str] = dataclasses.field(default_factory=dict)

    @cached_property
    def schema_name(self) -> str:
        """`edFi_school`: the schema name Ed-Fi clients derive from the endpoint."""
        singular = self.name[:-3] + "y" if self.name.endswith("ies") else self.name[:-1]
        return f"edFi_{singular}"

    @cached_property
    def key_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.keys)

    @property
    def is_descriptor(self) -> bool:
        return self.struct is Descriptor

    def key_values(self, body: dict[str, Any]) -> dict[str, Any]:
        """The natural key's values in a body (already checked against the struct)."""
        values = {}
        for name, path in self.keys:
            value: Any = body
            for step in path:
                value = value[step]
            values[name] = value
        return values


def _ref(*path: str) -> tuple[str, ...]:
    return path


SCHOOL_REF = Reference("schoolReference", ("schools",))
EDORG_REF = Reference(
    "educationOrganizationReference",
    ("localEducationAgencies", "schools"),
    renames={
        "localEducationAgencies": {"educationOrganizationId": "localEducationAgencyId"},
        "schools": {"educationOrganizationId": "schoolId"},
    },
)
STUDENT_REF = Reference("studentReference", ("students",))

RESOURCES: tuple[Resource, ...] = (
    Resource(
        "localEducationAgencies",
        LocalEducationAgency,
        keys=(("localEducationAgencyId", _ref("localEducationAgencyId")),),
        paths={"name": "$.nameOfInstitution", "state_district_number": "$.localEducationAgencyId"},
    ),
    Resource(
        "schools",
        School,
        keys=(("schoolId", _ref("schoolId")),),
        references=(Reference("localEducationAgencyReference", ("localEducationAgencies",)),),
        paths={
            "district_id": "$.localEducationAgencyReference",
            "state_school_number": "$.identificationCodes",
            "name": "$.nameOfInstitution",
            "grade_low": "$.gradeLevels",
            "grade_high": "$.gradeLevels",
            "school_type": "$.schoolCategories",
        },
    ),
    Resource(
        "sessions",
        Session,
        keys=(
            ("sessionName", _ref("sessionName")),
            ("schoolId", _ref("schoolReference", "schoolId")),
            ("schoolYear", _ref("schoolYearTypeReference", "schoolYear")),
        ),
        references=(SCHOOL_REF,),
    ),
    Resource(
        "calendars",
        Calendar,
        keys=(
            ("calendarCode", _ref("calendarCode")),
            ("schoolId", _ref("schoolReference", "schoolId")),
            ("schoolYear", _ref("schoolYearTypeReference", "schoolYear")),
        ),
        references=(SCHOOL_REF,),
        paths={
            "school_id": "$.schoolReference",
            "school_year": "$.schoolYearTypeReference.schoolYear",
            "name": "$.calendarCode",
            "start_date": "$.schoolYearTypeReference.schoolYear",
            "end_date": "$.schoolYearTypeReference.schoolYear",
            "is_summer": "$.calendarTypeDescriptor",
        },
    ),
    Resource(
        "calendarDates",
        CalendarDate,
        keys=(
            ("date", _ref("date")),
            ("calendarCode", _ref("calendarReference", "calendarCode")),
            ("schoolId", _ref("calendarReference", "schoolId")),
            ("schoolYear", _ref("calendarReference", "schoolYear")),
        ),
        references=(Reference("calendarReference", ("calendars",)),),
    ),
    Resource(
        "classPeriods",
        ClassPeriod,
        keys=(
            ("classPeriodName", _ref("classPeriodName")),
            ("schoolId", _ref("schoolReference", "schoolId")),
        ),
        references=(SCHOOL_REF,),
    ),
    Resource(
        "bellSchedules",
        BellSchedule,
        keys=(
            ("bellScheduleName", _ref("bellScheduleName")),
            ("schoolId", _ref("schoolReference", "schoolId")),
        ),
        references=(SCHOOL_REF,),
    ),
    Resource(
        "courses",
        Course,
        keys=(
            ("courseCode", _ref("courseCode")),
            (
                "educationOrganizationId",
                _ref("educationOrganizationReference", "educationOrganizationId"),
            ),
        ),
        references=(EDORG_REF,),
    ),
    Resource(
        "courseOfferings",
        CourseOffering,
        keys=(
            ("localCourseCode", _ref("localCourseCode")),
            ("schoolId", _ref("schoolReference", "schoolId")),
            ("schoolYear", _ref("sessionReference", "schoolYear")),
            ("sessionName", _ref("sessionReference", "sessionName")),
        ),
        references=(
            Reference("courseReference", ("courses",)),
            SCHOOL_REF,
            Reference("sessionReference", ("sessions",)),
        ),
    ),
    Resource(
        "sections",
        Section,
        keys=(
            ("sectionIdentifier", _ref("sectionIdentifier")),
            ("localCourseCode", _ref("courseOfferingReference", "localCourseCode")),
            ("schoolId", _ref("courseOfferingReference", "schoolId")),
            ("schoolYear", _ref("courseOfferingReference", "schoolYear")),
            ("sessionName", _ref("courseOfferingReference", "sessionName")),
        ),
        references=(Reference("courseOfferingReference", ("courseOfferings",)),),
        paths={
            "calendar_id": "$.courseOfferingReference",
            "course_number": "$.courseOfferingReference.localCourseCode",
            "state_course_code": "$.courseOfferingReference",
            "course_name": "$.courseOfferingReference",
            "section_number": "$.sectionIdentifier",
            "max_students": "$.sectionIdentifier",
        },
    ),
    Resource(
        "students",
        Student,
        keys=(("studentUniqueId", _ref("studentUniqueId")),),
        paths={
            "last_name": "$.lastSurname",
            "first_name": "$.firstName",
            "middle_name": "$.middleName",
            "suffix": "$.generationCodeSuffix",
            "birth_date": "$.birthDate",
        },
    ),
    Resource(
        "studentEducationOrganizationAssociations",
        StudentEducationOrganizationAssociation,
        keys=(
            (
                "educationOrganizationId",
                _ref("educationOrganizationReference", "educationOrganizationId"),
            ),
            ("studentUniqueId", _ref("studentReference", "studentUniqueId")),
        ),
        references=(EDORG_REF, STUDENT_REF),
        paths={
            "gender": "$.sexDescriptor",
            "hispanic": "$.hispanicLatinoEthnicity",
            "race_codes": "$.races",
            "state_id": "$.studentIdentificationCodes",
        },
    ),
    Resource(
        "studentSchoolAssociations",
        StudentSchoolAssociation,
        keys=(
            ("entryDate", _ref("entryDate")),
            ("schoolId", _ref("schoolReference", "schoolId")),
            ("studentUniqueId", _ref("studentReference", "studentUniqueId")),
        ),
        references=(
            SCHOOL_REF,
            STUDENT_REF,
            Reference("calendarReference", ("calendars",), required=False),
        ),
        paths={
            "person_id": "$.studentReference",
            "calendar_id": "$.calendarReference",
            "grade": "$.entryGradeLevelDescriptor",
            "service_type": "$.primarySchool",
            "start_date": "$.entryDate",
            "start_status": "$.entryTypeDescriptor",
            "end_date": "$.exitWithdrawDate",
            "end_status": "$.exitWithdrawTypeDescriptor",
        },
    ),
)

# msgspec builds a type's decoding info on its first use; two of the server's threads doing
# so at once crashed the process (a segfault in msgspec's get_class_annotations, seen once in
# the suite). Built here, at import, in one thread.
_DECODERS = tuple(msgspec.json.Decoder(resource.struct) for resource in RESOURCES)
