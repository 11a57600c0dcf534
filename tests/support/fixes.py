"""Fixing seeded defects with SQL, as a district's administrator would."""

from __future__ import annotations

from django.db import connection, transaction

from statesync.state.matching import Person, normalise
from statesync.state.models import StatePerson
from statesync.state.models.people import reserve_numbers, state_id_for


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


def issued_before(using: str = "state") -> int:
    """Every district person already has a state ID the state issued (a district after its
    go-live year): the state's people are written, and their IDs into the district with SQL.
    Returns how many. Matching itself is tested at small scale and measured by the bench."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, last_name, first_name, birth_date, gender FROM district_personidentity "
            "WHERE state_id IS NULL ORDER BY id"
        )
        people = cursor.fetchall()
    numbers = reserve_numbers(using, len(people))
    rows = []
    for number, (_, last, first, born, gender) in zip(numbers, people, strict=True):
        person = Person(normalise(last), normalise(first), str(born), gender or "", number)
        names = (person.last_key, person.first_key, *person.blocks, last or "", first or "")
        rows.append((number, *names, person.birth_date, person.gender))  # PERSON_COLUMNS
    with transaction.atomic(using=using):
        StatePerson.issue(using, rows)
    ids = [(state_id_for(n), pk) for n, (pk, *_) in zip(numbers, people, strict=True)]
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE district_personidentity SET state_id = %s WHERE id = %s", ids)
    return len(ids)
