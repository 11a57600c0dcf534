"""One generator per object, and one defect planter per object that has realistic faults.

Records are dicts by column name. Everything draws from one `random.Random`, in the order of
`STEPS`, so the same seed gives the same district.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from statesync.core import catalog
from statesync.tools.demo import names
from statesync.tools.demo.seed.dates import (
    first_kind,
    iso,
    next_weekday,
    pick_defects,
    spread,
    tile,
    weekdays,
)
from statesync.tools.demo.seed.scale import DEFECT_RATES

Record = dict[str, Any]

GRADE_AGE = {g: i + 4 for i, g in enumerate(catalog.GRADES)}  # PK 4, KG 5, 01 6 … 12 17
SCHOOL_KINDS = (
    # type, share, low grade, high grade, name suffix
    ("ELEM", 0.6, "KG", "05", "Elementary"),
    ("MID", 0.2, "06", "08", "Middle School"),
    ("HIGH", 0.14, "09", "12", "High School"),
    ("ALT", 0.03, "06", "12", "Learning Center"),
    ("CHTR", 0.03, "KG", "08", "Charter Academy"),
)


@dataclass
class Generation:
    """A district being generated: the draw, the sizes, and the records so far."""

    rng: random.Random
    counts: dict[str, int]
    year: int
    district_number: str
    with_defects: bool
    records: dict[str, list[Record]] = field(default_factory=lambda: {n: [] for n in catalog.NAMES})
    defects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(catalog.NAMES, 0))
    # Each calendar's dates before any defect was planted: what its children are built on.
    good_dates: dict[int, tuple[dt.date, dt.date]] = field(default_factory=dict)
    # Each person's primary calendar and grade, for their enrollment.
    primary: list[tuple[Record, str]] = field(default_factory=list)

    def defective(self, name: str) -> list[Record]:
        """The records of `name` chosen for a defect (counted), in the draw's order."""
        rows = self.records[name]
        chosen = pick_defects(self.rng, len(rows), DEFECT_RATES[name], self.with_defects)
        self.defects[name] += len(chosen)
        return [rows[i] for i in chosen]

    def regular_calendars(self) -> list[Record]:
        return [c for c in self.records["Calendar"] if not c["is_summer"]]


def district(g: Generation) -> None:
    number = g.district_number
    g.records["District"].append(
        {"id": 1, "state_district_number": number, "name": f"Demo District {number}"}
    )


def schools(g: Generation) -> None:
    rng = g.rng
    numbers = rng.sample(range(1000, 10000), g.counts["School"])
    places = district_places(g.district_number)
    for i in range(g.counts["School"]):
        kind = rng.choices(SCHOOL_KINDS, weights=[k[1] for k in SCHOOL_KINDS])[0]
        low = "PK" if kind[0] == "ELEM" and rng.random() < 0.3 else kind[2]
        g.records["School"].append(
            {
                "id": i + 1,
                "district_id": 1,
                "state_school_number": f"{numbers[i]:04d}",
                "name": f"{rng.choice(names.PLACES)} {kind[4]}",
                "grade_low": low,
                "grade_high": kind[3],
                "school_type": kind[0],
                # Most schools in the district's own town, one in each place beside it.
                **places[i if i < len(places) else 0],
            }
        )


def district_places(number: str) -> list[dict[str, str]]:
    """Three towns (city and ZIP code) of district `number`, its own first; drawn apart from
    the district's data, so they do not change what else the seed makes."""
    draw = random.Random(f"places-{number}")
    cities = draw.sample(names.PLACES, 3)
    return [{"city": city, "zip_code": f"{draw.randrange(10000, 99999)}"} for city in cities]


def school_defects(g: Generation) -> None:
    rows = g.records["School"]
    for i, school in enumerate(g.defective("School")):
        fault = first_kind(i, g.rng.randrange(3))
        if fault == 0:
            school["state_school_number"] = None  # missing
        elif fault == 1:
            school["state_school_number"] = school["state_school_number"][:3] + "A"  # a letter
        else:  # copied another school's
            other = rows[rows.index(school) + 1 if school is not rows[-1] else 0]
            school["state_school_number"] = other["state_school_number"]


def calendars(g: Generation) -> None:
    """One regular calendar per school, the rest summer calendars, in shuffled ID order."""
    rng, year = g.rng, g.year
    made: list[Record] = []
    schools = g.records["School"]
    for school in schools:
        start = next_weekday(dt.date(year - 1, 8, 14) + dt.timedelta(rng.randrange(14)))
        end = dt.date(year, 5, 20) + dt.timedelta(rng.randrange(16))
        made.append(_calendar(school, year, f"{year - 1}-{year % 100:02d}", start, end, False))
    summer_schools = rng.sample(schools, min(len(schools), g.counts["Calendar"] - len(schools)))
    for school in summer_schools:
        # After every regular calendar ends (June 4 at the latest), inside the school year.
        start = next_weekday(dt.date(year, 6, 8) + dt.timedelta(rng.randrange(3)))
        made.append(
            _calendar(school, year, f"Summer {year}", start, start + dt.timedelta(17), True)
        )
    rng.shuffle(made)
    for i, calendar in enumerate(made):
        calendar["id"] = i + 1
        g.good_dates[i + 1] = (calendar["start_date"], calendar["end_date"])
    g.records["Calendar"] = made


