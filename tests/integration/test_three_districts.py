"""Three district editions and one state, for real (docs/STATE_OWNED.md): each district its own
process and database (on PostgreSQL in CI's PostgreSQL pass), seeded with students who move
between neighbours and look-alikes, resynced over HTTP.

- a student who moves from one district to the next keeps one state ID, in both districts;
- a look-alike is held for matching, resolved on the Person Matching page, and the state ID
  reaches the district;
- a field the state takes over and changes reaches the district, and a SQL change to it in
  the district is undone by the next resync's sync down.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statesync.core import catalog
from statesync.state.models import Conflict, District, MatchHold
from tests.support.editions import DistrictEdition
from tests.support.users import make_user

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases="__all__")]
PEOPLE = "SELECT id, state_id, last_name, birth_date FROM district_personidentity"


@pytest.fixture
def editions(live_server, tmp_path):
    made: list[DistrictEdition] = []
    try:
        for k in (1, 2, 3):
            number = f"{k:04d}"
            token = District.register(number, f"District {number}").issue_token()
            like = made[0] if made else None  # migrated, and not seeded yet: see below
            edition = DistrictEdition(number, live_server.url, token, tmp_path / number, like)
            made.append(edition)
        for k, edition in enumerate(made, start=1):
            number = edition.number
            edition.cli(
                *("seed", "--scale", "small", "--no-defects", "--movers"),
                *("--district-number", number, "--random-seed", str(k)),
            )
        yield made
    finally:
        for edition in made:
            edition.drop()


def test_three_districts_one_state(editions):
    first, second, third = editions
    for edition in editions:
        edition.cli("resync", "--all", "--foreground")  # pulls the state's changes at its end

    # Movers: the same student in districts 0001 and 0002, one state ID in both.
    ones = {(r[2], str(r[3])): r[1] for r in first.sql(PEOPLE)}
    twos = {(r[2], str(r[3])): r[1] for r in second.sql(PEOPLE)}
    shared = {key: ones[key] for key in ones.keys() & twos.keys() if ones[key] == twos[key]}
    assert shared and all(shared.values())
    assert all(state_id for state_id in ones.values()), "every person in 0001 has a state ID"
    # The first mover of each pair was never withdrawn: the state finds the overlap.
    pairs = {
        frozenset((c.district.number, c.other_district.number))
        for c in Conflict.objects.select_related("district", "other_district")
    }
    assert pairs == {frozenset(("0001", "0002")), frozenset(("0002", "0003"))}

    # A look-alike in 0002 is held; the state's data manager gives them a new state ID.
    hold = MatchHold.objects.filter(district__number="0002", status="pending").first()
    assert hold is not None and hold.candidates[0]["state_id"] in shared.values()
    manager = Client()
    manager.force_login(make_user("manager", [("personmatching", "W"), ("fieldsettings", "W")]))
    manager.post(reverse("state:matching-decide", args=[hold.pk]), {"state_id": ""})
    hold.refresh_from_db()
    second.cli("dis", "pull")
    (held,) = second.sql(
        "SELECT state_id FROM district_personidentity WHERE id = %s", (hold.record_id,)
    )
    assert held[0] == hold.state_id not in shared.values()

    # The state takes Last Name over and changes one in 0003; the district gets it...
    manager.post(
        reverse("state:field-settings-change"),
        {"object": catalog.PERSON, "field": "last_name", "owner": "state"},
    )
    manager.post(
        reverse("state:district-value", args=["0003"]),
        {"field": f"{catalog.PERSON}.last_name", "record_id": "1", "value": "Okafor"},
    )
    third.cli("dis", "pull")
    name = "SELECT last_name FROM district_personidentity WHERE id = 1"
    assert third.sql(name) == [("Okafor",)]
    # ...and a SQL change to it in the district is undone by the next resync's sync down.
    third.sql("UPDATE district_personidentity SET last_name = 'Changed' WHERE id = 1")
    third.cli("resync", "--all", "--foreground")
    assert third.sql(name) == [("Okafor",)]
    undone = third.sql(
        "SELECT old_value FROM district_appliedchange WHERE field = 'last_name' "
        "ORDER BY change_id DESC"
    )
    assert "Changed" in str(undone[0][0])  # JSON text on SQLite, jsonb on PostgreSQL
