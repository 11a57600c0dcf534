"""Student Records Transfer in a real Chromium: the former district's inbox (a request routed
there, a PDF attached, the records released) and the new district's receiving page (what came,
taken into the person)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from statesync.district.models import PriorEnrollment
from statesync.state.models import Transfer as StateTransfer
from tests.e2e.conftest import log_in
from tests.support.transfers import PDF, ask, make_world, packet_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_the_inbox_releases_and_the_receiving_page_takes_records_in(page, dis, seeded, tmp_path):
    world = make_world(dis.url, seeded)
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    log_in(page, "admin")

    # The former district: a request in its inbox, a transcript attached, released.
    asked = ask(world).json()
    page.goto("/district/transfers/")
    inbox = page.locator("table.inbox")
    expect(inbox).to_contain_text(world["person"].last_name)
    expect(inbox).to_contain_text("0002 New District")
    inbox.locator("a").first.click()
    expect(page.locator("h2", has_text="What a release sends")).to_be_visible()
    transcript = tmp_path / "transcript.pdf"
    transcript.write_bytes(PDF)
    page.set_input_files("input[name=file]", str(transcript))
    page.fill("input[name=label]", "Transcript 2023-2024")
    page.click("button[value=attach]")
    expect(page.locator("ul.documents")).to_contain_text("Transcript 2023-2024")
    page.click("button[value=release]")
    expect(page.locator(".messages")).to_contain_text("Released")
    assert StateTransfer.objects.get(pk=asked["id"]).status == "released"

    # The new district: this one asks for its own student; 0002, where they were, releases.
    person = world["person"]
    page.goto("/district/transfers/")
    page.fill("input[name=state_id]", person.state_id)
    page.click("button:has-text('Request records')")
    expect(page.locator(".messages")).to_contain_text("Routed to the former district")
    ref = page.url.rstrip("/").rsplit("/", 1)[-1]
    released = world["api"]["0002"].post(f"/transfers/{ref}/release", json=packet_of(person))
    assert released.status_code == 200, released.text
    page.reload()
    expect(page.locator("h2", has_text="What came")).to_be_visible()
    expect(page.locator("table.prior")).to_contain_text("Old School")
    page.click("button[value=receive]")
    expect(page.locator(".messages")).to_contain_text(f"Received into person {person.pk}")
    expect(page.locator("h2", has_text="Documents received")).to_be_visible()
    assert PriorEnrollment.objects.filter(person_id=person.pk, school="Old School").exists()
