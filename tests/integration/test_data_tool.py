"""The Data Tool: one record on both sides, a difference planted with SQL shown and cleared by
"sync now", people found by name and state ID, rights and bad input."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.district.models import Message, Run, dis_model
from statesync.district.services.resync import execute
from tests.support.users import client_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
URL = reverse("district:data-tool")


@pytest.fixture
def synced(dis, seeded):
    seeded("small", defects=False)
    assert execute(Run.plan(catalog.NAMES)).status == "succeeded"


def test_a_difference_planted_with_sql_is_shown_and_sync_now_clears_it(synced):
    admin = client_with(superuser=True)
    same = admin.get(URL, {"object": "School", "id": "1"}).context["look"]
    assert same.at_state and same.differences == []
    assert same.sent_in is not None  # the run's batch that carried it, body kept
    assert {r.column: r.sent for r in same.rows}["name"] == dis_model("School").objects.get(
        pk=1
    ).name
    with connection.cursor() as cursor:
        cursor.execute("UPDATE district_school SET name = 'Planted By SQL' WHERE id = 1")
    page = admin.get(URL, {"object": "School", "id": "1"})
    look = page.context["look"]
    assert look.differences == ["name"]
    assert b'class="differs"' in page.content and b"Planted By SQL" in page.content
    assert [name for name, _, _ in look.children]  # its calendars, as links
    assert look.parents == [("District", dis_model("School").objects.get(pk=1).district_id)]

    answer = admin.post(reverse("district:data-tool-sync"), {"object": "School", "id": "1"})
    assert answer.status_code == 302
    after = admin.get(answer.url)
    assert b"The state accepted School 1" in after.content
    assert after.context["look"].differences == []
    sent = Message.objects.get(origin="datatool", object="School")
    assert sent.result == "accepted" and sent.origin_label == "Data Tool (record 1)"
    assert after.context["look"].messages[0] == sent
    # Each message says what became of this record, not of the batch it travelled in.
    [(_, item)] = [(m, i) for m, i in after.context["look"].record_messages if m == sent]
    assert (item.record_id, item.result) == (1, "accepted")
    entry = AuditEntry.objects.get(action="datatool.sync")
    assert entry.target == "School 1" and entry.detail == {"accepted": True}


def test_state_owned_fields_are_marked_and_people_found(synced):
    admin = client_with(superuser=True)
    person = dis_model(catalog.PERSON).objects.exclude(state_id=None).first()
    look = admin.get(URL, {"object": catalog.PERSON, "id": str(person.pk)}).context["look"]
    owned = {r.column for r in look.rows if r.state_owned}
    assert owned == {catalog.STATE_ID_FIELD}
    by_state_id = admin.get(URL, {"q": person.state_id}).context["people"]
    assert [p["pk"] for p in by_state_id] == [person.pk]
    by_name = admin.get(URL, {"q": person.last_name, "birth_date": str(person.birth_date)})
    assert person.pk in [p["pk"] for p in by_name.context["people"]]


def test_bad_input_is_named_and_rights_are_enforced(synced):
    admin = client_with(superuser=True)
    bad = admin.get(URL, {"object": "School", "id": "12x"})
    assert b"&#x27;12x&#x27; is not a record ID" in bad.content and "look" not in bad.context
    unknown = admin.get(URL, {"object": "Nothing", "id": "1"})
    assert b"Choose the object" in unknown.content
    born = admin.get(URL, {"birth_date": "31/12/2010"})
    assert b"is not a date" in born.content
    missing = admin.get(URL, {"object": "School", "id": "999999"}).context["look"]
    assert not missing.exists and not missing.at_state

    assert client_with().get(URL).status_code == 403
    reader = client_with("datatool_r")
    page = reader.get(URL, {"object": "School", "id": "1"})
    assert page.status_code == 200 and b"Sync now</button>" not in page.content
    refused = reader.post(reverse("district:data-tool-sync"), {"object": "School", "id": "1"})
    assert refused.status_code == 403
    assert not Message.objects.filter(origin="datatool").exists()


def test_the_command_line_shows_a_record_on_both_sides(synced, capsys):
    call_command("record", "show", "School", "1", "--json")
    shown = json.loads(capsys.readouterr().out)
    assert shown["in_district"] and shown["at_state"] and shown["differences"] == []
    assert shown["fields"]["name"]["district"] == shown["fields"]["name"]["state"]
    call_command("record", "show", "School", "1", "--district", "0001", "--json")
    at_state = json.loads(capsys.readouterr().out)
    assert at_state["state"]["name"] == shown["fields"]["name"]["state"]
    assert at_state["rejected"] == [] and at_state["removed"] is None
    assert at_state["state_owned"] == [] and at_state["children"]["Calendar"] > 0
    with pytest.raises(CommandError, match="No district '7777'"):
        call_command("record", "show", "School", "1", "--district", "7777")
