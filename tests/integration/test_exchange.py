"""The National Records Exchange (docs/EXCHANGE.md): a district registers with the router
(terms, places), is found by the District Locator, and a request crosses state lines both
ways — asked, released with a document, fetched and received; a district not registered is
unfindable; a withdrawn registration; another district never sees a request or a packet; the
router refuses a forged or revoked credential; rights per role.

District 0001 (IL) is the district edition under test, in this process, calling the router
over real HTTP (the live server serves the router too); the districts in other states act
through the router's API with their own credentials, as their editions would."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog, relaying
from statesync.core.sync.client import StateRefused
from statesync.district.models import PriorEnrollment, Registration, Transfer, dis_model
from statesync.district.services import exchange, transfers
from statesync.district.services.transfers import TransferError
from statesync.router import registry
from statesync.router.models import Member, Packet
from statesync.router.models import Transfer as RouterTransfer
from tests.support.exchange import registered_elsewhere, router_api
from tests.support.transfers import PDF, packet_of
from tests.support.users import client_with, make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
Person = dis_model(catalog.PERSON)
School = dis_model(catalog.SCHOOL)


@pytest.fixture
def world(live_server, seeded):
    seeded("small", defects=False)
    base = live_server.url
    ours, token = registry.invite("Demo District 0001", "IL", "router operator")
    done = exchange.register(base, token, "admin", contact="records@0001", accept_terms=True)
    wi, wi_api = registered_elsewhere(base, "Madison Metropolitan", "WI", "Madison", "53703")
    mn, mn_api = registered_elsewhere(base, "Duluth Public", "MN", "Duluth", "55802")
    yield {
        "base": base,
        "ours": ours,
        "registration": done,
        "wi": wi,
        "wi_api": wi_api,
        "mn": mn,
        "mn_api": mn_api,
    }
    wi_api.close()
    mn_api.close()


def national_ask(member, person, requested_by="registrar in WI", **extra) -> dict:
    return {
        "district": member.code,
        "person_id": 7001,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": person.birth_date.isoformat(),
        "requested_by": requested_by,
        **extra,
    }


def test_registration_sends_the_schools_places_leaving_out_a_sliver(world):
    done = world["registration"]
    assert done.status == "registered" and done.code == world["ours"].code
    held = {(p.city, p.zip_code): p.share for p in world["ours"].places.all()}
    assert held and all(share > 0.01 for share in held.values())
    assert {(p["city"], p["zip_code"]) for p in done.places} == set(held)
    # A school of a handful of students in a town of its own: that town is left out.
    school = School.objects.order_by("pk").first()
    lone = School.objects.create(
        district=school.district,
        state_school_number="9998",
        name="Hospital School",
        grade_low="KG",
        grade_high="12",
        school_type="ALT",
        city="Farville",
        zip_code="60999",
    )
    calendar = dis_model(catalog.YEAR_ANCHOR).objects.filter(school=school).first()
    calendar.pk, calendar.school = None, lone
    calendar.save()
    enrollment = dis_model(catalog.ENROLLMENT).objects.order_by("pk").first()
    enrollment.pk, enrollment.calendar = None, calendar
    enrollment.save()
    updated = exchange.update("admin")
    assert ("Farville", "60999") not in {(p["city"], p["zip_code"]) for p in updated.places}
    assert {"city": "Farville", "zip_code": "60999"}.items() <= updated.left_out[0].items()
    # Found by a city it sends, never by the one left out.
    with router_api(world["base"], world["wi_api"].headers["Authorization"][7:]) as wi:
        city = updated.places[0]["city"]
        assert [d["code"] for d in wi.get("/districts", params={"q": city}).json()] == [
            world["ours"].code
        ]
        assert wi.get("/districts", params={"q": "Farville"}).json() == []


def test_the_locator_finds_registered_districts_only(world):
    found = exchange.locate("WI")
    assert [d.code for d in found] == [world["wi"].code]
    assert [d.code for d in exchange.locate("55802")] == [world["mn"].code]
    registry.invite("Never Registered", "IA", "router operator")
    assert exchange.locate("IA") == [] and exchange.locate("Never") == []
    # Withdrawn: no longer found, and its credential stops working.
    assert world["mn_api"].delete("/registration").json()["status"] == "withdrawn"
    assert exchange.locate("Duluth") == []
    assert world["mn_api"].get("/registration").status_code == 401
    person = Person.objects.order_by("pk").first()
    with pytest.raises(StateRefused, match="no registered district is MN-"):
        exchange.request(person, world["mn"].code, "admin")


def test_a_request_from_another_state_is_released_with_a_document_and_received(world):
    person = Person.objects.order_by("pk").first()
    wi = world["wi_api"]
    asked = wi.post("/transfers", json=national_ask(world["ours"], person, former_school="Lincoln"))
    assert asked.status_code == 200, asked.text
    item = asked.json()
    assert item["status"] == "routed" and item["former_district"] == world["ours"].code

    # 0001's inbox has it, marked national; the page shows what a release would send.
    admin = client_with(superuser=True)
    inbox = admin.get(reverse("district:transfers"))
    (routed,) = inbox.context["inbox"]
    assert routed.ref == f"N{item['id']}" and routed.is_national
    assert b"National" in inbox.content
    page = reverse("district:transfer", args=[routed.ref])
    preview = admin.get(page).context["preview"]
    assert preview.person.last_name == person.last_name and preview.enrollments
    act = reverse("district:transfer-action", args=[routed.ref])
    upload = SimpleUploadedFile("t.pdf", PDF, content_type="application/pdf")
    admin.post(
        act, {"action": "attach", "kind": "transcript", "label": "Transcript", "file": upload}
    )
    assert admin.post(act, {"action": "release"}).status_code == 302
    held = RouterTransfer.objects.get(pk=item["id"])
    assert held.status == "released" and held.packet.documents[0]["kind"] == "transcript"
    # The router's own page lists the request, never the packet's content.
    router_page = client_with("router_r").get(reverse("router:transfers"))
    assert b"Transcript" not in router_page.content and person.last_name.encode() not in (
        router_page.content
    )

    # Another district never sees it: not in its list, its packet a 404.
    assert world["mn_api"].get("/transfers").json() == []
    assert world["mn_api"].get(f"/transfers/{item['id']}/packet").status_code == 404
    # The requester fetches it and says so: the router forgets the packet.
    packet = wi.get(f"/transfers/{item['id']}/packet").json()
    assert base64.b64decode(packet["documents"][0]["content"]) == PDF
    assert packet["person"]["last_name"] == person.last_name
    assert wi.post(f"/transfers/{item['id']}/received").json()["status"] == "received"
    assert not Packet.objects.filter(transfer_id=item["id"]).exists()
    at_router = set(
        AuditEntry.objects.filter(username__endswith="(router credential)").values_list(
            "action", flat=True
        )
    )
    assert {"exchange.register", "transfer.request", "transfer.fetch"} <= at_router
    assert AuditEntry.objects.filter(action="transfer.release", target=f"transfer {routed.ref}")


def test_our_request_to_another_state_is_received_as_prior_history(world):
    person = Person.objects.order_by("-pk").first()
    call_command(
        "exchange",
        "request",
        "--district",
        world["wi"].code,
        "--last-name",
        person.last_name,
        "--first-name",
        person.first_name,
        "--birth-date",
        person.birth_date.isoformat(),
        "--student-id",
        "WI-778899",
        "--json",
    )
    (asked,) = Transfer.objects.filter(side="asked")
    assert asked.is_national and asked.other_district == world["wi"].code
    wi = world["wi_api"]
    (item,) = wi.get("/transfers").json()
    assert item["state_id"] == "WI-778899" and item["requesting_district"] == world["ours"].code
    sent = packet_of(person, school="Madison East")
    sent["person"]["state_id"] = "WI-778899"
    assert wi.post(f"/transfers/{item['id']}/release", json=sent).status_code == 200
    call_command("transfer", "receive", asked.ref, "--create", "--json")
    asked.refresh_from_db()
    assert asked.status == "received"
    made = Person.objects.get(pk=asked.person_id)
    # Another state's ID is not this state's: the person waits for one from the state.
    assert made.state_id is None and made.last_name == person.last_name
    (prior,) = PriorEnrollment.objects.filter(transfer=asked)
    assert prior.district == world["wi"].code and prior.school == "Madison East"
    assert AuditEntry.objects.filter(action="transfer.receive", target=f"transfer {asked.ref}")


def test_a_decline_reaches_the_requester(world):
    person = Person.objects.order_by("pk").first()
    item = world["wi_api"].post("/transfers", json=national_ask(world["ours"], person)).json()
    transfers.refresh_now()
    call_command("transfer", "decline", f"N{item['id']}", "--reason", "Not ours", "--json")
    answer = world["wi_api"].get("/transfers").json()[0]
    assert answer["status"] == "declined" and answer["reason"] == "Not ours"


def test_forged_and_revoked_credentials_are_refused(world):
    base = world["base"]
    with router_api(base, "src_" + "x" * 43) as forged:
        answer = forged.get("/transfers")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid token"
    credential = Registration.current().credential
    last = "B" if credential.endswith("A") else "A"  # a credential may end in "A" already
    with router_api(base, credential[:-1] + last) as altered:
        assert altered.get("/registration").status_code == 401
    # A registration token registers once.
    _, token = registry.invite("Once Only", "OH", "router operator")
    body = {"accept_terms": True, "terms_version": "2026-1", "registered_by": "x", "places": []}
    with router_api(base, token) as once:
        assert once.post("/registration", json=body).status_code == 200
        assert once.post("/registration", json=body).status_code == 401
    # Terms not accepted: refused, saying so.
    _, token = registry.invite("Careless", "OH", "router operator")
    with router_api(base, token) as careless:
        refused = careless.post("/registration", json={**body, "accept_terms": False})
    assert refused.status_code == 409 and "terms" in refused.json()["detail"]
    # Revoked at the router (its command line): the district's calls stop at once.
    call_command("router", "revoke", world["ours"].code)
    with pytest.raises(StateRefused, match="401"):
        exchange.status()
    assert AuditEntry.objects.filter(action="router.revoke", target=world["ours"].code)


def test_rotating_the_credential_retires_the_old_one(world):
    old = Registration.current().credential
    exchange.rotate()
    new = Registration.current().credential
    assert new != old and exchange.status().status == "registered"
    with router_api(world["base"], old) as stale:
        assert stale.get("/registration").status_code == 401


def test_rights_per_role(world):
    page = reverse("district:exchange")
    assert client_with().get(page).status_code == 403
    reader = client_with("exchange_r")
    assert reader.get(page).status_code == 200
    assert (
        reader.post(reverse("district:exchange-request"), {"district": "WI-0002"}).status_code
        == 403
    )
    person = Person.objects.order_by("pk").first()
    item = world["wi_api"].post("/transfers", json=national_ask(world["ours"], person)).json()
    transfers.refresh_now()
    only_transfers = client_with("transfers_w")
    act = reverse("district:transfer-action", args=[f"N{item['id']}"])
    refused = only_transfers.post(act, {"action": "decline", "reason": "no"}, follow=True)
    assert b"needs W on National Records Exchange" in refused.content
    router_reader = client_with("router_r")
    assert router_reader.get(reverse("router:districts")).status_code == 200
    assert (
        router_reader.post(reverse("router:district-add"), {"name": "X", "state": "IA"}).status_code
        == 403
    )
    writer = make_user("router-writer", [("router", "W")])
    browser = Client()
    browser.force_login(writer)
    added = browser.post(reverse("router:district-add"), {"name": "Des Moines", "state": "ia"})
    assert b"srr_" in added.content and Member.objects.filter(state="IA", name="Des Moines")
    assert AuditEntry.objects.filter(action="router.add-district", username="router-writer")


def test_the_router_command_line(world, capsys):
    call_command("router", "add-district", "--name", "Cedar Rapids", "--state", "IA", "--json")
    said = capsys.readouterr().out
    assert '"registration_token": "srr_' in said
    call_command("router", "districts", "--json")
    listed = {d["code"]: d["status"] for d in json.loads(capsys.readouterr().out)}
    assert listed[world["ours"].code] == "registered" and "invited" in listed.values()
    call_command("exchange", "status", "--json")
    assert '"status":"registered"' in capsys.readouterr().out.replace(" ", "")


def test_the_exchange_page_searches_asks_updates_and_withdraws(world):
    admin = client_with(superuser=True)
    page = admin.get(reverse("district:exchange"), {"q": "Madison"})
    assert [d.code for d in page.context["found"]] == [world["wi"].code]
    secret = Registration.current().credential.encode()
    assert b"Places sent to the locator" in page.content and secret not in page.content
    change = reverse("district:exchange-change")
    assert admin.post(change, {"action": "update"}).status_code == 302
    assert AuditEntry.objects.filter(action="exchange.update", via="web")
    person = Person.objects.order_by("pk").first()
    asked = admin.post(
        reverse("district:exchange-request"),
        {
            "district": world["wi"].code,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "birth_date": person.birth_date.isoformat(),
            "former_school": "Lincoln",
        },
    )
    (transfer,) = Transfer.objects.filter(side="asked")
    assert asked["Location"] == reverse("district:transfer", args=[transfer.ref])
    assert transfer.former_school == "Lincoln" and transfer.status == "routed"
    entry = AuditEntry.objects.get(action="transfer.request", target=f"transfer {transfer.ref}")
    assert entry.detail["national"] is True
    # The router's people revoke a district's credentials from its registry page.
    router = Client()
    router.force_login(make_user("router-admin", [("router", "W")]))
    revoke = reverse("router:district-revoke", args=[world["mn"].pk])
    assert router.post(revoke).status_code == 302
    assert world["mn_api"].get("/transfers").status_code == 401
    assert AuditEntry.objects.filter(action="router.revoke", target=world["mn"].code)
    # Withdrawing needs the box ticked; then the district is no longer found.
    refused = admin.post(change, {"action": "withdraw"}, follow=True)
    assert b"tick the box" in refused.content
    admin.post(change, {"action": "withdraw", "confirm": "yes"})
    assert Registration.current().status == "withdrawn"
    assert world["wi_api"].get("/districts", params={"q": "IL"}).json() == []
    assert AuditEntry.objects.filter(action="exchange.withdraw", via="web")


def test_the_routers_worker_reminds_then_expires_a_request(world, settings):
    person = Person.objects.order_by("pk").first()
    item = world["wi_api"].post("/transfers", json=national_ask(world["ours"], person)).json()
    held = RouterTransfer.objects.get(pk=item["id"])
    later = held.routed_at + dt.timedelta(days=settings.TRANSFER_REMIND_DAYS + 1)
    assert relaying.housekeeping(RouterTransfer, later) == (1, 0)
    transfers.refresh_now()
    assert Transfer.by_ref(f"N{item['id']}").reminded_at is not None
    gone = held.expires_at + dt.timedelta(days=1)
    assert relaying.housekeeping(RouterTransfer, gone) == (0, 1)
    expired = world["wi_api"].get("/transfers").json()[0]
    assert expired["status"] == "expired" and world["ours"].code in expired["reason"]


def test_a_bad_router_address_or_token_is_refused_saying_why(live_server, seeded):
    seeded("small", defects=False)
    _, token = registry.invite("Demo District 0001", "IL", "router operator")
    for address in ("", "not a url", "ftp://router.example", "http://", "/api/router/v1"):
        with pytest.raises(TransferError, match="is not a router address"):
            exchange.register(address, token, "admin", accept_terms=True)
    for bad in ("srr_short", "sst_" + token[4:], token[:-1] + "é", token + "\n" + token):
        with pytest.raises(TransferError, match="registration token is srr_"):
            exchange.register(live_server.url, bad, "admin", accept_terms=True)
    admin = client_with(superuser=True)
    form = {"router": "http://no-such-host.invalid", "token": token, "accept_terms": "yes"}
    page = admin.post(reverse("district:exchange-register"), form, follow=True)
    assert page.status_code == 200 and b"Not registered: " in page.content
    with pytest.raises(CommandError, match="is not a router address"):
        call_command("exchange", "register", "--router", "nope", "--token", token, "--accept-terms")
    assert Registration.current() is None  # nothing kept; the token still registers once
    assert exchange.register(live_server.url, token, "admin", accept_terms=True).code
