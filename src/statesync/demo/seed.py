"""Synthetic districts: plausible data at the product page's scale, with reproducible defects.

Everything is drawn from one `random.Random(seed)`, so the same seed gives the same tables.
Defects are realistic faults (a missing state school number, a calendar ending before it
starts, an unknown course code, a grade of 13) that the state's rules catch on their own.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management.color import no_style
from django.db import connections, transaction

from statesync import bulk, catalog
from statesync.demo import names
from statesync.district.models import DIS_MODELS

# The product page's counts (DESIGN.md §4), plus the people of a district that size.
SEED_COUNTS: dict[str, int] = {
    "District": 1,
    "School": 194,
    "Calendar": 230,
    "CourseSection": 16557,
    "SchoolMonth": 2140,
    "ScheduleStructure": 264,
    "TermSchedule": 234,
    "PeriodSchedule": 302,
    "Day": 6534,
    "PersonIdentity": 120000,
    "Enrollment": 130000,
}
SCALES: dict[str, float] = {"small": 0.01, "seed": 1.0, "large": 3.62}

# Share of records planted with a defect, per object (at least one each when defects are on).
DEFECT_RATES: dict[str, float] = {
    "School": 0.05,
    "Calendar": 0.01,
    "CourseSection": 0.02,
    "SchoolMonth": 0.01,
    "TermSchedule": 0.02,
    "PeriodSchedule": 0.02,
    "Day": 0.005,
    "PersonIdentity": 0.004,
    "Enrollment": 0.004,
}


def scale_factor(scale: str | float) -> float:
    """A named scale's factor, or a number of records (e.g. 100000) turned into one."""
    if isinstance(scale, int | float):
        return scale / sum(SEED_COUNTS.values())
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return SCALES[scale]


def scaled_counts(scale: str | float) -> dict[str, int]:
    """Record counts for a scale; `seed` is exactly the product page."""
    factor = scale_factor(scale)
    counts = {name: max(1, round(n * factor)) for name, n in SEED_COUNTS.items()}
    counts["District"] = 1
    # A district worth looking at even when small: a dozen schools, each with a calendar, a
    # structure and a period schedule, and a few of the rest.
    counts["School"] = max(counts["School"], 12)
    counts["Calendar"] = max(counts["Calendar"], counts["School"] + 2)
    counts["ScheduleStructure"] = max(counts["ScheduleStructure"], counts["Calendar"] + 1)
    counts["TermSchedule"] = max(counts["TermSchedule"], counts["Calendar"])
    counts["PeriodSchedule"] = max(counts["PeriodSchedule"], counts["ScheduleStructure"] + 2)
    counts["CourseSection"] = max(counts["CourseSection"], 20 * counts["School"])
    counts["Day"] = max(counts["Day"], 20 * counts["Calendar"])
    counts["SchoolMonth"] = max(counts["SchoolMonth"], counts["Calendar"])
    counts["Enrollment"] = max(counts["Enrollment"], counts["PersonIdentity"])
    return counts


@dataclass
class District:
    """The generated rows of every object, in catalogue column order."""

    rows: dict[str, list[tuple]] = field(default_factory=lambda: {n: [] for n in catalog.NAMES})
    defects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(catalog.NAMES, 0))

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.rows.items()}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = (end - start).days + 1
    return [d for d in (start + dt.timedelta(n) for n in range(days)) if d.weekday() < 5]


def _next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(1)
    return day


