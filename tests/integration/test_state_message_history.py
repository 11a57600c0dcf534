"""The state's Message History, per district (docs/MESSAGES.md): every door's messages kept
with what the state answered, searched by the district's IDs and by state ID, summarised,
exported and audited, never shown to another district's page, pruned by age; and the state's
Data Tool lists the messages that carried a record."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.core.messagelog import unpack
from statesync.district.models import Run, dis_model
from statesync.district.services import realtime
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.district.worker import workers
from statesync.state.ingest import received
from statesync.state.models import (
    District,
    ReceivedBucket,
    ReceivedMessage,
    Rejection,
    ResyncRequest,
    copy_model,
)
from tests.support.users import client_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
School = dis_model("School")


@pytest.fixture
def synced(dis, seeded):
    """District 0001 after a first resync of a small district with defects (some rejected)."""
    seeded("small", defects=True)
    run = execute(Run.plan(catalog.NAMES))
    return District.objects.get(number="0001"), run


def test_every_door_is_kept_with_the_states_answer(synced):
    district, run = synced
    batches = ReceivedMessage.objects.filter(district=district, origin="run", origin_ref=run.pk)
    carried = sum(m.records for m in batches)
    assert carried == sum(dis_model(n).objects.count() for n in catalog.NAMES)
    rejected = batches.filter(result="rejected")
    assert rejected.exists()  # the seeded defects
    # Each rejected record is named in its message with its codes, as the state judged it.
    for message in rejected:
        for record_id, codes in message.problems.items():
            assert int(record_id) in unpack(message.upserts)
            judged = Rejection.objects.get(
                district=district, object=message.object, record_id=int(record_id)
            )
            assert codes == ",".join(sorted({e["code"] for e in judged.errors}))
    assert all(m.answered_at >= m.received_at and m.lag_ms >= 0 for m in batches)
    # The changes the district applied (its state IDs) are an exchange of their own.
    assert ReceivedMessage.objects.filter(district=district, origin="down").exists()

    school = School.objects.get(pk=1)
    school.name = "Renamed"
    school.save()
    assert realtime.drain().error == ""
    save = ReceivedMessage.objects.get(district=district, origin="realtime", object="School")
    assert unpack(save.upserts) == [1] and (save.updated, save.result) == (1, "accepted")

    asked = ResyncRequest.ask(district, ["School"], "differential", "state staff")
    with state_client() as client:
        assert client.claim_resync_request(asked.pk, 77)
    took = ReceivedMessage.objects.get(district=district, origin="request")
    assert (took.origin_ref, took.object) == (asked.pk, "School")


def test_the_page_searches_summarises_exports_and_keeps_districts_apart(synced):
    district, _ = synced
    District.register("0002", "Other District")
    admin = client_with(superuser=True)
    url = reverse("state:received-messages", args=["0001"])
    page = admin.get(url)
    assert page.status_code == 200
    summary = page.context["summary"]
    assert summary.total == ReceivedMessage.objects.filter(district=district).count()
    assert summary.by_result["rejected"] >= 1 and summary.hours

    # By the district's record ID: only the messages that carried it.
    by_id = admin.get(url, {"object": "School", "ids": "2"})
    found = list(by_id.context["page"].object_list)
    assert found and all(2 in m.ids() and m.object == "School" for m in found)
    # By state ID: the person's messages and the person's enrollments'.
    person = copy_model(catalog.PERSON).objects.filter(tenant=district).exclude(state_id=None)[0]
    by_state = admin.get(
        reverse("state:received-messages", args=["0001"]),
        {"ids": str(int(person.state_id)), "id_kind": "state"},
    )
    objects = {m.object for m in by_state.context["page"].object_list}
    assert catalog.PERSON in objects and catalog.ENROLLMENT in objects

    bad = admin.get(url, {"ids": "12, x7", "start": "2026"})
    assert b"start: &#x27;2026&#x27; is not a date" in bad.content

    report_url = reverse("state:received-messages-report", args=["0001"])
    report = admin.get(report_url, {"result": "rejected"})
    rows = list(csv.DictReader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows and {r["result"] for r in rows} == {"rejected"}
    assert {r["district"] for r in rows} == {"0001"}
    assert AuditEntry.objects.filter(action="statemessages.export").exists()

    # Another district's page shows none of these, nor opens one of them.
    elsewhere = admin.get(reverse("state:received-messages", args=["0002"]))
    assert elsewhere.context["summary"].total == 0
    one = ReceivedMessage.objects.filter(district=district, object="School").first()
    assert admin.get(reverse("state:received-message", args=["0002", one.pk])).status_code == 404
    shown = admin.get(reverse("state:received-message", args=["0001", one.pk]))
    assert shown.status_code == 200 and shown.context["message"] == one

    # The state's Data Tool lists the messages that carried the record.
    record = admin.get(reverse("state:record", args=["0001"]), {"object": "School", "id": "1"})
    assert record.context["record_messages"]


def test_rights_to_view(synced):
    url = reverse("state:received-messages", args=["0001"])
    assert client_with("state_r").get(url).status_code == 403
    assert client_with("statemessages_r").get(url).status_code == 200


def test_pruning_removes_exactly_what_is_past_its_age(synced, settings):
    district, _ = synced
    settings.MESSAGES_KEEP_DAYS = 30
    now = timezone.now()
    kept = ReceivedMessage.objects.filter(district=district).count()
    old = received.record_exchange(state_db(), district, "down", "changes applied", 3)
    ReceivedMessage.objects.filter(pk=old.pk).update(received_at=now - dt.timedelta(days=31))
    edge = received.record_exchange(state_db(), district, "down", "changes applied", 3)
    ReceivedMessage.objects.filter(pk=edge.pk).update(received_at=now - dt.timedelta(days=29))
    assert received.prune(state_db(), now) == 1
    assert ReceivedMessage.objects.filter(district=district).count() == kept + 1
    assert not ReceivedBucket.objects.filter(message_id=old.pk).exists()


def test_the_command_line_filters_and_streams_json_and_csv(synced, capsys):
    call_command("received", "--district", "0001", "--object", "school", "--json")
    items = json.loads(capsys.readouterr().out)
    assert items and {i["object"] for i in items} == {"School"}
    call_command("received", "--district", "0001", "--format", "csv", "--result", "rejected")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["result"] for r in rows} == {"rejected"}
    with pytest.raises(CommandError, match="No district '9999'"):
        call_command("received", "--district", "9999")
    with pytest.raises(CommandError, match="end"):
        call_command(
            "received", "--district", "0001", "--start", "2026-02-01", "--end", "2026-01-01"
        )


def test_the_states_data_tool_asks_the_district_to_send_a_record_now(synced):
    district, _ = synced
    School.objects.filter(pk=2).update(name="Changed By SQL")  # the state has not seen it
    url = reverse("state:record-sync", args=["0001"])
    assert client_with("state_r").post(url, {"object": "School", "id": "2"}).status_code == 403
    admin = client_with(superuser=True)
    huge = admin.post(url, {"object": "School", "id": "9" * 30}, follow=True)
    assert huge.status_code == 200 and b"record&#x27;s ID (a whole number)" in huge.content
    assert not ResyncRequest.objects.exists()
    answer = admin.post(url, {"object": "School", "id": "2"}, follow=True)
    assert b"Asked district 0001 to send School 2 now" in answer.content
    asked = ResyncRequest.objects.get(record_ids=[2])
    assert AuditEntry.objects.filter(action="state.request_record").exists()

    with state_client() as client:  # the district's worker, polling
        assert workers.take_state_requests(client, lambda run: None) == 1
    asked.refresh_from_db()
    assert asked.claimed_at is not None and asked.district_run is None
    copy = copy_model("School").objects.get(tenant=district, record_id=2)
    assert copy.name == "Changed By SQL"
    sent = ReceivedMessage.objects.filter(district=district, object="School", origin="realtime")
    assert any(2 in m.ids() for m in sent)
    assert AuditEntry.objects.filter(
        action="selective.sync", target="state request " + str(asked.pk)
    ).exists()
