"""The generator alone (no database): counts, reproducibility, plausibility, defects."""

import argparse
import datetime as dt
import itertools
import json
import re
from pathlib import Path

import pytest

from statesync import catalog
from statesync.demo import seed
from statesync.demo.seed.objects import GRADE_AGE


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
