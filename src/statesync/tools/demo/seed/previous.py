"""The school year before a generated one: the same schools a year earlier, so a demo district
has two years to resync and roll over (docs/YEARS.md).

Every year-scoped record is copied a year back under new IDs. Students continue a grade lower;
those in the lowest grade this year are new (no earlier enrollment); and for each student in
grade 12 this year, a graduate of last year is added (a person a year older, enrolled in 12).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from statesync.core import catalog

# Added to a year-scoped record's ID for its copy a year back (graduates take twice this).
OFFSET = 10_000_000
_LOWEST = {"PK", "KG"}
# A calendar's "2023-24 Muir Elementary" or "Summer 2024 Sherman Elementary".
_YEAR_IN_NAME = re.compile(r"\b(\d{4})(?:-(\d{2}))?\b")


def previous_year(rows: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The rows of the year before `rows`' (per object, catalogue column order): its
    year-scoped records, and the people only that year had (graduates). `rows` is not changed."""
    earlier: dict[str, list[tuple]] = {name: [] for name in catalog.NAMES}
    calendar_end: dict[int, Any] = {}
    for name in catalog.order():
        obj = catalog.OBJECTS[name]
        if not obj.year_scoped:
            continue
        for row in rows[name]:
            record = dict(zip(obj.columns, row, strict=True))
            moved = _moved(obj, record)
            if moved is None:
                continue
            if name == catalog.YEAR_ANCHOR:
                calendar_end[moved["id"]] = moved["end_date"]
            if name == "Enrollment":
                if record["grade"] in _LOWEST:
                    continue  # new this year
                if record["grade"] in catalog.GRADES:  # a planted wrong grade stays wrong
                    moved["grade"] = catalog.GRADES[catalog.GRADES.index(record["grade"]) - 1]
                _ended(moved, calendar_end)
            earlier[name].append(tuple(moved[c] for c in obj.columns))
    _graduates(rows, earlier, calendar_end)
    return earlier


def _moved(obj: catalog.DisObject, record: dict[str, Any]) -> dict[str, Any] | None:
    """`record` a year earlier under its new ID; None for a day that year does not have."""
    moved = dict(record)
    moved["id"] = record["id"] + OFFSET
    for parent, key in zip(obj.parents, obj.parent_keys, strict=True):
        if catalog.OBJECTS[parent].year_scoped and record[key] is not None:
            moved[key] = record[key] + OFFSET
    for spec in obj.fields:
        value = record[spec.name]
        if spec.name == catalog.YEAR_FIELD:
            moved[spec.name] = value - 1
        elif obj.name == catalog.YEAR_ANCHOR and spec.name == "name" and value:
            moved[spec.name] = _YEAR_IN_NAME.sub(_label_back, value, count=1)
        elif spec.kind == "date" and value is not None:
            shifted = _year_back(value)
            if shifted is None:
                return None
            moved[spec.name] = shifted
        elif spec.kind == "terms" and value is not None:
            terms = json.loads(value)
            for term in terms:
                for key in ("start_date", "end_date"):
                    term[key] = _year_back(term[key]) or term[key][:8] + "28"
            moved[spec.name] = json.dumps(terms)
    return moved


def _label_back(found: re.Match) -> str:
    start = int(found.group(1)) - 1
    return f"{start}-{(start + 1) % 100:02d}" if found.group(2) else str(start)


def _year_back(iso: str) -> str | None:
    """The same date a year earlier; None for 29 February, which that year lacks."""
    day = dt.date.fromisoformat(iso)
    try:
        return day.replace(year=day.year - 1).isoformat()
    except ValueError:
        return None


def _ended(enrollment: dict[str, Any], calendar_end: dict[int, Any]) -> None:
    """A past year's enrollment has ended: completed with its calendar, unless it says else."""
    if enrollment["end_date"] is None:
        enrollment["end_date"] = calendar_end.get(enrollment["calendar_id"])
        enrollment["end_status"] = "C1"


def _graduates(
    rows: dict[str, list[tuple]], earlier: dict[str, list[tuple]], calendar_end: dict[int, Any]
) -> None:
    people = catalog.OBJECTS["PersonIdentity"]
    enrollment = catalog.OBJECTS["Enrollment"]
    by_id = {row[0]: dict(zip(people.columns, row, strict=True)) for row in rows["PersonIdentity"]}
    for row in rows["Enrollment"]:
        record = dict(zip(enrollment.columns, row, strict=True))
        # A student's first primary enrollment (summer school is primary too, and comes later).
        person = by_id.pop(record["person_id"], None)
        if record["grade"] != "12" or record["service_type"] != "P" or person is None:
            continue
        moved = _moved(enrollment, record)
        if moved is None:
            continue
        graduate = dict(person, id=person["id"] + OFFSET, state_id=None)
        if person["birth_date"]:
            graduate["birth_date"] = _year_back(person["birth_date"]) or person["birth_date"]
        earlier["PersonIdentity"].append(tuple(graduate[c] for c in people.columns))
        moved.update(id=record["id"] + 2 * OFFSET, person_id=graduate["id"], grade="12")
        _ended(moved, calendar_end)
        moved["end_status"] = "G1"
        earlier["Enrollment"].append(tuple(moved[c] for c in enrollment.columns))