def _calendar(school: Record, year: int, label: str, start, end, summer: bool) -> Record:
    return {
        "id": 0,
        "school_id": school["id"],
        "school_year": year,
        "name": f"{label} {school['name']}"[:100],
        "start_date": start,
        "end_date": end,
        "is_summer": summer,
    }


def calendar_defects(g: Generation) -> None:
    first_day = dt.date.fromisoformat(catalog.school_years(g.year)[0])
    for i, calendar in enumerate(g.defective("Calendar")):
        if first_kind(i, int(g.rng.random() >= 0.5)) == 0:  # ends before it starts
            calendar["start_date"], calendar["end_date"] = (
                calendar["end_date"],
                calendar["start_date"],
            )
        else:  # starts in the previous school year
            calendar["start_date"] = first_day - dt.timedelta(40)


def schedule_structures(g: Generation) -> None:
    """One primary per calendar, the rest alternates on regular calendars."""
    made = [
        {"id": i + 1, "calendar_id": c["id"], "name": "Main", "is_primary": True}
        for i, c in enumerate(g.records["Calendar"])
    ]
    regular = g.regular_calendars()
    for _ in range(g.counts["ScheduleStructure"] - len(made)):
        calendar = g.rng.choice(regular)
        made.append(
            {"id": len(made) + 1, "calendar_id": calendar["id"], "name": "Alternate"}
            | {"is_primary": False}
        )
    g.records["ScheduleStructure"] = made


def term_schedules(g: Generation) -> None:
    """Semesters, quarters or one summer term, tiling the structure's calendar."""
    rng = g.rng
    structures = g.records["ScheduleStructure"]
    chosen = sorted(
        rng.sample(range(len(structures)), min(len(structures), g.counts["TermSchedule"]))
    )
    for n, index in enumerate(chosen):
        structure = structures[index]
        start, end = g.good_dates[structure["calendar_id"]]
        parts = 1 if end.month >= 6 and start.month >= 6 else rng.choice((2, 4))
        label = {1: "Summer", 2: "Semester", 4: "Quarter"}[parts]
        terms = [
            {"seq": k + 1, "name": f"{label[0]}{k + 1}", "start_date": iso(a), "end_date": iso(b)}
            for k, (a, b) in enumerate(tile(start, end, parts))
        ]
        g.records["TermSchedule"].append(
            {"id": n + 1, "structure_id": structure["id"], "name": f"{label}s", "terms": terms}
        )


def term_defects(g: Generation) -> None:
    for schedule in g.defective("TermSchedule"):
        terms = schedule["terms"]
        if len(terms) > 1:  # second term starts a week before the first ends
            first_end = dt.date.fromisoformat(terms[0]["end_date"])
            terms[1]["start_date"] = iso(first_end - dt.timedelta(7))
        else:
            start = dt.date.fromisoformat(terms[0]["start_date"])
            terms[0]["end_date"] = iso(start - dt.timedelta(3))


def period_schedules(g: Generation) -> None:
    """At least one per structure: regular, early release, late start, assembly."""
    structures = g.records["ScheduleStructure"]
    made = g.records["PeriodSchedule"]
    per_structure = spread(g.counts["PeriodSchedule"], len(structures), g.rng, minimum=1)
    for structure, n in zip(structures, per_structure, strict=True):
        for k in range(n):
            label = ("Regular", "Early Release", "Late Start", "Assembly")[k % 4]
            first = dt.datetime(2000, 1, 1, 8 if k != 2 else 9, 0)
            length = 50 if k != 1 else 35
            periods = []
            for p in range(g.rng.choice((6, 7, 8))):
                begin = first + dt.timedelta(minutes=(length + 5) * p)
                finish = begin + dt.timedelta(minutes=length)
                periods.append(
                    {
                        "seq": p + 1,
                        "name": f"Period {p + 1}",
                        "start_time": begin.strftime("%H:%M"),
                        "end_time": finish.strftime("%H:%M"),
                    }
                )
            made.append(
                {"id": len(made) + 1, "structure_id": structure["id"], "name": label}
                | {"periods": periods}
            )


