"""The objects, their fields and code sets: the catalogue's definitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

FieldKind = Literal["str", "int", "bool", "date", "time", "terms", "periods", "codes"]

GRADES = ("PK", "KG", *(f"{n:02d}" for n in range(1, 13)))
GENDERS = ("M", "F", "X")
SERVICE_TYPES = ("P", "S", "N")
# Federal race categories: American Indian, Asian, Black, Pacific Islander, White.
RACE_CODES = ("AI", "AS", "BL", "PI", "WH")
SCHOOL_TYPES = ("ELEM", "MID", "HIGH", "ALT", "CHTR")
ENROLLMENT_START_STATUSES = ("E1", "E2", "R1")
ENROLLMENT_END_STATUSES = ("W1", "W2", "G1", "C1")
EVENT_CODES = ("HOL", "PD", "ERL", "SNW")
# Subject areas (first two digits of a state course code) in the state's course code set.
COURSE_SUBJECT_AREAS = frozenset(f"{n:02d}" for n in range(1, 24))


# The objects other code reaches by role rather than by name: the district itself (its state
# number says which district a token acts for), the object that fixes a school year, and the
# object an error-log entry is filed under.
ROOT = "District"
YEAR_ANCHOR = "Calendar"
SCHOOL = "School"
# The person the state gives a state ID to, and the enrollments it checks across districts.
PERSON = "PersonIdentity"
ENROLLMENT = "Enrollment"
STATE_ID_FIELD = "state_id"
# The district's own state number, and the field that holds a year-scoped record's year.
DISTRICT_NUMBER_FIELD = "state_district_number"
YEAR_FIELD = "school_year"


@dataclass(frozen=True)
class Field:
    """One data field of an object (its ID and parent IDs are not fields)."""

    name: str
    kind: FieldKind
    required: bool = True
    max_length: int | None = None
    # Regular expression the value must match in full (E-FORMAT), and what it means in words.
    pattern: str | None = None
    pattern_text: str = ""
    # The state's code set for the value (E-CODE).
    codes: tuple[str, ...] = ()

    @cached_property  # the catalogue never changes; the ingest asks this of every value
    def is_list(self) -> bool:
        return self.kind in ("terms", "periods", "codes")

    @property
    def label(self) -> str:
        return field_label(self.name)


_WORDS = {"id": "ID", "ssn": "SSN"}


def field_label(name: str) -> str:
    """A column as people name it: `state_school_number` → "State School Number"."""
    return " ".join(_WORDS.get(word, word.capitalize()) for word in name.split("_"))


@dataclass(frozen=True)
class DisObject:
    """One DIS object: where it hangs, what it depends on, and what it carries."""

    name: str
    # The objects whose records this one references, in column order.
    parents: tuple[str, ...]
    # The column name other objects use to reference this one (`school_id`, `person_id`).
    key: str
    fields: tuple[Field, ...]
    # Whether the record belongs to one school year through its calendar.
    year_scoped: bool = False
    # Where it sits in the batch tool's tree, when that differs from its first parent.
    tree_parent: str | None = None
    # Fields that identify a record within a district besides its ID (E-DUPLICATE).
    natural_key: tuple[str, ...] = ()
    # A record not year-scoped itself that is in a year's scope when a record of this object
    # in that year references it (a person is in scope while enrolled).
    scoped_through: str | None = None
    # What selective sync calls this object's IDs ("Person IDs"); empty: not selectable.
    selective_label: str = ""
    label: str = ""
    description: str = ""

    @cached_property
    def district_table(self) -> str:
        return f"district_{self.name.lower()}"

    @cached_property
    def state_table(self) -> str:
        return f"state_copy_{self.name.lower()}"

    @cached_property
    def parent_keys(self) -> tuple[str, ...]:
        return tuple(OBJECTS[p].key for p in self.parents)

    @cached_property
    def parent_objects(self) -> tuple[DisObject, ...]:
        return tuple(OBJECTS[p] for p in self.parents)

    @cached_property
    def year_column(self) -> bool:
        """Whether the state's copy carries a `school_year` of its own, copied from its calendar.

        The state lists and freezes records by year; the district finds a record's year by
        following its parents, so only the state's copy stores it.
        """
        return self.year_scoped and YEAR_FIELD not in (f.name for f in self.fields)

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """Every column of a record in wire order: ID, parent IDs, then fields."""
        return ("id", *self.parent_keys, *(f.name for f in self.fields))

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


def _state_number(name: str, digits: int) -> Field:
    return Field(name, "str", pattern=rf"\d{{{digits}}}", pattern_text=f"{digits} digits")


_OBJECTS: tuple[DisObject, ...] = (
    DisObject(
        "District",
        parents=(),
        key="district_id",
        fields=(_state_number(DISTRICT_NUMBER_FIELD, 4), Field("name", "str", max_length=100)),
        natural_key=(DISTRICT_NUMBER_FIELD,),
        description="The district itself.",
    ),
    DisObject(
        "School",
        parents=("District",),
        key="school_id",
        fields=(
            _state_number("state_school_number", 4),
            Field("name", "str", max_length=100),
            Field("grade_low", "str", codes=GRADES),
            Field("grade_high", "str", codes=GRADES),
            Field("school_type", "str", codes=SCHOOL_TYPES),
            # Where the school is: the National Records Exchange's locator finds the district
            # by the places its students attend school (docs/EXCHANGE.md).
            Field("city", "str", required=False, max_length=60),
            Field("zip_code", "str", required=False, pattern=r"\d{5}", pattern_text="5 digits"),
        ),
        natural_key=("state_school_number",),
        description="Schools of the district.",
    ),
    DisObject(
        "Calendar",
        parents=("School",),
        key="calendar_id",
        year_scoped=True,
        fields=(
            Field(YEAR_FIELD, "int"),
            Field("name", "str", max_length=100),
            Field("start_date", "date"),
            Field("end_date", "date"),
            Field("is_summer", "bool"),
        ),
        description="A school's calendar for one school year.",
    ),
    DisObject(
        "CourseSection",
        parents=("Calendar",),
        key="section_id",
        year_scoped=True,
        fields=(
            Field("course_number", "str", max_length=20),
            Field("state_course_code", "str", pattern=r"\d{5}", pattern_text="5 digits"),
            Field("course_name", "str", max_length=100),
            Field("section_number", "int"),
            Field("max_students", "int"),
        ),
        natural_key=("calendar_id", "course_number", "section_number"),
        description="Sections of courses taught in a calendar.",
    ),
    DisObject(
        "SchoolMonth",
        parents=("Calendar",),
        key="school_month_id",
        year_scoped=True,
        fields=(
            Field("seq", "int"),
            Field("name", "str", max_length=40),
            Field("start_date", "date"),
            Field("end_date", "date"),
        ),
        natural_key=("calendar_id", "seq"),
        description="The reporting months of a calendar.",
    ),
    DisObject(
        "ScheduleStructure",
        parents=("Calendar",),
        key="structure_id",
        year_scoped=True,
        fields=(Field("name", "str", max_length=60), Field("is_primary", "bool")),
        description="How a calendar's schedule is built.",
    ),
    DisObject(
        "TermSchedule",
        parents=("ScheduleStructure",),
        key="term_schedule_id",
        year_scoped=True,
        fields=(Field("name", "str", max_length=60), Field("terms", "terms")),
        description="The terms of a schedule structure.",
    ),
    DisObject(
        "PeriodSchedule",
        parents=("ScheduleStructure",),
        key="period_schedule_id",
        year_scoped=True,
        fields=(Field("name", "str", max_length=60), Field("periods", "periods")),
        description="The periods of a school day.",
    ),
    DisObject(
        "Day",
        parents=("Calendar", "PeriodSchedule"),
        key="day_id",
        year_scoped=True,
        tree_parent="PeriodSchedule",
        fields=(
            Field("date", "date"),
            Field("instructional", "bool"),
            Field("attendance", "bool"),
            Field("event_code", "str", required=False, codes=EVENT_CODES),
        ),
        natural_key=("calendar_id", "date"),
        description="The days of a calendar.",
    ),
    DisObject(
        "PersonIdentity",
        parents=("District",),
        key="person_id",
        fields=(
            Field(
                "state_id",
                "str",
                required=False,
                pattern=r"\d{10}",
                pattern_text="10 digits",
            ),
            Field("last_name", "str", max_length=60),
            Field("first_name", "str", max_length=60),
            Field("middle_name", "str", required=False, max_length=60),
            Field("suffix", "str", required=False, max_length=10),
            Field("birth_date", "date"),
            Field("gender", "str", codes=GENDERS),
            Field("hispanic", "bool"),
            Field("race_codes", "codes", codes=RACE_CODES),
        ),
        # No natural key: the state gives state IDs (docs/STATE_OWNED.md), and two records of
        # one person (last year's and this year's) rightly share one.
        scoped_through="Enrollment",
        selective_label="Person IDs",
        label="Person",
        description="People: students enrolled in the school year.",
    ),
    DisObject(
        "Enrollment",
        parents=("PersonIdentity", "Calendar"),
        key="enrollment_id",
        year_scoped=True,
        fields=(
            Field("grade", "str", codes=GRADES),
            Field("service_type", "str", codes=SERVICE_TYPES),
            Field("start_date", "date"),
            Field("start_status", "str", codes=ENROLLMENT_START_STATUSES),
            Field("end_date", "date", required=False),
            Field("end_status", "str", required=False, codes=ENROLLMENT_END_STATUSES),
        ),
        selective_label="Enrollment IDs",
        label="Enrollment",
        description="A person's enrollment in a calendar.",
    ),
)

OBJECTS: dict[str, DisObject] = {o.name: o for o in _OBJECTS}
NAMES: tuple[str, ...] = tuple(OBJECTS)


class UnknownObject(KeyError):
    """An object name that is not in the catalogue."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown DIS object {self.name!r}; known objects: {', '.join(NAMES)}"


def selective_objects() -> tuple[DisObject, ...]:
    """The objects selective sync takes, in catalogue order."""
    return tuple(o for o in _OBJECTS if o.selective_label)


def get(name: str) -> DisObject:
    """Return the object called `name`, or raise UnknownObject naming it."""
    try:
        return OBJECTS[name]
    except KeyError:
        raise UnknownObject(name) from None


def parse_names(names: Iterable[str]) -> list[str]:
    """Check a list of object names (case-insensitive) and return their catalogue spelling."""
    by_lower = {n.lower(): n for n in NAMES}
    result = []
    for raw in names:
        name = by_lower.get(raw.strip().lower())
        if name is None:
            raise UnknownObject(raw.strip())
        result.append(name)
    return result
