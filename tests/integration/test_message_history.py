"""The Message History (docs/MESSAGES.md): every door's messages recorded with their times and
results, a rejected one sent again, a state that is down, pruning, the page, the CSV and the
command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from statesync.access.models import AuditEntry
from statesync.core import catalog, wire
from statesync.core.messagelog import SQUEEZED
from statesync.district.models import (
    Message,
    MessageBucket,
    MessageTally,
    OutboxEntry,
    Run,
    SelectiveSync,
    SentBody,
    dis_model,
)
from statesync.district.services import messages, realtime, sentbodies
from statesync.district.services.resync import execute
from statesync.district.services.selective import perform
from statesync.state.models import copy_model
from tests.support.proxy import Proxy
from tests.support.users import client_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
School = dis_model("School")
SchoolCopy = copy_model("School")


@pytest.fixture
def proxied_state(live_server, registered, resolving, monkeypatch):
    proxy = Proxy(live_server.thread.host, live_server.thread.port)
    proxy.up()
    monkeypatch.setenv("STATESYNC_STATE_URL", proxy.url)
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
    yield proxy
    proxy.down()


@pytest.fixture
def admin_client():
    return client_with(superuser=True)


def test_a_run_a_save_a_selective_sync_and_a_sync_down_are_each_recorded(proxied_state, seeded):
    seeded("small", defects=False)
    run = execute(Run.plan(catalog.NAMES))
    assert run.status == "succeeded"
    batches = Message.objects.filter(origin="run", origin_ref=run.pk)
    # Every record the run sent is in a message of the run, as an add (the state held none).
    sent = [item for message in batches for item in message.items()]
    assert len(sent) == sum(dis_model(n).objects.count() for n in catalog.NAMES)
    assert {item.action for item in sent} == {"add"}
    for message in batches:
        assert message.result == "accepted" and message.attempts == 1
        assert message.queued_at <= message.sent_at <= message.answered_at
        assert message.lag_ms is not None and message.lag_ms >= 0
        assert SentBody.objects.filter(message=message).exists()
    # The state IDs the run was given came down: a message per page, each record applied.
    down = Message.objects.filter(origin="down", object=catalog.PERSON)
    assert down.exists()
    applied = [item for message in down for item in message.items() if item.result == "accepted"]
    assert len(applied) == dis_model(catalog.PERSON).objects.exclude(state_id=None).count()

    school = School.objects.get(pk=1)
    school.name = "Renamed"
    school.save()
    realtime.drain()
    saved = Message.objects.get(origin="save")
    assert (saved.object, saved.result, saved.records) == ("School", "accepted", 1)
    assert [(i.record_id, i.action) for i in saved.items()] == [(1, "change")]

    entry = SelectiveSync.objects.create(object=catalog.PERSON, ids_asked=[1, 2])
    perform(entry)
    chosen = Message.objects.get(origin="selective", origin_ref=entry.pk)
    assert [i.record_id for i in chosen.items()] == [1, 2]
    assert chosen.origin_label == f"selective sync {entry.pk}"


def test_a_state_that_is_down_leaves_a_save_waiting_with_its_tries_then_accepted(
    proxied_state, seeded
):
    seeded("small", defects=False)
    execute(Run.plan(["District", "School"]))
    proxied_state.down()
    school = School.objects.get(pk=2)
    school.name = "Saved While Down"
    school.save()
    for _ in range(2):
        assert "did not answer" in realtime.drain().error
    waiting = Message.objects.get(origin="save")
    assert (waiting.result, waiting.attempts) == ("retrying", 2)
    assert "did not answer" in waiting.reason
    assert OutboxEntry.objects.get().message_id == waiting.pk

    proxied_state.up()
    assert realtime.drain().error == ""
    waiting.refresh_from_db()
    assert (waiting.result, waiting.attempts, waiting.reason) == ("accepted", 3, "")
    assert waiting.answered_at > waiting.queued_at
    assert Message.objects.filter(origin="save").count() == 1  # carried on, not repeated


def test_a_rejected_message_sent_again_after_the_fix_is_accepted(
    proxied_state, seeded, admin_client
):
    seeded("small", defects=False)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_school SET grade_low = '12', grade_high = '01' WHERE id = 3"
        )
    run = execute(Run.plan(["District", "School"]))
    rejected = Message.objects.get(origin="run", origin_ref=run.pk, object="School")
    assert rejected.result == "rejected" and rejected.rejected == 1
    [three] = [i for i in rejected.items() if i.record_id == 3]
    assert three.result == "rejected" and three.codes == rejected.codes != ""
    page = admin_client.get(reverse("district:message", args=[rejected.pk]))
    assert b"Send again" in page.content
    assert b"Grade" in page.content  # the state's answer, with its message

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_school SET grade_low = '01', grade_high = '12' WHERE id = 3"
        )
    response = admin_client.post(reverse("district:message-resend", args=[rejected.pk]))
    again = Message.objects.get(origin="resend", origin_ref=rejected.pk, object="School")
    assert response.url == reverse("district:message", args=[again.pk])
    assert again.result == "accepted"
    assert [i.record_id for i in again.items()] == [3]
    assert SchoolCopy.objects.filter(record_id=3).exists()
    audited = AuditEntry.objects.get(action="messages.resend")
    assert audited.target == f"message {rejected.pk}" and audited.detail["accepted"] == 1
    # An accepted message is not one to send again.
    refused = admin_client.post(reverse("district:message-resend", args=[again.pk]))
    assert refused.status_code == 302
    assert Message.objects.filter(origin="resend", origin_ref=again.pk).count() == 0


def _message(days_ago: float, record_id: int = 1, **fields) -> Message:
    """A message of one School record, recorded as a save's would be."""
    queued = timezone.now() - dt.timedelta(days=days_ago)
    sending = messages.Sending("save", None, "School", [record_id], queued_at=queued.timestamp())
    sending.trace.body, sending.trace.attempts = b"{}", 1
    message = messages.record(sending, wire.BatchResult(object="School"))
    for name, value in fields.items():
        setattr(message, name, value)
    message.save()  # its hour and lag bucket follow
    return message


