"""Conditions over many values: one typed array on PostgreSQL, bounded IN lists elsewhere."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import connection

from statesync.core.db import sqlin

POSTGRES = SimpleNamespace(vendor="postgresql")
SQLITE = SimpleNamespace(vendor="sqlite")


def test_postgresql_gets_one_short_query_with_a_typed_array():
    ids = list(range(1, 5_001))
    # Whole numbers travel as the array's text: one string for psycopg to quote, not 5,000.
    assert list(sqlin.matching(POSTGRES, "record_id", ids)) == [
        ("record_id = ANY(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"])
    ]
    # Text too: one quoted literal, not a list psycopg quotes value by value.
    assert list(sqlin.matching(POSTGRES, "state_id", ["0123456789", 'a "b"'])) == [
        ("state_id = ANY(%s::text[])", ['{"0123456789","a \\"b\\""}'])
    ]


def test_sqlite_and_untyped_values_get_in_lists_in_pieces():
    ids = list(range(1, 1_201))
    found = list(sqlin.matching(SQLITE, "record_id", ids))
    assert [len(params) for _, params in found] == [500, 500, 200]
    assert found[0][0] == "record_id IN (" + ", ".join(["%s"] * 500) + ")"
    days = [dt.date(2024, 1, 2)]
    assert list(sqlin.matching(POSTGRES, "date", days)) == [
        ("date = ANY(%s::date[])", ["{2024-01-02}"])
    ]
    amounts = [1.5]  # no array type known for it: an IN list
    assert list(sqlin.matching(POSTGRES, "amount", amounts)) == [("amount IN (%s)", amounts)]
    assert list(sqlin.matching(POSTGRES, "record_id", [])) == []


def test_many_ids_are_one_parameter_of_an_orm_subquery(db):
    users = get_user_model().objects
    made = [users.create_user(f"among{n}").pk for n in range(3)]
    wanted = [made[0], made[2], 10**12, *range(10**9, 10**9 + 2_000)]  # most match nobody
    subquery = sqlin.among(connection, wanted)
    assert len(subquery.params) == 1
    assert sorted(users.filter(pk__in=subquery).values_list("pk", flat=True)) == [made[0], made[2]]


def test_an_array_parameter_is_literal_text_only_for_one_known_type():
    assert sqlin.array_param([3, -1, 10**12]) == "{3,-1,1000000000000}"
    assert sqlin.array_param(["a,b", '"c"', "d\\"]) == '{"a,b","\\"c\\"","d\\\\"}'
    # True is an int to Python but not a number to PostgreSQL; mixed types stay values.
    assert sqlin.array_param([1, True]) == [1, True]
    assert sqlin.array_param(["a", 1]) == ["a", 1]


def test_the_array_text_finds_the_same_rows_on_the_database(db):
    users = get_user_model().objects
    made = [users.create_user(f"matching{n}").pk for n in range(3)]
    wanted = [made[0], made[2], 10**12]
    found = []
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "id", wanted):
            cursor.execute(f"SELECT id FROM auth_user WHERE {condition}", params)
            found += [row[0] for row in cursor.fetchall()]
    assert sorted(found) == [made[0], made[2]]


AWKWARD_TEXT = ["a,b", "{x}", 'say "hi"', "back\\slash", "NULL", " spaced ", "Núñez", ""]


def test_awkward_text_is_matched_as_itself(db):
    """Commas, braces, quotes, backslashes, the word NULL, spaces and accents inside an array
    literal (PostgreSQL) or an IN list (SQLite) find exactly the rows that hold them."""
    users = get_user_model().objects
    for name in AWKWARD_TEXT:
        users.create(username=name)
    users.create(username="someone else")
    found = set()
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "username", AWKWARD_TEXT):
            cursor.execute(f"SELECT username FROM auth_user WHERE {condition}", params)
            found.update(row[0] for row in cursor.fetchall())
    assert found == set(AWKWARD_TEXT)
    if connection.vendor == "postgresql":
        days = [dt.date(2024, 1, 2), dt.date(1999, 12, 31)]
        with connection.cursor() as cursor:
            cursor.execute("SELECT unnest(%s::date[])", [sqlin.array_param(days)])
            assert [row[0] for row in cursor.fetchall()] == days