def _tile(start: dt.date, end: dt.date, parts: int) -> list[tuple[dt.date, dt.date]]:
    """Split [start, end] into `parts` contiguous, non-overlapping ranges."""
    span = (end - start).days + 1
    bounds = [start + dt.timedelta(span * i // parts) for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - dt.timedelta(1)) for i in range(parts)]


def _spread(total: int, slots: int, rng: random.Random, minimum: int = 0) -> list[int]:
    """`total` items over `slots` slots, each at least `minimum`, unevenly as real data is."""
    counts = [minimum] * slots
    for _ in range(total - minimum * slots):
        counts[rng.randrange(slots)] += 1
    return counts


def _pick_defects(rng: random.Random, count: int, rate: float, enabled: bool) -> set[int]:
    """Which of `count` records (by index) get a defect."""
    if not enabled or count == 0:
        return set()
    planted = max(1, round(count * rate))
    return set(rng.sample(range(count), min(planted, count)))


GRADE_AGE = {g: i + 4 for i, g in enumerate(catalog.GRADES)}  # PK 4, KG 5, 01 6 … 12 17
SCHOOL_KINDS = (
    # type, share, low grade, high grade, name suffix
    ("ELEM", 0.6, "KG", "05", "Elementary"),
    ("MID", 0.2, "06", "08", "Middle School"),
    ("HIGH", 0.14, "09", "12", "High School"),
    ("ALT", 0.03, "06", "12", "Learning Center"),
    ("CHTR", 0.03, "KG", "08", "Charter Academy"),
)


def generate(
    scale: str | float = "small",
    year: int = 2024,
    seed: int = 1,
    defects: bool = True,
    district_number: str = "0001",
) -> District:
    """Build a whole district in memory (rows as tuples; about 100 MB at `large`)."""
    rng = random.Random(seed)
    counts = scaled_counts(scale)
    out = District()
    first_day = dt.date.fromisoformat(catalog.school_years(year)[0])

    out.rows["District"].append((1, district_number, f"Demo District {district_number}"))

    # Schools.
    school_numbers = rng.sample(range(1000, 10000), counts["School"])
    schools = []
    for i in range(counts["School"]):
        kind = rng.choices(SCHOOL_KINDS, weights=[k[1] for k in SCHOOL_KINDS])[0]
        low = "PK" if kind[0] == "ELEM" and rng.random() < 0.3 else kind[2]
        name = f"{rng.choice(names.PLACES)} {kind[4]}"
        schools.append([i + 1, 1, f"{school_numbers[i]:04d}", name, low, kind[3], kind[0]])
    for i in _pick_defects(rng, len(schools), DEFECT_RATES["School"], defects):
        fault = rng.randrange(3)
        if fault == 0:
            schools[i][2] = None  # missing state school number
        elif fault == 1:
            schools[i][2] = schools[i][2][:3] + "A"  # typed letter
        else:
            schools[i][2] = schools[(i + 1) % len(schools)][2]  # copied another school's
        out.defects["School"] += 1
    out.rows["School"] = [tuple(s) for s in schools]

    # Calendars: one regular calendar per school, the rest summer calendars.
    calendars = []  # [id, school_id, year, name, start, end, is_summer]
    for school in schools:
        start = _next_weekday(dt.date(year - 1, 8, 14) + dt.timedelta(rng.randrange(14)))
        end = dt.date(year, 5, 20) + dt.timedelta(rng.randrange(16))
        calendars.append(
            [
                0,
                school[0],
                year,
                f"{year - 1}-{year % 100:02d} {school[3]}"[:100],
                start,
                end,
                False,
            ]
        )
    summer_schools = rng.sample(schools, min(len(schools), counts["Calendar"] - len(schools)))
    for school in summer_schools:
        # After every regular calendar ends (June 4 at the latest), inside the school year.
        start = _next_weekday(dt.date(year, 6, 8) + dt.timedelta(rng.randrange(3)))
        calendars.append(
            [
                0,
                school[0],
                year,
                f"Summer {year} {school[3]}"[:100],
                start,
                start + dt.timedelta(17),
                True,
            ]
        )
    rng.shuffle(calendars)
    for i, cal in enumerate(calendars):
        cal[0] = i + 1
    good_calendar_dates = {c[0]: (c[4], c[5]) for c in calendars}
    for i in _pick_defects(rng, len(calendars), DEFECT_RATES["Calendar"], defects):
        cal = calendars[i]
        if rng.random() < 0.5:
            cal[4], cal[5] = cal[5], cal[4]  # ends before it starts
        else:
            cal[4] = first_day - dt.timedelta(40)  # starts in the previous school year
        out.defects["Calendar"] += 1
    out.rows["Calendar"] = [
        (c[0], c[1], c[2], c[3], _iso(c[4]), _iso(c[5]), c[6]) for c in calendars
    ]

    # Schedule structures: one primary per calendar, the rest alternates.
    structures = [[i + 1, c[0], "Main", True] for i, c in enumerate(calendars)]
    regular = [c for c in calendars if not c[6]]
    for _ in range(counts["ScheduleStructure"] - len(structures)):
        cal = rng.choice(regular)
        structures.append([len(structures) + 1, cal[0], "Alternate", False])
    out.rows["ScheduleStructure"] = [tuple(s) for s in structures]

    # Term schedules tile their calendar with semesters, quarters or one summer term.
    term_schedules = []
    chosen = sorted(
        rng.sample(range(len(structures)), min(len(structures), counts["TermSchedule"]))
    )
    for n, si in enumerate(chosen):
        structure = structures[si]
        start, end = good_calendar_dates[structure[1]]
        parts = 1 if end.month >= 6 and start.month >= 6 else rng.choice((2, 4))
        label = {1: "Summer", 2: "Semester", 4: "Quarter"}[parts]
        terms = [
            {"seq": k + 1, "name": f"{label[0]}{k + 1}", "start_date": _iso(a), "end_date": _iso(b)}
            for k, (a, b) in enumerate(_tile(start, end, parts))
        ]
        term_schedules.append([n + 1, structure[0], f"{label}s", terms])
    for i in _pick_defects(rng, len(term_schedules), DEFECT_RATES["TermSchedule"], defects):
        terms = term_schedules[i][3]
        if len(terms) > 1:  # second term starts a week before the first ends
            first_end = dt.date.fromisoformat(terms[0]["end_date"])
            terms[1]["start_date"] = _iso(first_end - dt.timedelta(7))
        else:
            terms[0]["end_date"] = _iso(
                dt.date.fromisoformat(terms[0]["start_date"]) - dt.timedelta(3)
            )
        out.defects["TermSchedule"] += 1
    out.rows["TermSchedule"] = [(t[0], t[1], t[2], json.dumps(t[3])) for t in term_schedules]

    # Period schedules: at least one per structure.
    period_schedules = []
    per_structure = _spread(counts["PeriodSchedule"], len(structures), rng, minimum=1)
    for structure, n in zip(structures, per_structure, strict=True):
        for k in range(n):
            label = ("Regular", "Early Release", "Late Start", "Assembly")[k % 4]
            first = dt.datetime(2000, 1, 1, 8 if k != 2 else 9, 0)
            length = 50 if k != 1 else 35
            periods = []
            for p in range(rng.choice((6, 7, 8))):
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
            period_schedules.append([len(period_schedules) + 1, structure[0], label, periods])
    for i in _pick_defects(rng, len(period_schedules), DEFECT_RATES["PeriodSchedule"], defects):
        period = period_schedules[i][3][-1]  # last period ends before it starts
        period["start_time"], period["end_time"] = period["end_time"], period["start_time"]
        out.defects["PeriodSchedule"] += 1
    out.rows["PeriodSchedule"] = [(p[0], p[1], p[2], json.dumps(p[3])) for p in period_schedules]

    # Days: spread over calendars, on distinct weekdays, each under one of its period schedules.
    structure_calendar = {s[0]: s[1] for s in structures}
    schedules_of: dict[int, list[int]] = {}
    for p in period_schedules:
        schedules_of.setdefault(structure_calendar[p[1]], []).append(p[0])
    weekdays = {c: _weekdays(*good_calendar_dates[c]) for c in schedules_of}
    cal_ids = sorted(schedules_of)
    day_counts = [0] * len(cal_ids)
    for _ in range(counts["Day"]):
        k = rng.randrange(len(cal_ids))
        if day_counts[k] < len(weekdays[cal_ids[k]]):
            day_counts[k] += 1
        else:  # full: put it in the first calendar with room
            k = next(j for j, c in enumerate(cal_ids) if day_counts[j] < len(weekdays[c]))
            day_counts[k] += 1
    days = []
    for cal_id, n in zip(cal_ids, day_counts, strict=True):
        schedules = schedules_of[cal_id]
        for k, date in enumerate(sorted(rng.sample(weekdays[cal_id], n))):
            pd_day = rng.random() < 0.03
            days.append(
                [
                    len(days) + 1,
                    cal_id,
                    schedules[k % len(schedules)],
                    date,
                    not pd_day,
                    not pd_day,
                    "PD" if pd_day else None,
                ]
            )
    for i in _pick_defects(rng, len(days), DEFECT_RATES["Day"], defects):
        days[i][3] = good_calendar_dates[days[i][1]][1] + dt.timedelta(rng.randrange(3, 30))
        out.defects["Day"] += 1
    out.rows["Day"] = [(d[0], d[1], d[2], _iso(d[3]), d[4], d[5], d[6]) for d in days]

    # School months tile each calendar; counts follow the calendar's length, then the total.
    natural = [max(1, round(((c[5] - c[4]).days + 1) / 30.4)) for c in calendars]
    month_counts = list(natural)
    while sum(month_counts) != counts["SchoolMonth"]:
        k = rng.randrange(len(month_counts))
        if sum(month_counts) < counts["SchoolMonth"]:
            month_counts[k] += 1
        elif month_counts[k] > 1:
            month_counts[k] -= 1
    months = []
    for cal, n in zip(calendars, month_counts, strict=True):
        start, end = good_calendar_dates[cal[0]]
        for k, (a, b) in enumerate(_tile(start, end, n)):
            months.append([len(months) + 1, cal[0], k + 1, a.strftime("%B"), a, b])
    for i in _pick_defects(rng, len(months), DEFECT_RATES["SchoolMonth"], defects):
        months[i][5] = months[i][5] + dt.timedelta(rng.randrange(5, 20))  # runs into the next
        if months[i][2] == 1 or i + 1 >= len(months) or months[i + 1][1] != months[i][1]:
            months[i][5] = good_calendar_dates[months[i][1]][1] + dt.timedelta(10)
        out.defects["SchoolMonth"] += 1
    out.rows["SchoolMonth"] = [(m[0], m[1], m[2], m[3], _iso(m[4]), _iso(m[5])) for m in months]

    # Course sections on regular calendars.
    regular_ids = [c[0] for c in regular]
    sections = []
    seen: set[tuple[int, str, int]] = set()
    per_calendar = _spread(counts["CourseSection"], len(regular_ids), rng)
    for cal_id, n in zip(regular_ids, per_calendar, strict=True):
        for _ in range(n):
            number, code, title = rng.choice(names.COURSES)
            section = 1
            while (cal_id, number, section) in seen:
                section += 1
            seen.add((cal_id, number, section))
            sections.append(
                [
                    len(sections) + 1,
                    cal_id,
                    number,
                    code,
                    title,
                    section,
                    rng.choice((20, 25, 28, 30, 32, 35)),
                ]
            )
    for i in _pick_defects(rng, len(sections), DEFECT_RATES["CourseSection"], defects):
        fault = rng.randrange(3)
        if fault == 0:
            sections[i][3] = "99" + sections[i][3][2:]  # subject area the state does not know
        elif fault == 1:
            sections[i][3] = sections[i][3][:4]  # a digit lost
        else:
            sections[i][6] = -sections[i][6]
        out.defects["CourseSection"] += 1
    out.rows["CourseSection"] = [tuple(s) for s in sections]

    _people(rng, counts, year, schools, calendars, good_calendar_dates, defects, out)
    return out


def _people(rng, counts, year, schools, calendars, good_dates, defects, out) -> None:
    school_by_id = {s[0]: s for s in schools}
    regular = [c for c in calendars if not c[6]]
    summer_by_school = {c[1]: c for c in calendars if c[6]}
    weights = [4 if school_by_id[c[1]][6] == "HIGH" else 1 for c in regular]
    sept_first = dt.date(year - 1, 9, 1)
    state_ids = rng.sample(range(10**9, 10**10), counts["PersonIdentity"])

    persons = []
    enrollments = []

    def grades_of(school) -> list[str]:
        low, high = catalog.GRADES.index(school[4]), catalog.GRADES.index(school[5])
        return list(catalog.GRADES[low : high + 1])

    grades_by_school = {s[0]: grades_of(s) for s in schools}

    def enroll(person_id: int, cal, grade: str, service: str) -> None:
        start, end = good_dates[cal[0]]
        ended = cal[6]
        enrollments.append(
            [
                len(enrollments) + 1,
                person_id,
                cal[0],
                grade,
                service,
                start,
                "E1",
                end if ended else None,
                "C1" if ended else None,
            ]
        )

    chosen_calendars = rng.choices(regular, weights=weights, k=counts["PersonIdentity"])
    for i, cal in enumerate(chosen_calendars):
        grade = rng.choice(grades_by_school[cal[1]])
        age = GRADE_AGE[grade]
        birth = sept_first - dt.timedelta(days=365 * age + rng.randrange(365))
        gender = "X" if rng.random() < 0.01 else rng.choice("MF")
        first = rng.choice(names.FIRST_NAMES_F if gender == "F" else names.FIRST_NAMES_M)
        middle = (
            rng.choice(names.FIRST_NAMES_M + names.FIRST_NAMES_F) if rng.random() < 0.6 else None
        )
        races = sorted(rng.sample(catalog.RACE_CODES, 2 if rng.random() < 0.1 else 1))
        persons.append(
            [
                i + 1,
                1,
                f"{state_ids[i]:010d}" if rng.random() < 0.97 else None,
                rng.choice(names.LAST_NAMES),
                first,
                middle,
                "Jr" if rng.random() < 0.01 else None,
                birth,
                gender,
                rng.random() < 0.25,
                races,
            ]
        )
        enroll(i + 1, cal, grade, "P")

    # Extra enrollments: summer school at the same school, or a secondary (S) enrollment.
    for _ in range(counts["Enrollment"] - len(enrollments)):
        primary = enrollments[rng.randrange(len(persons))]
        person_id, grade = primary[1], primary[3]
        school_id = _school_of_calendar(calendars, primary[2])
        summer = summer_by_school.get(school_id)
        if summer is not None and rng.random() < 0.5 and primary[7] is None:
            # Summer school follows a completed year: the regular enrollment ends with it.
            primary[7], primary[8] = good_dates[primary[2]][1], "C1"
            enroll(person_id, summer, grade, "P")
        else:
            enroll(person_id, rng.choice(regular), grade, "S")

    for i in _pick_defects(rng, len(persons), DEFECT_RATES["PersonIdentity"], defects):
        fault = rng.randrange(5)
        p = persons[i]
        if fault == 0:
            p[2] = f"{rng.randrange(10**8, 10**9)}"  # nine digits
        elif fault == 1:
            p[8] = "U"  # gender code the state does not use
        elif fault == 2:
            p[7] = dt.date(1900, 1, 1)  # placeholder birth date
        elif fault == 3:
            p[3] = None  # last name missing
        else:
            p[10] = [*p[10], "ZZ"]
        out.defects["PersonIdentity"] += 1
    for i in _pick_defects(rng, len(enrollments), DEFECT_RATES["Enrollment"], defects):
        e = enrollments[i]
        fault = rng.randrange(3)
        if fault == 0:
            e[3] = "13"
        elif fault == 1:
            e[7] = e[5] - dt.timedelta(rng.randrange(1, 30))  # ends before it starts
            e[8] = "W1"
        else:
            e[4] = "P"  # a second primary enrollment overlapping the first
            e[2] = _other_regular(rng, regular, e[2])
            e[5] = _first_primary_start(enrollments, e[1], good_dates)
            e[7] = e[8] = None
        out.defects["Enrollment"] += 1

    out.rows["PersonIdentity"] = [
        (p[0], p[1], p[2], p[3], p[4], p[5], p[6], _iso(p[7]), p[8], p[9], json.dumps(p[10]))
        for p in persons
    ]
    out.rows["Enrollment"] = [
        (e[0], e[1], e[2], e[3], e[4], _iso(e[5]), e[6], _iso(e[7]), e[8]) for e in enrollments
    ]


def _school_of_calendar(calendars, calendar_id: int) -> int:
    return calendars[calendar_id - 1][1]


def _other_regular(rng: random.Random, regular: list, calendar_id: int) -> int:
    return next(c[0] for c in rng.sample(regular, len(regular)) if c[0] != calendar_id)


def _first_primary_start(enrollments: list, person_id: int, good_dates: dict) -> dt.date:
    first = enrollments[person_id - 1]  # each person's first enrollment is primary, in order
    return good_dates[first[2]][0] + dt.timedelta(30)


def write(district: District, using: str = "default", progress: Callable | None = None) -> None:
    """Replace the district edition's DIS tables with `district`, in one transaction."""
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            for name in reversed(catalog.order()):
                cursor.execute(f"DELETE FROM {catalog.OBJECTS[name].district_table}")
        for name in catalog.order():
            obj = catalog.OBJECTS[name]
            bulk.insert_rows(connection, obj.district_table, obj.columns, district.rows[name])
            if progress:
                progress(name, len(district.rows[name]))
        # Explicit IDs leave PostgreSQL's sequences behind; the next save would collide.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(DIS_MODELS.values())):
                cursor.execute(sql)
