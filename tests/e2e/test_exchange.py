"""The National Records Exchange in a real Chromium: the router's people add a district and
hand its registration token over; the district registers on its exchange page (terms read and
accepted, places shown), finds a district in another state with the District Locator, and asks
it for a student's records; the request is in the inbox, marked National."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from statesync.core import catalog
from statesync.district.models import Registration, dis_model
from tests.e2e.conftest import log_in
from tests.support.exchange import registered_elsewhere

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_register_find_a_district_in_another_state_and_ask_it(page, live_server, seeded):
    seeded("small", defects=False)
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    log_in(page, "admin")
    _, madison = registered_elsewhere(
        live_server.url, "Madison Metropolitan", "WI", "Madison", "53703"
    )

    # The router's registry: a district added, its one-time token shown once.
    page.goto("/router/")
    page.fill("input[name=name]", "Demo District 0001")
    page.fill("input[name=state]", "IL")
    page.click("button:has-text('Add a district')")
    token = page.locator("#registration-token").inner_text()
    assert token.startswith("srr_")

    # The district registers: terms accepted, places from its schools.
    page.goto("/district/exchange/")
    expect(page.locator("h3", has_text="Places, as the schools say now")).to_be_visible()
    page.fill("input[name=router]", live_server.url)
    page.fill("input[name=token]", token)
    page.check("input[name=accept_terms]")
    page.click("button:has-text('Register')")
    expect(page.locator(".messages")).to_contain_text("Registered as IL-")
    expect(page.locator("table.registration")).to_contain_text("registered")
    assert Registration.current().places

    # The District Locator finds Madison; a student's records asked for.
    person = dis_model(catalog.PERSON).objects.order_by("pk").first()
    page.fill("input[name=q]", "Madison")
    page.click("button:has-text('Search')")
    row = page.locator("table.located tbody tr").first
    expect(row).to_contain_text("Madison Metropolitan")
    row.locator("input[name=last_name]").fill(person.last_name)
    row.locator("input[name=first_name]").fill(person.first_name)
    row.locator("input[name=birth_date]").fill(person.birth_date.isoformat())
    row.locator("button:has-text('Request records')").click()
    expect(page.locator("h1 .badge.national")).to_be_visible()
    expect(page.locator("table.facts")).to_contain_text("Madison Metropolitan")
    page.goto("/district/transfers/")
    expect(page.locator("table.asked")).to_contain_text("National")
    (asked,) = madison.get("/transfers").json()
    assert asked["last_name"] == person.last_name and asked["status"] == "routed"
    madison.close()
