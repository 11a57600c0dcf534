"""The state's own data in a real Chromium: Person Matching (a look-alike beside the person it
may be, matched from the page) and Synchronization Field Settings (a field taken over, its
value set on a district's page), and Cross-District Conflicts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from statesync.state.models import DownChange, FieldSetting, MatchHold
from tests.e2e.conftest import log_in
from tests.support.districts import SendingDistrict

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]
BORN = {"gender": "F", "birth_date": "2010-02-03"}


@pytest.fixture
def districts(live_server):
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    a = SendingDistrict(live_server.url, "0002")
    b = SendingDistrict(live_server.url, "0003")
    a.person(1, last_name="Okafor", first_name="Grace", **BORN)
    b.person(9, last_name="Okafur", first_name="Grace", **BORN)  # one letter off: held
    return a, b


def test_person_matching_shows_both_and_matches(page, districts):
    _, b = districts
    (given,) = [c["value"] for c in districts[0].changes()]
    log_in(page, "admin")
    page.goto("/")
    page.click("text=Person Matching")
    expect(page.locator("h1")).to_have_text("Person Matching")
    card = page.locator("section.match").first
    expect(card).to_contain_text("District 0003 person 9")
    expect(card).to_contain_text(f"Candidate: state ID {given}")
    expect(card.locator("tr[data-field=last_name]")).to_contain_text("Okafur")
    expect(card.locator("tr[data-field=last_name]")).to_contain_text("Okafor")
    expect(card.locator("tr.why")).to_contain_text("same birth date")
    card.locator(f"button:has-text('Match to {given}')").click()
    expect(page.locator(".messages")).to_contain_text(f"has state ID {given}")
    expect(page.locator("section.match")).to_have_count(0)
    expect(page.locator("table")).to_contain_text("Matched to an existing state ID")
    assert MatchHold.objects.get().state_id == given
    assert [c["value"] for c in b.changes()] == [given]


def test_field_settings_take_a_field_over_and_set_its_value(page, districts):
    log_in(page, "admin")
    page.goto("/state/field-settings/")
    expect(page.locator("h1")).to_have_text("Synchronization Field Settings")
    state_id = page.locator("tr[data-field='PersonIdentity.state_id']")
    expect(state_id.locator(".owner")).to_contain_text("State (the default)")
    last_name = page.locator("tr[data-field='PersonIdentity.last_name']")
    expect(last_name.locator(".owner")).to_have_text("District")
    last_name.locator("button:has-text('Make state-owned')").click()
    expect(page.locator(".messages")).to_contain_text("Last Name is now owned by the state")
    expect(page.locator("tr[data-field='PersonIdentity.last_name'] .owner")).to_contain_text(
        "State"
    )
    assert FieldSetting.objects.get(field="last_name").owner == "state"

    page.goto("/state/districts/0002/")
    form = page.locator("#set-value")
    form.locator("select[name=field]").select_option("PersonIdentity.last_name")
    form.locator("input[name=record_id]").fill("1")
    form.locator("input[name=value]").fill("Okafor-Eze")
    form.locator("button").click()
    expect(page.locator(".messages")).to_contain_text("'Okafor-Eze' at the state")
    assert DownChange.objects.filter(field="last_name", value="Okafor-Eze").exists()


def test_conflicts_page_names_both_districts(page, districts):
    a, b = districts
    b.person(10, last_name="Okafor", first_name="Grace", **BORN)  # the same student as 0002's
    a.enroll(1, 1, "2023-08-21")
    b.enroll(1, 10, "2024-01-08")
    log_in(page, "admin")
    page.goto("/state/conflicts/")
    row = page.locator("table.conflicts tbody tr").first
    expect(row).to_contain_text("0003")
    expect(row).to_contain_text("0002")
    expect(row).to_contain_text("2024-01-08 to on")
