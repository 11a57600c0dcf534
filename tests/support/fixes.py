"""Fixing seeded defects with SQL, as a district's administrator would."""

from __future__ import annotations

from django.db import connection


def give_a_free_school_number(school_id: int) -> str:
    """Set the school's state school number to four digits no other school has."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT state_school_number FROM district_school")
        taken = {row[0] for row in cursor.fetchall()}
        free = next(f"{n:04d}" for n in range(9999, 0, -1) if f"{n:04d}" not in taken)
        cursor.execute(
            "UPDATE district_school SET state_school_number = %s WHERE id = %s", [free, school_id]
        )
    return free
