"""The generator alone (no database): counts, reproducibility, plausibility, defects."""

import argparse
import datetime as dt
import itertools
import json
import re
from pathlib import Path

import pytest

from statesync.core import catalog
from statesync.tools.demo import seed
from statesync.tools.demo.seed.objects import GRADE_AGE
from statesync.tools.demo.seed.previous import previous_year


@pytest.fixture(scope="module")
def seed_scale():
    return seed.generate("seed", 2024, 1)


def test_seed_scale_counts_are_the_product_pages(seed_scale):
    counts = seed_scale.counts()
    for name in (
        "District",
        "School",
        "Calendar",
        "CourseSection",
        "SchoolMonth",
        "ScheduleStructure",
        "TermSchedule",
        "PeriodSchedule",
        "Day",
    ):
        assert counts[name] == seed.SEED_COUNTS[name], name
    assert counts["PersonIdentity"] == 120_000
    assert counts["Enrollment"] == 130_000


def test_same_random_seed_gives_the_same_district():
    a = seed.generate("small", 2024, 7)
    b = seed.generate("small", 2024, 7)
    c = seed.generate("small", 2024, 8)
    assert a.rows == b.rows
    assert a.rows != c.rows


def test_large_is_about_a_million_records():
    total = sum(seed.scaled_counts("large").values())
    assert 950_000 <= total <= 1_050_000


def test_defects_are_planted_in_every_object_and_none_without(seed_scale):
    for name, rate in seed.DEFECT_RATES.items():
        assert seed_scale.defects[name] >= 1, name
        assert seed_scale.defects[name] <= len(seed_scale.rows[name]) * rate * 1.5 + 1
    clean = seed.generate("small", 2024, 1, defects=False)
    assert sum(clean.defects.values()) == 0


def test_clean_data_is_plausible():
    d = seed.generate("small", 2024, 3, defects=False)
    first, last = (dt.date.fromisoformat(x) for x in catalog.school_years(2024))
    calendars = {}
    for cal_id, _school, year, _name, start, end, _summer in d.rows["Calendar"]:
        start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        assert year == 2024 and first <= start <= end <= last
        calendars[cal_id] = (start, end)
    for _id, cal_id, _ps, date, *_ in d.rows["Day"]:
        date = dt.date.fromisoformat(date)
        assert date.weekday() < 5
        assert calendars[cal_id][0] <= date <= calendars[cal_id][1]
    months: dict[int, list] = {}
    for _id, cal_id, _seq, _name, start, end in d.rows["SchoolMonth"]:
        months.setdefault(cal_id, []).append((start, end))
    for cal_id, spans in months.items():
        spans.sort()
        assert spans[0][0] == calendars[cal_id][0].isoformat()
        assert spans[-1][1] == calendars[cal_id][1].isoformat()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert dt.date.fromisoformat(start) == dt.date.fromisoformat(end) + dt.timedelta(1)
    for _id, _structure, _name, terms in d.rows["TermSchedule"]:
        terms = json.loads(terms)
        assert all(t["start_date"] <= t["end_date"] for t in terms)


def test_birth_dates_match_grades():
    d = seed.generate("small", 2024, 4, defects=False)
    births = {p[0]: dt.date.fromisoformat(p[7]) for p in d.rows["PersonIdentity"]}
    sept_first = dt.date(2023, 9, 1)
    for _id, person, _cal, grade, service, *_ in d.rows["Enrollment"]:
        if service != "P":
            continue
        age = (sept_first - births[person]).days // 365
        assert age == GRADE_AGE[grade], (grade, age)


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        seed.scaled_counts("huge")


FULLWIDTH_1000 = "\uff11\uff10\uff10\uff10"


@pytest.mark.parametrize("value", ["huge", "999", "-5", "1e6", FULLWIDTH_1000])
def test_a_scale_that_is_neither_named_nor_a_count_is_refused_clearly(value):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a scale: use small, seed, large"):
        seed.parse_scale(value)


