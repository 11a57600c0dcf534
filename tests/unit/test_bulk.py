"""Fast writes of many rows (statesync.core.db.bulk)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from statesync.core.db import bulk


def test_a_column_is_updated_for_many_rows_in_one_statement(db):
    users = get_user_model().objects
    first, second, third = (users.create_user(f"bulk{n}").pk for n in range(3))
    column = get_user_model()._meta.get_field("first_name")
    with CaptureQueriesContext(connection) as queries:
        bulk.update_column(connection, "auth_user", column, [("Ada", first), ("Grace", third)])
    names = dict(users.values_list("pk", "first_name"))
    assert (names[first], names[second], names[third]) == ("Ada", "", "Grace")
    (update,) = queries.captured_queries
    if connection.vendor == "postgresql":  # one statement over arrays, not one per row
        assert "unnest(" in update["sql"]
