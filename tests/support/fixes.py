"""Fixing seeded defects with SQL, as a district's administrator would."""

from __future__ import annotations

from django.db import connection, transaction

from statesync.core import catalog
from statesync.state.models import StatePerson
from statesync.state.models.people import reserve_numbers, state_id_for
from statesync.state.people.matching import Person, normalise
from statesync.tools.demo import seed


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


def issue_state_ids(district: seed.District, using: str = "state") -> None:
    """Give every person of a generated district a state ID the state issued, before it is
    written (a district after its go-live year). Matching itself is tested at small scale and
    measured by the bench; the tests that start here are about something else."""
    obj = catalog.get(catalog.PERSON)
    at = {column: i for i, column in enumerate(obj.columns)}
    rows = district.rows[catalog.PERSON]
    issued, given = [], []
    for number, row in zip(reserve_numbers(using, len(rows)), rows, strict=True):
        last, first = row[at["last_name"]], row[at["first_name"]]
        born, gender = str(row[at["birth_date"]]), row[at["gender"]] or ""
        person = Person(normalise(last), normalise(first), born, gender, number)
        names = (person.last_key, person.first_key, *person.blocks, last or "", first or "")
        issued.append((number, *names, born, gender))  # people.PERSON_COLUMNS
        with_id = list(row)
        with_id[at[catalog.STATE_ID_FIELD]] = state_id_for(number)
        given.append(tuple(with_id))
    district.rows[catalog.PERSON] = given
    with transaction.atomic(using=using):
        StatePerson.issue(using, issued)
