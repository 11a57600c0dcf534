"""The Record Deleter (docs/RECORD_DELETER.md): a record and what hangs under it removed from a
district's copy at the state, shown first, confirmed, audited; refused without D and for a
closed year; an older message does not bring it back, a newer change and a resync do."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.district.models import Run, dis_model
from statesync.district.services import realtime
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.district.services.selective import send_now
from statesync.state.ingest import removal
from statesync.state.models import District, Removal, StateYear, copy_model
from tests.support.users import client_with

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
School = dis_model("School")
Calendar = dis_model("Calendar")
SchoolCopy = copy_model("School")
CalendarCopy = copy_model("Calendar")


@pytest.fixture
def synced(dis, seeded):
    seeded("small", defects=False)
    run = execute(Run.plan(catalog.NAMES))
    assert run.status == "succeeded"
    return District.objects.get(number="0001")


def held(model, district, record_id) -> bool:
    return model.objects.filter(tenant=district, record_id=record_id).exists()


def test_a_record_and_its_children_are_shown_then_removed_and_audited(synced):
    admin = client_with(superuser=True)
    url = reverse("state:record-deleter", args=["0001"])
    calendars = list(Calendar.objects.filter(school_id=1).values_list("pk", flat=True))
    assert calendars
    shown = admin.post(url, {"object": "School", "ids": "1, 999999"})
    plan = shown.context["plan"]
    assert plan.found == [1] and plan.missing == [999999]
    assert plan.under["Calendar"] == sorted(calendars)
    assert plan.counts()[0] == ("School", 1) and plan.total > 1 + len(calendars)
    assert held(SchoolCopy, synced, 1)  # shown, nothing removed yet

    stale = admin.post(url, {"object": "School", "ids": "1", "confirm": "yes", "expected": "1"})
    assert b"not the number you confirmed" in stale.content
    assert held(SchoolCopy, synced, 1)

    done = admin.post(
        url, {"object": "School", "ids": "1", "confirm": "yes", "expected": str(plan.total)}
    )
    assert done.status_code == 302
    assert not held(SchoolCopy, synced, 1)
    assert not CalendarCopy.objects.filter(tenant=synced, record_id__in=calendars).exists()
    assert held(SchoolCopy, synced, 2)  # only what was asked, and what hangs under it
    assert Removal.objects.filter(district=synced).count() == plan.total
    audited = AuditEntry.objects.get(action="records.remove")
    assert audited.detail["removed"]["School"] == [1]
    assert audited.detail["removed"]["Calendar"] == sorted(calendars)
    assert audited.detail["total"] == plan.total

    # The state's side of the Data Tool says so, and what still holds.
    looked = admin.get(reverse("state:record", args=["0001"]), {"object": "School", "id": "1"})
    gone = looked.context["held"]
    assert gone.values is None and gone.removal.removed_by == "admin"
    assert b"Removed by admin with the Record Deleter" in looked.content
    other = admin.get(reverse("state:record", args=["0001"]), {"object": "School", "id": "2"})
    assert other.context["held"].values["name"] == School.objects.get(pk=2).name
    assert ("Calendar", Calendar.objects.filter(school_id=2).count()) in other.context[
        "held"
    ].children
    assert b"Remove it with the Record Deleter" in other.content


def test_removing_needs_d_and_viewing_needs_r(synced):
    url = reverse("state:record-deleter", args=["0001"])
    assert client_with().get(url).status_code == 403
    looking = reverse("state:record", args=["0001"])
    assert client_with("batch_r").get(looking).status_code == 403  # the state's R, not a district's
    bad = client_with("state_r").get(looking, {"object": "School", "id": "x1"})
    assert b"is not a record ID" in bad.content
    viewer = client_with("recorddeleter_r")
    form = {"object": "School", "ids": "2"}
    shown = viewer.post(url, form)
    assert shown.status_code == 200 and shown.context["plan"].found == [2]
    assert b"needs D (Remove records)" in shown.content
    total = str(shown.context["plan"].total)
    refused = viewer.post(url, {**form, "confirm": "yes", "expected": total})
    assert b"needs D (Remove records)" in refused.content
    assert held(SchoolCopy, synced, 2)
    assert not AuditEntry.objects.filter(action="records.remove").exists()


def test_a_closed_year_keeps_its_records(synced):
    StateYear.close(2024, by="test")
    calendar = Calendar.objects.filter(school_year=2024).first()
    done = removal.remove(synced, "Calendar", [calendar.pk], "test")
    assert done.found == [] and calendar.pk in done.refused
    assert "closed at the state" in done.refused[calendar.pk]
    assert held(CalendarCopy, synced, calendar.pk)
    # A school with a closed year's calendars under it is kept too.
    school = removal.plan(synced, "School", [calendar.school_id])
    assert school.refused and not school.found


def test_an_older_message_does_not_bring_it_back_a_newer_change_and_a_resync_do(synced):
    removal.remove(synced, "School", [3], "test")
    removal.remove(synced, "School", [4], "test")
    with state_client() as client:  # the same version again, as a delayed message would be
        send_now("School", [3], client, ("selective", None))
    assert not held(SchoolCopy, synced, 3)

    school = School.objects.get(pk=3)
    school.name = "Changed After Removal"
    school.save()
    assert realtime.drain().error == ""
    assert SchoolCopy.objects.get(tenant=synced, record_id=3).name == "Changed After Removal"
    assert not Removal.objects.filter(object="School", record_id=3).exists()

    execute(Run.plan(["School"]))
    assert held(SchoolCopy, synced, 4)


def test_the_command_line_shows_then_removes(synced, capsys):
    call_command("record", "delete", "School", "5", "--district", "0001")
    assert "Would remove" in capsys.readouterr().out
    assert held(SchoolCopy, synced, 5)
    call_command("record", "delete", "School", "5", "--district", "0001", "--yes", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["removed_now"] and out["removed"]["School"] == [5]
    assert not held(SchoolCopy, synced, 5)
    entry = AuditEntry.objects.get(action="records.remove")
    assert entry.via == "cli" and entry.detail["removed"]["School"] == [5]
    with pytest.raises(CommandError, match="Not IDs: x"):
        call_command("record", "delete", "School", "x", "--district", "0001")
    with pytest.raises(CommandError, match="No district '9999'"):
        call_command("record", "delete", "School", "5", "--district", "9999")
    with pytest.raises(CommandError, match="Nonsense"):
        call_command("record", "delete", "Nonsense", "5", "--district", "0001")
    assert catalog.ROOT  # the catalogue's root is not what a removal takes lightly