def test_a_scale_is_a_name_or_a_count_of_records():
    assert seed.parse_scale("seed") == "seed"
    assert seed.parse_scale("25000") == 25_000


def test_the_readmes_example_ids_exist_in_the_demo_district():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    [ids] = re.findall(r'selective-sync --object PersonIdentity --ids "([^"]+)"', readme)
    people = seed.generate("small", 2024, 1, defects=True).counts()["PersonIdentity"]
    assert all(1 <= int(i) <= people for i in re.split(r"[\s,]+", ids.strip()))


def _records(district: seed.District, name: str) -> list[dict]:
    columns = catalog.OBJECTS[name].columns
    return [dict(zip(columns, row, strict=True)) for row in district.rows[name]]


def test_two_years_the_same_schools_a_year_earlier_with_continuing_graduated_and_new_students():
    one = seed.generate("small", 2024, 1)
    two = seed.generate("small", 2024, 1, years=2)
    assert sum(one.counts().values()) == 3_114 and sum(two.counts().values()) == 5_149
    calendars = _records(two, "Calendar")
    assert {c["school_year"] for c in calendars} == {2023, 2024}
    earlier = [c for c in calendars if c["school_year"] == 2023]
    assert all(c["name"].startswith(("2022-23 ", "Summer 2023 ")) for c in earlier)
    first, last = catalog.school_years(2023)
    assert all(first <= c["start_date"] <= last for c in earlier)
    # A natural key a year back never collides (29 February has no day a year earlier).
    days = _records(two, "Day")
    assert len({(d["calendar_id"], d["date"]) for d in days}) == len(days)

    year_of = {c["id"]: c["school_year"] for c in calendars}
    enrolled: dict[int, dict[int, str]] = {}
    for e in _records(two, "Enrollment"):
        if e["service_type"] == "P":
            enrolled.setdefault(e["person_id"], {})[year_of[e["calendar_id"]]] = e["grade"]
    continuing = [g for g in enrolled.values() if 2023 in g and 2024 in g]
    graduated = [g for g in enrolled.values() if g.get(2023) == "12" and 2024 not in g]
    new = [g for g in enrolled.values() if 2024 in g and 2023 not in g]
    assert continuing and graduated and new
    grades = catalog.GRADES
    assert all(
        grades.index(g[2024]) == grades.index(g[2023]) + 1 for g in continuing if g[2024] in grades
    )
    assert all(g[2024] in ("PK", "KG") for g in new)
    ended = [e for e in _records(two, "Enrollment") if year_of[e["calendar_id"]] == 2023]
    assert all(e["end_date"] is not None for e in ended)  # a past year's enrollments ended


def test_two_years_never_reuse_an_id():
    district = seed.generate(20_000, 2024, 1, years=2)  # summer school and graduates included
    for name, rows in district.rows.items():
        assert len({row[0] for row in rows}) == len(rows), name


def test_the_readmes_two_year_seed_scale_count(seed_scale):
    earlier = previous_year(seed_scale.rows)
    assert sum(len(seed_scale.rows[n]) + len(earlier[n]) for n in catalog.NAMES) == 444_464
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "444,464 with 2022-2023" in readme and "5,149 with 2022-2023" in readme


@pytest.mark.parametrize("scale", ["small", "seed"])
def test_the_readmes_defects_are_planted_at_every_scale(scale, seed_scale):
    """README: "a missing state school number, a calendar ending before it starts, an unknown
    course code, a grade of 13" — in the small district too, not only by luck of the draw."""
    district = seed_scale if scale == "seed" else seed.generate("small")
    assert any(s["state_school_number"] is None for s in _records(district, "School"))
    assert any(c["end_date"] < c["start_date"] for c in _records(district, "Calendar"))
    sections = _records(district, "CourseSection")
    assert any(s["state_course_code"].startswith("99") for s in sections)
    assert any(e["grade"] == "13" for e in _records(district, "Enrollment"))