def period_defects(g: Generation) -> None:
    for schedule in g.defective("PeriodSchedule"):
        last = schedule["periods"][-1]  # the last period ends before it starts
        last["start_time"], last["end_time"] = last["end_time"], last["start_time"]


def days(g: Generation) -> None:
    """Spread over calendars on distinct weekdays, each under one of its period schedules."""
    rng = g.rng
    structure_calendar = {s["id"]: s["calendar_id"] for s in g.records["ScheduleStructure"]}
    schedules_of: dict[int, list[int]] = {}
    for p in g.records["PeriodSchedule"]:
        schedules_of.setdefault(structure_calendar[p["structure_id"]], []).append(p["id"])
    open_days = {c: weekdays(*g.good_dates[c]) for c in schedules_of}
    calendar_ids = sorted(schedules_of)
    per_calendar = [0] * len(calendar_ids)
    for _ in range(g.counts["Day"]):
        k = rng.randrange(len(calendar_ids))
        if per_calendar[k] >= len(open_days[calendar_ids[k]]):  # full: the first with room
            k = next(j for j, c in enumerate(calendar_ids) if per_calendar[j] < len(open_days[c]))
        per_calendar[k] += 1
    made = g.records["Day"]
    for calendar_id, n in zip(calendar_ids, per_calendar, strict=True):
        schedules = schedules_of[calendar_id]
        for k, date in enumerate(sorted(rng.sample(open_days[calendar_id], n))):
            pd_day = rng.random() < 0.03
            made.append(
                {
                    "id": len(made) + 1,
                    "calendar_id": calendar_id,
                    "period_schedule_id": schedules[k % len(schedules)],
                    "date": date,
                    "instructional": not pd_day,
                    "attendance": not pd_day,
                    "event_code": "PD" if pd_day else None,
                }
            )


def day_defects(g: Generation) -> None:
    for day in g.defective("Day"):  # after its calendar ends
        end = g.good_dates[day["calendar_id"]][1]
        day["date"] = end + dt.timedelta(g.rng.randrange(3, 30))


def school_months(g: Generation) -> None:
    """Months tile each calendar; counts follow the calendar's length, then the total."""
    calendars = g.records["Calendar"]
    wanted = g.counts["SchoolMonth"]
    month_counts = [
        max(1, round(((c["end_date"] - c["start_date"]).days + 1) / 30.4)) for c in calendars
    ]
    while sum(month_counts) != wanted:
        k = g.rng.randrange(len(month_counts))
        if sum(month_counts) < wanted:
            month_counts[k] += 1
        elif month_counts[k] > 1:
            month_counts[k] -= 1
    made = g.records["SchoolMonth"]
    for calendar, n in zip(calendars, month_counts, strict=True):
        for k, (a, b) in enumerate(tile(*g.good_dates[calendar["id"]], n)):
            made.append(
                {"id": len(made) + 1, "calendar_id": calendar["id"], "seq": k + 1}
                | {"name": a.strftime("%B"), "start_date": a, "end_date": b}
            )


def month_defects(g: Generation) -> None:
    months = g.records["SchoolMonth"]
    for month in g.defective("SchoolMonth"):
        month["end_date"] += dt.timedelta(g.rng.randrange(5, 20))  # runs into the next
        i = month["id"] - 1
        last = i + 1 >= len(months) or months[i + 1]["calendar_id"] != month["calendar_id"]
        if month["seq"] == 1 or last:
            month["end_date"] = g.good_dates[month["calendar_id"]][1] + dt.timedelta(10)


def course_sections(g: Generation) -> None:
    rng = g.rng
    regular_ids = [c["id"] for c in g.regular_calendars()]
    seen: set[tuple[int, str, int]] = set()
    made = g.records["CourseSection"]
    per_calendar = spread(g.counts["CourseSection"], len(regular_ids), rng)
    for calendar_id, n in zip(regular_ids, per_calendar, strict=True):
        for _ in range(n):
            number, code, title = rng.choice(names.COURSES)
            section = 1
            while (calendar_id, number, section) in seen:
                section += 1
            seen.add((calendar_id, number, section))
            made.append(
                {
                    "id": len(made) + 1,
                    "calendar_id": calendar_id,
                    "course_number": number,
                    "state_course_code": code,
                    "course_name": title,
                    "section_number": section,
                    "max_students": rng.choice((20, 25, 28, 30, 32, 35)),
                }
            )


def section_defects(g: Generation) -> None:
    for i, section in enumerate(g.defective("CourseSection")):
        fault = first_kind(i, g.rng.randrange(3))
        code = section["state_course_code"]
        if fault == 0:
            section["state_course_code"] = "99" + code[2:]  # a subject area the state lacks
        elif fault == 1:
            section["state_course_code"] = code[:4]  # a digit lost
        else:
            section["max_students"] = -section["max_students"]
