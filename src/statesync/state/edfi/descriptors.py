"""The descriptor values the state accepts, and the statesync code each one becomes.

Descriptors are the state's code sets: read-only through the API. A value with no statesync
code (`None`) is accepted as Ed-Fi and handed to the rules as its code value, so the state's
own rule rejects it with the rule code and message every district sees (E-CODE); a value not
listed here at all is unknown, and the API refuses the record naming the field.
"""

from __future__ import annotations

import functools
import re
import uuid

NAMESPACE = "uri://ed-fi.org"
_ORDINALS = [
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
]

DESCRIPTORS: dict[str, dict[str, str | None]] = {
    "GradeLevelDescriptor": {
        "Infant/toddler": None,
        "Early Education": None,
        "Preschool/Prekindergarten": "PK",
        "Kindergarten": "KG",
        **{f"{word} grade": f"{n:02d}" for n, word in enumerate(_ORDINALS, 1)},
        "Postsecondary": None,
        "Ungraded": None,
        "Adult Education": None,
        "Other": None,
    },
    "SexDescriptor": {"Female": "F", "Male": "M", "Non-binary": "X", "Not Selected": "X"},
    "RaceDescriptor": {
        "American Indian - Alaska Native": "AI",
        "Asian": "AS",
        "Black - African American": "BL",
        "Native Hawaiian - Pacific Islander": "PI",
        "White": "WH",
        "Choose Not to Respond": None,
        "Other": None,
    },
    "SchoolCategoryDescriptor": {
        "Elementary School": "ELEM",
        "Primary School": "ELEM",
        "Intermediate School": "MID",
        "Middle School": "MID",
        "Junior High School": "MID",
        "High School": "HIGH",
        "Secondary School": "HIGH",
        "Elementary Secondary School": None,
        "All Levels": None,
        "Adult School": None,
        "Infant/toddler School": None,
        "Preschool/early childhood": None,
        "Ungraded": None,
    },
    # A school's focus and charter status say what its categories cannot: ALT and CHTR.
    "SchoolTypeDescriptor": {
        "Regular": None,
        "Alternative": "ALT",
        "Special Education": None,
        "Career and Technical Education": None,
        "Other": None,
    },
    "CharterStatusDescriptor": {
        "School Charter": "CHTR",
        "Open Enrollment": "CHTR",
        "College/University Charter": "CHTR",
        "Not a Charter School": None,
    },
    "EntryTypeDescriptor": {
        "Next year school": "E1",
        "Original entry into a United States school": "E1",
        "Original entry into a United States school from a foreign country with no interruption in schooling": "E1",
        "Transfer from a public school in the same local education agency": "E2",
        "Transfer from a public school in a different local education agency in the same state": "E2",
        "Transfer from a public school in a different state": "E2",
        "Transfer from a private, non-religiously-affiliated school in the same local education agency": "E2",
        "Transfer from a private, religiously-affiliated school in the same local education agency": "E2",
        "Transfer from home schooling": "E2",
        "Re-entry after a voluntary withdrawal": "R1",
        "Re-entry after an involuntary withdrawal": "R1",
        "Re-entry from the same school with no interruption of schooling": "R1",
        "Other": None,
    },
    "ExitWithdrawTypeDescriptor": {
        "Graduated with regular, advanced, International Baccalaureate, or other type of diploma": "G1",
        "Completed school with other credentials": "C1",
        "Student is in a different public school in the same local education agency": "W1",
        "Transferred to a public school in a different local education agency in the same state": "W1",
        "Transferred to a public school in a different state": "W1",
        "Transferred to a private, non-religiously-affiliated school": "W1",
        "Transferred to a private, religiously-affiliated school": "W1",
        "Transferred to home schooling": "W1",
        "Withdrawn due to illness": "W2",
        "Died or is permanently incapacitated": "W2",
        "Dropped out": "W2",
        "Enrolled in an adult education or training program": "W2",
        "Other": None,
    },
    "CalendarTypeDescriptor": {
        "School": None,
        "Student Specific": None,
        "IEP": None,
        "Other": None,
        "Summer": None,
    },
    "CalendarEventDescriptor": {
        "Instructional day": None,
        "Holiday": "HOL",
        "Teacher only day": "PD",
        "Student late arrival/early dismissal": "ERL",
        "Weather day": "SNW",
        "Emergency day": "SNW",
        "Make-up day": None,
        "Non-instructional day": None,
        "Strike": None,
        "Other": None,
    },
    "TermDescriptor": {
        "Fall Semester": None,
        "Spring Semester": None,
        "Summer Semester": None,
        "Year Round": None,
        "First Quarter": None,
        "Second Quarter": None,
        "Third Quarter": None,
        "Fourth Quarter": None,
        "First Trimester": None,
        "Second Trimester": None,
        "Third Trimester": None,
        "MiniTerm": None,
        "Other": None,
    },
    "EducationOrganizationCategoryDescriptor": {
        "Local Education Agency": None,
        "School": None,
        "State Education Agency": None,
        "Education Service Center": None,
        "Other": None,
    },
    "LocalEducationAgencyCategoryDescriptor": {
        "Independent": None,
        "Regular public school district": None,
        "Charter school district": None,
        "State-operated agency": None,
        "Other": None,
    },
    "EducationOrganizationIdentificationSystemDescriptor": {
        "SEA": None,
        "LEA": None,
        "School": None,
        "NCES": None,
        "Federal": None,
        "Other": None,
    },
    "CourseIdentificationSystemDescriptor": {
        "State course code": None,
        "LEA course code": None,
        "School course code": None,
        "NCES": None,
        "SCED course code": None,
        "CSSC course code": None,
        "Other": None,
    },
    "StudentIdentificationSystemDescriptor": {
        "State": None,
        "District": None,
        "School": None,
        "Local": None,
        "Other": None,
    },
}

