"""School years in a real Chromium: the batch tool's year picker, Year Status and the
Verification Summary in the district and at the state."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from statesync.core import catalog
from statesync.district.models import Mode, Run
from statesync.district.services.resync import execute
from statesync.state.models import ResyncRequest
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


@pytest.fixture
def admin(seeded):
    seeded("small", years=2)
    return get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")


def test_the_year_picker_shows_and_sends_the_chosen_year(page, dis, admin):
    log_in(page, "admin")
    page.goto("/district/batch/")
    picker = page.locator("#school-year")
    expect(page.locator("h2", has_text="Resync Data For The School Year")).to_be_visible()
    expect(picker).to_have_value("2024")
    picker.select_option("2023")
    page.wait_for_url("**/district/batch/?year=2023")
    expect(page.locator("#school-year")).to_have_value("2023")
    page.check("input[name=objects][value=District]")  # and its whole tree
    expect(page.locator("#plan ol.plan li")).to_have_count(len(catalog.NAMES))
    page.click("button:has-text('Run')")
    expect(page.locator(".messages")).to_contain_text("queued")
    assert Run.objects.get().school_year == 2023
    expect(page.locator("#school-year")).to_have_value("2023")  # still showing the year it ran


def test_year_status_asks_every_late_district_and_closes_a_year(page, dis, admin):
    end = execute(Run.plan(catalog.NAMES, school_year=2023))  # 2022-2023's end-of-year resync
    log_in(page, "admin")
    page.goto("/")
    page.click("text=Year Status")
    expect(page.locator("h1")).to_have_text("Year Status")
    row = page.locator("tr[data-district='0001']")
    expect(row).to_contain_text(f"run {end.pk} by cli")  # the end-of-year resync of 2022-2023
    expect(row.locator("td").nth(3)).to_contain_text("missing")  # no start-of-year resync
    expect(row).to_contain_text("Late")
    page.click("button:has-text('Request the missing resyncs from every late district (1)')")
    expect(page.locator(".messages")).to_contain_text("Asked 1 district (0001) for 1 mandatory")
    expect(row).to_contain_text("2023-2024 requested")
    assert ResyncRequest.objects.get().school_year == 2024

    page.locator("#year").select_option("2023")
    expect(page.locator("#year-state")).to_contain_text("2022-2023 is not the state's current")
    page.click("button:has-text('Close 2022-2023')")
    expect(page.locator(".messages")).to_contain_text("2022-2023 is closed")
    expect(page.locator("#year-state")).to_contain_text("closed")
    expect(page.locator("button:has-text('Reopen 2022-2023')")).to_be_visible()


def test_the_verification_summary_in_the_district_and_at_the_state(page, dis, admin):
    execute(Run.plan(catalog.NAMES, school_year=2024))
    verify = execute(Run.plan(catalog.NAMES, Mode.VERIFY, school_year=2024))
    log_in(page, "admin")
    page.goto("/")
    page.click("ul.tools >> text=Verification Summary")
    expect(page.locator("#verified")).to_contain_text(f"run {verify.pk}")
    enrollment = verify.run_objects.get(object="Enrollment")
    cells = page.locator("tr[data-object='Enrollment'] td")
    expect(cells.nth(1)).to_have_text(f"{enrollment.processed:,}")
    expect(cells.nth(3)).to_have_text(f"{enrollment.unchanged:,}")
    expect(cells.nth(7)).to_have_text(f"{enrollment.rejected_known:,}")
    with page.expect_download() as download:
        page.click("text=Generate Report")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("school_year,run,verified_at,object,in_district")
    assert len(lines) == 1 + len(catalog.NAMES)

    page.goto("/")
    page.click("text=Verification Summary (State)")
    row = page.locator("table.districts tr[data-district='0001']")
    expect(row).to_contain_text(f"run {verify.pk}")
    total = sum(ro.processed for ro in verify.run_objects.all())
    expect(row.locator("td").nth(2)).to_have_text(f"{total:,}")
    row.locator("button:has-text('Request a verify')").click()
    expect(page.locator(".messages")).to_contain_text("Asked 1 district for a verify of 2023-2024")
    assert ResyncRequest.objects.get().mode == Mode.VERIFY