def test_pruning_removes_exactly_what_is_past_its_age(transactional_db, settings):
    settings.SENT_KEEP_DAYS, settings.MESSAGES_KEEP_DAYS = 7, 90
    fresh = _message(6.9)
    week_old = _message(7.1)
    kept = _message(89)  # messages go by whole days: the 90th day back is kept whole
    old = _message(91.5)
    waiting = _message(120, result="retrying")
    assert MessageTally.objects.get(day=old.queued_at.date()).messages == 1
    # The bodies of all but the fresh one; the one message of a day past 90 days.
    assert messages.prune() == (4, 1)
    assert SentBody.objects.filter(message=fresh).exists()
    assert not SentBody.objects.filter(message__in=[week_old, kept, waiting]).exists()
    assert set(Message.objects.values_list("pk", flat=True)) == {
        fresh.pk,
        week_old.pk,
        kept.pk,
        waiting.pk,
    }
    assert not MessageBucket.objects.filter(message_id=old.pk).exists()
    assert not MessageTally.objects.filter(day=old.queued_at.date()).exists()
    assert MessageTally.objects.get(day=waiting.queued_at.date()).result == "retrying"
    assert messages.prune() == (0, 0)


def test_the_page_filters_summarises_pages_and_exports(transactional_db, admin_client):
    for n in range(60):
        _message(
            n / 24,
            record_id=2 if n == 59 else 1,
            result="rejected" if n % 10 == 0 else "accepted",
            lag_ms=n * 10,
        )
    page = admin_client.get(reverse("district:messages"))
    assert page.status_code == 200
    assert b"60 messages" in page.content and b"6 rejected" in page.content
    assert b"Page 1 of 2" in page.content
    hours = page.context["summary"].hours
    assert len(hours) == 48  # an hour each: the latest 48 hours with messages
    assert sum(h["messages"] for h in hours) == 48
    assert hours[0]["p95_ms"] >= hours[0]["p50_ms"]
    only = admin_client.get(reverse("district:messages"), {"result": "rejected"})
    assert only.context["page"].paginator.count == 6
    by_id = admin_client.get(reverse("district:messages"), {"ids": "1", "object": "School"})
    assert by_id.context["page"].paginator.count == 59
    # ID 2 shares the bucket of ID 1 (256 IDs a bucket): found only where it was carried.
    two = admin_client.get(reverse("district:messages"), {"ids": "2, 300"})
    assert two.context["page"].paginator.count == 1
    calendar = admin_client.get(reverse("district:messages"), {"ids": "2", "object": "Calendar"})
    assert calendar.context["page"].paginator.count == 0

    bad = admin_client.get(reverse("district:messages"), {"start": "yesterday"})
    assert b"start: &#x27;yesterday&#x27; is not a date" in bad.content
    last_day = admin_client.get(reverse("district:messages"), {"end": "9999-12-31"})
    assert last_day.status_code == 200 and last_day.context["page"].paginator.count == 60
    report = admin_client.get(reverse("district:messages-report"), {"end": "9999-12-31"})
    assert report.status_code == 200
    pasted = admin_client.get(reverse("district:messages"), {"ids": "12 abc"})
    assert b"not IDs: abc" in pasted.content

    report = admin_client.get(reverse("district:messages-report"), {"result": "rejected"})
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0][:3] == ["message", "object", "origin"] and len(rows) == 7
    assert AuditEntry.objects.filter(action="messages.export").exists()
    refused = admin_client.get(reverse("district:messages-report"), {"end": "2026-13-01"})
    assert refused.status_code == 400


