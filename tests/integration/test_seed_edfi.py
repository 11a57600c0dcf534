"""The seed district as Ed-Fi JSON (the bench's Ed-Fi row): what the native door would send,
sent through the Ed-Fi door, is taken whole (docs/EDFI.md, "The seed district as Ed-Fi")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.models import District, copy_model
from statesync.tools.bench import seed_edfi
from statesync.tools.demo import edfi, seed

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# A district of 1,000 records: twelve schools, two with a summer calendar, 434 people.
SCALE = 1000
# What Ed-Fi carries as records of their own; the state derives the rest from calendars.
CARRIED = ("School", "Calendar", "CourseSection", "Day", "PersonIdentity", "Enrollment")


def read(folder: Path, counts: dict[str, int]) -> dict[str, list[dict]]:
    return {
        name: [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines()]
        for name in counts
    }


def test_a_seeded_district_sent_as_ed_fi_is_taken_whole(tmp_path):
    district = seed.generate(SCALE, 2024, 1, defects=False)
    schools = district.rows["School"]
    kind = catalog.OBJECTS["School"].columns.index("school_type")
    for i, school_type in enumerate(("ALT", "CHTR")):  # a small seed may draw neither
        schools[i] = (*schools[i][:kind], school_type, *schools[i][kind + 1 :])
    seed.write(district)
    counts = seed_edfi.export(tmp_path)
    state = District.register("0042", "Seed district (Ed-Fi)")

    refusals: list[str] = []
    # One transaction for all of it: each document's own commit is what a POST pays (4-5 ms
    # each on PostgreSQL here), not what this test is about.
    with transaction.atomic(using=state_db()):
        outcome = edfi.load(state, read(tmp_path, counts), refusals)

    assert not refusals, (len(refusals), refusals[:5])
    assert {name: a for name, (a, _) in outcome.items()} == counts
    assert _same_day_same_school(district) < len(district.rows["Enrollment"]) / 100
    using = state_db()
    for name in CARRIED:
        held = copy_model(name).objects.using(using).filter(tenant=state).count()
        sent = len(district.rows[name])
        if name == "Enrollment":
            # Ed-Fi keys an enrollment by student, school and entry date: a second one that
            # day at that school (a secondary enrollment beside the primary) is the same one.
            sent -= _same_day_same_school(district)
        assert held == sent, name
    # Every school keeps its type: alternative and charter ones by their focus and charter.
    held = copy_model("School").objects.using(using).filter(tenant=state)
    assert sorted(held.values_list("school_type", flat=True)) == sorted(s[kind] for s in schools)


def test_a_slice_of_schools_carries_only_what_hangs_under_them(tmp_path):
    seed.write(seed.generate(SCALE, 2024, 1, defects=False))
    counts = seed_edfi.export(tmp_path, schools=2)
    records = read(tmp_path, counts)

    assert counts["schools"] == 2
    school_ids = {s["schoolId"] for s in records["schools"]}
    assert {c["schoolReference"]["schoolId"] for c in records["calendars"]} <= school_ids
    enrolled = {
        a["studentReference"]["studentUniqueId"] for a in records["studentSchoolAssociations"]
    }
    assert {s["studentUniqueId"] for s in records["students"]} == enrolled
    assert {
        a["schoolReference"]["schoolId"] for a in records["studentSchoolAssociations"]
    } <= school_ids


def _same_day_same_school(district: seed.District) -> int:
    """Enrollments Ed-Fi keys alike: the same student, school and entry date as another."""
    calendar, enrollment = (
        catalog.OBJECTS["Calendar"].columns,
        catalog.OBJECTS["Enrollment"].columns,
    )
    school_of = {row[0]: row[calendar.index("school_id")] for row in district.rows["Calendar"]}
    person, at, start = (enrollment.index(c) for c in ("person_id", "calendar_id", "start_date"))
    keys = [(row[person], school_of[row[at]], row[start]) for row in district.rows["Enrollment"]]
    return len(keys) - len(set(keys))
