"""Student Records Transfer (docs/TRANSFERS.md): a mover's records asked for, routed by the
state to the former district, released with a document and received into a person; a decline;
an expiry with its reminder; a request for a student the district has no business with
refused; another district never sees a request or a packet; a file that says it is a PDF but
is not is refused; rights per role; the command line and the district API.

District 0001 is the district edition under test (in this process, over real HTTP); the other
districts act through the state API with their own tokens, as their editions would."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from statesync.access.models import AuditEntry, PersonalToken
from statesync.core import catalog
from statesync.core import relaying as relay
from statesync.core import transfers as wire
from statesync.district.models import (
    Notification,
    PriorEnrollment,
    Transfer,
    TransferSettings,
    dis_model,
)
from statesync.state.models import Transfer as StateTransfer
from statesync.state.models import TransferPacket, copy_model
from tests.support.transfers import PDF, ask, make_world, packet_of
from tests.support.users import client_with, make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
Person = dis_model(catalog.PERSON)


@pytest.fixture
def world(dis, seeded):
    made = make_world(dis.url, seeded)
    yield made
    for client in made["api"].values():
        client.close()


def test_a_request_is_routed_released_with_a_document_then_fetched_and_received(world):
    asked = ask(world)
    assert asked.status_code == 200, asked.text
    item = asked.json()
    assert item["status"] == "routed" and item["former_district"] == "0001"

    # 0001's inbox has it, and whoever may release is told.
    admin = client_with(superuser=True)
    inbox = admin.get(reverse("district:transfers"))
    assert [t.state_ref for t in inbox.context["inbox"]] == [item["id"]]
    assert Notification.objects.filter(title__contains="asks for").exists()
    page = reverse("district:transfer", args=[item["id"]])
    preview = admin.get(page).context["preview"]
    assert preview.person.state_id == world["person"].state_id and preview.enrollments

    act = reverse("district:transfer-action", args=[item["id"]])
    fake = SimpleUploadedFile("transcript.pdf", b"just text", content_type="application/pdf")
    refused = admin.post(act, {"action": "attach", "kind": "transcript", "file": fake}, follow=True)
    assert b"is not a PDF, PNG or JPEG file" in refused.content
    real = SimpleUploadedFile("whatever.bin", PDF, content_type="text/plain")
    admin.post(act, {"action": "attach", "kind": "transcript", "label": "Transcript", "file": real})
    (document,) = Transfer.objects.get(state_ref=item["id"]).files.all()
    assert (
        document.content_type == "application/pdf"
        and document.file_name == f"attached-{document.pk}"
    )
    stored = Transfer.objects.get(state_ref=item["id"]).folder() / document.file_name
    assert stored.stat().st_mode & 0o777 == 0o600
    assert admin.post(act, {"action": "release"}).status_code == 302

    held = StateTransfer.objects.get(pk=item["id"])
    assert held.status == "released" and held.answered_by == "admin"
    assert held.packet.documents[0]["content_type"] == "application/pdf"
    kept_at_state = held.packet.folder()
    assert (kept_at_state / "1").stat().st_mode & 0o777 == 0o600
    # The state's page shows who asked for whom, never the document.
    state_page = client_with("statetransfers_r").get(reverse("state:transfers"))
    assert (
        b"Transcript" not in state_page.content and str(item["id"]).encode() in state_page.content
    )

    two = world["api"]["0002"]
    packet = two.get(f"/transfers/{item['id']}/packet").json()
    assert base64.b64decode(packet["documents"][0]["content"]) == PDF
    assert packet["person"]["state_id"] == world["person"].state_id
    assert two.post(f"/transfers/{item['id']}/received").json()["status"] == "received"
    assert not TransferPacket.objects.filter(transfer_id=item["id"]).exists()
    assert not kept_at_state.exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"transfer.request", "transfer.attach", "transfer.release", "transfer.fetch"} <= actions


def test_released_records_are_received_into_a_matched_person_as_prior_history(world):
    """0001 asks; 0002 (where the student was before, at the state) releases."""
    person = world["person"]
    admin = client_with(superuser=True)
    answer = admin.post(reverse("district:transfer-request"), {"state_id": person.state_id})
    transfer = Transfer.objects.get()
    assert answer.url == reverse("district:transfer", args=[transfer.state_ref])
    assert transfer.status == "routed" and transfer.other_district == "0002"
    packet = packet_of(person)
    two = world["api"]["0002"]
    assert two.post(f"/transfers/{transfer.state_ref}/release", json=packet).status_code == 200

    page = admin.get(reverse("district:transfer", args=[transfer.state_ref]))
    assert page.context["came"].enrollments[0].school == "Old School"
    act = reverse("district:transfer-action", args=[transfer.state_ref])
    admin.post(act, {"action": "receive", "person": str(person.pk)})
    transfer.refresh_from_db()
    assert transfer.status == "received" and transfer.person_id == person.pk
    (prior,) = PriorEnrollment.objects.filter(person_id=person.pk)
    assert (prior.district, prior.school, prior.grade) == ("0002", "Old School", "05")
    enrolments = dis_model(catalog.ENROLLMENT).objects.filter(person=person)
    assert not enrolments.filter(start_date=dt.date(2022, 8, 20)).exists()  # not ours
    (document,) = transfer.files.filter(received=True)
    download = admin.get(
        reverse("district:transfer-document", args=[transfer.state_ref, document.pk])
    )
    assert download["Content-Type"] == "image/png" and b"".join(
        download.streaming_content
    ).startswith(b"\x89PNG")
    assert StateTransfer.objects.get(pk=transfer.state_ref).status == "received"
    assert not TransferPacket.objects.exists()
    assert AuditEntry.objects.filter(action="transfer.download").exists()


def test_a_decline_tells_the_requester_why(world):
    item = ask(world).json()
    admin = client_with(superuser=True)
    act = reverse("district:transfer-action", args=[item["id"]])
    admin.get(reverse("district:transfers"))
    empty = admin.post(act, {"action": "decline", "reason": " "}, follow=True)
    assert b"say why the request is declined" in empty.content
    admin.post(act, {"action": "decline", "reason": "No such student attended here."})
    told = world["api"]["0002"].get("/transfers").json()
    assert told[0]["status"] == "declined" and told[0]["reason"] == "No such student attended here."
    assert world["api"]["0002"].get(f"/transfers/{item['id']}/packet").status_code == 409
    # Closed, it may be deleted here (D), with its documents; the state keeps its record.
    delete = reverse("district:transfer-delete", args=[item["id"]])
    admin.post(delete, {"confirm": "yes"})
    assert not Transfer.objects.filter(state_ref=item["id"]).exists()
    assert AuditEntry.objects.filter(action="transfer.delete").exists()


def test_reminders_then_expiry_delete_what_was_released(world, settings):
    item = ask(world).json()
    held = StateTransfer.objects.get(pk=item["id"])
    now = timezone.now()
    assert relay.housekeeping(
        StateTransfer, now + dt.timedelta(days=settings.TRANSFER_REMIND_DAYS + 1)
    ) == (1, 0)
    client_with(superuser=True).get(reverse("district:transfers"))  # the district hears of it
    assert Notification.objects.filter(title__startswith="Reminder").exists()
    person = wire.PacketPerson(None, "A", "B", None, None, "2010-01-01", "F", False, [])
    document = wire.PacketDocument("transcript", "T", "application/pdf", PDF)
    relay.release(held, wire.Packet("clerk", person, [], [document]))
    folder = held.packet.folder()
    assert folder.exists()
    later = held.expires_at + dt.timedelta(seconds=1)
    assert relay.housekeeping(StateTransfer, later) == (0, 1)
    held.refresh_from_db()
    assert held.status == "expired" and "not received in time" in held.reason
    assert not folder.exists() and not TransferPacket.objects.exists()


def test_a_request_for_a_student_the_district_has_no_business_with_is_refused(world):
    unknown = ask(world, person_id=123456)
    assert (
        unknown.status_code == 409
        and "has not sent the state person 123456" in unknown.json()["detail"]
    )
    wrong = ask(world, state_id="0000000001")
    assert wrong.status_code == 409 and "not 0000000001" in wrong.json()["detail"]
    copy_model(catalog.ENROLLMENT).objects.filter(tenant=world["two"]).delete()
    none = ask(world)
    assert none.status_code == 409 and "no enrollment for state ID" in none.json()["detail"]
    assert not StateTransfer.objects.exists()
    malformed = world["api"]["0002"].post("/transfers", content=b"{not json")
    assert malformed.status_code == 400


def test_another_district_never_sees_the_request_or_the_packet(world):
    item = ask(world).json()
    three = world["api"]["0003"]
    assert three.get("/transfers").json() == []
    for path in (
        f"/transfers/{item['id']}/packet",
        f"/transfers/{item['id']}/received",
        f"/transfers/{item['id']}/cancel",
    ):
        answer = three.post(path) if not path.endswith("packet") else three.get(path)
        assert answer.status_code == 404, path
    assert (
        three.post(
            f"/transfers/{item['id']}/decline", json={"reason": "no", "declined_by": "x"}
        ).status_code
        == 404
    )
    wrong_token = httpx.get(
        str(three.base_url).replace("0003", "0002").rstrip("/") + "/transfers",
        headers=three.headers,
    )
    assert wrong_token.status_code == 403


def test_rights_per_role(world):
    item = ask(world).json()
    url, act = reverse("district:transfers"), reverse("district:transfer-action", args=[item["id"]])
    assert client_with().get(url).status_code == 403
    reader = client_with("transfers_r")
    assert reader.get(url).status_code == 200
    assert reader.post(act, {"action": "decline", "reason": "no"}).status_code == 403
    delete = reverse("district:transfer-delete", args=[item["id"]])
    writer = client_with("transfers_w")
    assert writer.post(delete, {"confirm": "yes"}).status_code == 403
    # A district that names who may release: W alone is not enough.
    group = Group.objects.create(name="Registrars")
    TransferSettings.objects.update_or_create(pk=1, defaults={"releasers": group})
    refused = writer.post(act, {"action": "release"}, follow=True)
    assert b"only members of Registrars" in refused.content
    assert StateTransfer.objects.get(pk=item["id"]).status == "routed"
    assert client_with("statetransfers_r").get(reverse("state:transfers")).status_code == 200
    assert reader.get(reverse("state:transfers")).status_code == 403


def test_the_command_line_and_the_district_api(world, capsys):
    item = ask(world).json()
    call_command("transfer", "inbox", "--json")
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["id"] == item["id"] and listed["side"] == "routed"
    user = make_user("registrar", [("transfers", "W")])
    _, token = PersonalToken.issue(user, "test")
    answer = httpx.post(
        f"{world['base']}/api/district/v1/transfers/{item['id']}/decline",
        headers={"Authorization": f"Bearer {token}"},
        json={"reason": "Records are with the county office."},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "declined"
    assert AuditEntry.objects.filter(action="transfer.decline", via="api").exists()

    # The command line audits itself: a request it makes is at the state and in the log.
    second = ask(world)  # the first was declined: a new one may be asked
    call_command("transfer", "decline", str(second.json()["id"]), "--reason", "Sealed", "--json")
    assert json.loads(capsys.readouterr().out)["status"] == "declined"
    entry = AuditEntry.objects.filter(action="transfer.decline").latest("pk")
    assert entry.username.endswith("(command line)") and entry.detail["reason"] == "Sealed"
