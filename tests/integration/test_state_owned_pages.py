"""The state's pages for its own data, driven as state staff would: a held person matched or
given a new state ID, a field made state-owned, a state-owned value set on a district's page —
each audited and queued down to the district."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.state.models import DownChange, FieldSetting, MatchHold, copy_model
from statesync.state.models.people import state_id_for
from tests.support.districts import SendingDistrict
from tests.support.users import make_user

PersonIdentityCopy = copy_model("PersonIdentity")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
TWIN = {"gender": "M", "birth_date": "2009-05-06", "first_name": "Jon"}


def staff(*rights: tuple[str, str], name: str = "manager") -> Client:
    client = Client()
    client.force_login(make_user(name, list(rights)))
    return client


@pytest.fixture
def held(live_server):
    """District 0002's Jon Smith has a state ID; district 0003's Jon Smyth looks like him."""
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(1, last_name="Smith", **TWIN)
    b.person(5, last_name="Smyth", **TWIN)
    (given,) = [c["value"] for c in a.changes()]
    return b, given, MatchHold.objects.get(record_id=5)


def test_a_held_person_shown_beside_their_candidate_and_matched(held):
    b, given, hold = held
    client = staff(("personmatching", "W"))
    page = client.get(reverse("state:matching")).content.decode()
    assert "Smyth" in page and "Smith" in page and f"Match to {given}" in page
    assert "last names 80% alike" in page  # the reasons, side by side

    response = client.post(reverse("state:matching-decide", args=[hold.pk]), {"state_id": given})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert (hold.status, hold.state_id, hold.decided_by) == ("matched", given, "manager")
    assert PersonIdentityCopy.objects.get(tenant__number="0003", record_id=5).state_id == given
    assert [c["value"] for c in b.changes()] == [given]
    entry = AuditEntry.objects.get(action="state.person_match")
    assert entry.detail["state_id"] == given and entry.username == "manager"

    # Decided once: a second decision is refused with why.
    again = client.post(reverse("state:matching-decide", args=[hold.pk]), {"state_id": ""})
    assert "decided already" in client.get(again.url).content.decode()


def test_a_held_person_given_a_new_state_id_and_a_stranger_refused(held):
    b, given, hold = held
    client = staff(("personmatching", "W"))
    stranger = client.post(
        reverse("state:matching-decide", args=[hold.pk]), {"state_id": state_id_for(999)}
    )
    assert "not one of this person&#x27;s candidates" in client.get(stranger.url).content.decode()
    client.post(reverse("state:matching-decide", args=[hold.pk]), {"state_id": ""})
    hold.refresh_from_db()
    assert hold.status == "new" and hold.state_id not in ("", given)
    assert AuditEntry.objects.filter(action="state.person_new").count() == 1
    assert [c["value"] for c in b.changes()] == [hold.state_id]


def test_a_field_made_state_owned_and_its_value_set_at_the_state(live_server):
    district = SendingDistrict(live_server.url, "0002")
    district.person(1, last_name="Ruiz", **TWIN)
    reader = staff(("fieldsettings", "R"), name="reader")
    page = reader.get(reverse("state:field-settings")).content.decode()
    assert "Make state-owned" not in page  # R shows, W changes
    assert 'data-field="PersonIdentity.state_id"' in page

    client = staff(("fieldsettings", "W"))
    refused = client.post(
        reverse("state:district-value", args=["0002"]),
        {"field": "PersonIdentity.last_name", "record_id": "1", "value": "Ruíz"},
    )
    assert "owned by the district" in client.get(refused.url).content.decode()
    client.post(
        reverse("state:field-settings-change"),
        {"object": catalog.PERSON, "field": "last_name", "owner": "state"},
    )
    assert FieldSetting.objects.get(field="last_name").owner == "state"
    bad = client.post(
        reverse("state:district-value", args=["0002"]),
        {"field": "PersonIdentity.last_name", "record_id": "1", "value": "x" * 61},
    )
    assert "Not changed" in client.get(bad.url).content.decode()
    client.post(
        reverse("state:district-value", args=["0002"]),
        {"field": "PersonIdentity.last_name", "record_id": "1", "value": "Ruíz"},
    )
    sent = [c for c in district.changes() if c["field"] == "last_name"]
    assert [c["value"] for c in sent] == ["Ruíz"]
    assert "Changed at the state by manager" in sent[0]["reason"]
    assert AuditEntry.objects.filter(action="state.value_set").count() == 1
    assert AuditEntry.objects.filter(action="state.field_owner").count() == 1
    # The district sending its old value again is answered with the state's, not taken.
    district.person(1, last_name="Ruiz", **TWIN)
    assert PersonIdentityCopy.objects.get(tenant__number="0002", record_id=1).last_name == "Ruíz"
    again = DownChange.objects.filter(field="last_name").order_by("pk").last()
    assert again.value == "Ruíz" and "the district's 'Ruiz'" in again.reason
    # A state ID typed at the state is told apart: mistyped, not 10 digits, never issued.
    given = PersonIdentityCopy.objects.get(tenant__number="0002", record_id=1).state_id
    mistyped = given[:-1] + str((int(given[-1]) + 1) % 10)
    for typed, said in (
        (mistyped, "fails its check digit (mistyped?)"),
        ("12345", "is not 10 digits"),
        (state_id_for(10**6), "was never issued by the state"),
    ):
        answer = client.post(
            reverse("state:district-value", args=["0002"]),
            {"field": "PersonIdentity.state_id", "record_id": "1", "value": typed},
        )
        assert said in client.get(answer.url).content.decode(), typed


def test_conflicts_page_lists_both_districts_and_the_dates(live_server):
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(1, last_name="Kim", **TWIN)
    b.person(1, last_name="Kim", **TWIN)
    a.enroll(1, 1, "2023-08-21")
    b.enroll(1, 1, "2023-10-02", "2024-02-01")
    page = staff(("conflicts", "R")).get(reverse("state:conflicts")).content.decode()
    assert "2023-10-02 to 2024-02-01" in page
    assert ">0003<" in page and ">0002<" in page