# A descriptor type's JSON field: `gradeLevelDescriptor` (and `entryGradeLevelDescriptor`).
_URI = re.compile(r"uri://[^#/]+(?:/[^#/]+)*/(?P<type>[A-Za-z]+Descriptor)#(?P<code>.+)")


class UnknownDescriptor(ValueError):
    """A descriptor value the state does not accept, with what it expected."""


def endpoint(type_name: str) -> str:
    """`GradeLevelDescriptor` → `gradeLevelDescriptors`."""
    return type_name[0].lower() + type_name[1:] + "s"


def uri(type_name: str, code_value: str) -> str:
    return f"{NAMESPACE}/{type_name}#{code_value}"


def code_value(value: str, type_name: str) -> str:
    """The code value of a descriptor URI of `type_name`, or UnknownDescriptor saying why."""
    match = _URI.fullmatch(value)
    if match is None:
        raise UnknownDescriptor(f"{value!r} is not a descriptor URI like {uri(type_name, '…')!r}")
    if match["type"] != type_name:
        raise UnknownDescriptor(f"{value!r} is a {match['type']}, not a {type_name}")
    code = match["code"]
    if code not in DESCRIPTORS[type_name]:
        raise UnknownDescriptor(
            f"{value!r} is not a {type_name} the state accepts (its values are listed at "
            f"/edfi/data/v3/ed-fi/{endpoint(type_name)})"
        )
    return code


def statesync_code(value: str, type_name: str) -> str:
    """The statesync code of a descriptor URI; its code value where statesync has none."""
    code = code_value(value, type_name)
    return DESCRIPTORS[type_name][code] or code


@functools.cache
def for_code(type_name: str, code: str) -> str:
    """The first descriptor URI of `type_name` that stands for statesync's `code` (KeyError
    naming both when none does): the way back, for a district's data sent as Ed-Fi."""
    for value, statesync in DESCRIPTORS[type_name].items():
        if statesync == code:
            return uri(type_name, value)
    raise KeyError(f"no {type_name} stands for statesync's {code!r}")


def rows(type_name: str) -> list[dict[str, str]]:
    """The served values of one descriptor type, each with a stable `id`."""
    key = f"{type_name[0].lower()}{type_name[1:]}Id"
    return [
        {
            "id": uuid.uuid5(uuid.NAMESPACE_URL, uri(type_name, code)).hex,
            key: str(n),
            "codeValue": code,
            "namespace": f"{NAMESPACE}/{type_name}",
            "shortDescription": code[:75],
            "description": code,
        }
        for n, code in enumerate(DESCRIPTORS[type_name], 1)
    ]
