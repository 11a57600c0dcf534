"""Record versions in the district: every change, by the application or with SQL, moves a
record's version past every version before it, and nothing moves one back."""

from __future__ import annotations

import pytest
from django.db import connection

from statesync.core.sync import source
from statesync.district.models import dis_model

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def version_of(school_id: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM district_school WHERE id = %s", [school_id])
        return cursor.fetchone()[0]


def test_saves_and_sql_changes_each_take_a_new_version(seeded):
    seeded("small")
    schools = dis_model("School").objects.order_by("pk")
    first, second = schools[0], schools[1]
    before = source.clock()
    assert 0 < version_of(first.pk) <= before
    assert version_of(first.pk) != version_of(second.pk)

    first.name = "Renamed"
    first.save()
    saved = version_of(first.pk)
    assert saved > before

    with connection.cursor() as cursor:
        cursor.execute("UPDATE district_school SET name = name WHERE id = %s", [second.pk])
    assert version_of(second.pk) > saved

    with connection.cursor() as cursor:  # the one change that could move it back
        cursor.execute("UPDATE district_school SET version = 1 WHERE id = %s", [first.pk])
    assert version_of(first.pk) > version_of(second.pk)
    assert source.clock() == version_of(first.pk)  # the latest change holds the clock


def test_records_are_read_with_their_versions(seeded):
    seeded("small")
    school = dis_model("School").objects.order_by("pk").first()
    [read] = source.by_ids("School", [school.pk]).values()
    assert read.version == version_of(school.pk)
    first = next(iter(source.records("School", 2024)))
    assert first.version == version_of(first.id)