def test_rights_view_and_resend(transactional_db):
    rejected = _message(0, result="rejected", rejected=1)
    nobody = client_with()
    assert nobody.get(reverse("district:messages")).status_code == 403
    reader = client_with("messages_r")
    assert reader.get(reverse("district:messages")).status_code == 200
    assert b"Send again" not in reader.get(reverse("district:message", args=[rejected.pk])).content
    assert reader.post(reverse("district:message-resend", args=[rejected.pk])).status_code == 403
    assert not AuditEntry.objects.filter(action="messages.resend").exists()


def test_the_command_line_filters_and_streams_json_and_csv(transactional_db, capsys):
    for n in range(3):
        _message(n, result="accepted" if n else "rejected")
    call_command("messages", "--json")
    found = json.loads(capsys.readouterr().out)
    assert [m["result"] for m in found] == ["rejected", "accepted", "accepted"]  # newest first
    call_command("messages", "--result", "rejected", "--format", "csv")
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 2 and rows[1][8] == "rejected"
    with pytest.raises(CommandError, match="ids: not IDs: x"):
        call_command("messages", "--ids", "1 x")
    with pytest.raises(CommandError, match="only a rejected or unsent message"):
        call_command("messages", "--resend", Message.objects.filter(result="accepted")[0].pk)
    with pytest.raises(CommandError, match="no message 999999"):
        call_command("messages", "--resend", "999999")


def test_a_kept_body_is_compressed_and_reads_back_as_sent(proxied_state, seeded):
    seeded("small", defects=False)
    run = execute(Run.plan([catalog.ROOT, "School"]))
    for name in (catalog.ROOT, "School"):
        [message] = Message.objects.filter(origin="run", origin_ref=run.pk, object=name)
        kept = bytes(SentBody.objects.get(message=message).body)
        ids = list(dis_model(name).objects.values_list("pk", flat=True))
        sent = sentbodies.read(message, ids)
        assert sent.kept and sorted(sent.values) == sorted(ids)
        assert sent.answer["object"] == name
        if name == catalog.ROOT:  # one record: compressed it would grow, so kept as sent
            assert kept[:1] == b"{" and sent.size == len(kept)
        else:  # LZ4: smaller than the JSON as sent
            assert kept[:1] == SQUEEZED and sent.size > len(kept)
    if connection.vendor == "postgresql":  # stored as it comes: PostgreSQL compresses no more
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, attstorage FROM pg_attribute "
                "WHERE attrelid = 'district_sent_body'::regclass AND attname IN ('body', 'answer')"
            )
            assert dict(cursor.fetchall()) == {"body": "e", "answer": "e"}
