"""Each tool end to end in a real Chromium, with a real worker behind the batch tool."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from huey.contrib.djhuey import HUEY
from playwright.sync_api import expect

from statesync.district.models import Run, SelectiveSync
from statesync.district.services.resync import execute
from tests.e2e.conftest import log_in
from tests.support.workers import Worker, worker_env

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


@pytest.fixture
def worker(dis, registered, tmp_path):
    HUEY.flush()
    env = worker_env(STATESYNC_STATE_URL=dis.url, STATESYNC_STATE_TOKEN=registered[1])
    holder = {"worker": Worker(env, tmp_path / "worker.log")}
    yield holder
    holder["worker"].stop()
    HUEY.flush()


def test_batch_errors_selective_and_notifications(page, worker, seeded):
    seeded("small")
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    log_in(page, "admin")

    # Batch: tick Calendar (which ticks its subtree) with Check dependencies: the plan adds its
    # ancestors first, marked as dependencies.
    page.click("text=Resync State Data - Batch")
    expect(
        page.locator("h2", has_text="Resync Data For The Current School Year (2023-2024)")
    ).to_be_visible()
    expect(page.locator("#check-dependencies")).to_be_checked()
    page.check("input[name=objects][value=Calendar]")
    plan = page.locator("#plan ol.plan li")
    expect(plan).to_have_count(9)
    names = plan.all_inner_texts()
    assert names[:3] == ["District (dependency)", "School (dependency)", "Calendar"]
    assert "Day" in names
    expect(page.locator("input[name=objects][value=Day]")).to_be_checked()
    expect(page.locator("input[name=objects][value=Enrollment]")).not_to_be_checked()
    page.click("button:has-text('Run')")
    expect(page.locator(".messages")).to_contain_text("queued")

    # No worker yet: the row is blue and says it is queued; then a worker runs it.
    expect(page.locator("#light-Calendar .light")).to_have_class(re.compile("blue"))
    expect(page.locator("#results-Calendar")).to_contain_text("Queued")
    worker["worker"].start()
    expect(page.locator("#light-Calendar .light")).to_have_class(
        re.compile("amber"), timeout=60_000
    )
    expect(page.locator("#results-Calendar")).to_have_text(re.compile(r"Processed: 14 Errors: \d+"))
    expect(page.locator("#light-District .light")).to_have_class(re.compile("green"))
    # In the browser's zone (the context's America/Denver), which the time names.
    expect(page.locator("#when-District")).to_have_text(re.compile(r"\d\d:\d\d:\d\d MST$"))
    expect(page.locator("#notification-count .badge")).to_have_text("1")
    expect(page.locator(".messages li.queued-run")).to_have_count(0)  # the run is no longer queued

    # Its errors, then the CSV report of them.
    page.click("#results-Calendar a")
    expect(page.locator("h1")).to_have_text("Error Log")
    rows = page.locator("table.entries tbody tr")
    expect(rows.first).to_be_visible()
    assert all(r.split("\t")[2] == "Calendar" for r in rows.all_inner_texts())
    with page.expect_download() as download:
        page.click("text=Generate Report")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("run,source,object,record_id")
    assert len(lines) - 1 == rows.count()
    assert all(",Calendar," in line for line in lines[1:])

    # Selective sync with a messy paste.
    page.goto("/district/selective/")
    expect(page.locator("#ids-label")).to_have_text("Enter District Person IDs")
    page.check("input[name=object][value=Enrollment]")
    expect(page.locator("#ids-label")).to_have_text("Enter District Enrollment IDs")
    page.check("input[name=object][value=PersonIdentity]")
    page.fill("#id_ids", "1, 2\n3   abc,,-5 999999999\n1")
    page.click("button:has-text('Sync')")
    result = page.locator("section.result")
    # The summary first: counts of each outcome, then the lists.
    expect(result.locator("p.summary")).to_have_text(
        "Synced 3 · Not found 1 · Not IDs 2 · Rejected 0"
    )
    expect(result).to_contain_text("Synced: 1, 2, 3")
    expect(result).to_contain_text("Not found (1): 999999999")
    expect(result).to_contain_text("Not IDs (2): abc, -5")

    # History: delete the row just made.
    history = page.locator("table.history tbody tr")
    expect(history).to_have_count(1)
    page.click("table.history a:has-text('Delete')")  # asks first, naming the one entry
    expect(page.locator("main h1")).to_contain_text("Delete 1 sync history entry?")
    page.click("button:has-text('Delete 1 entry')")
    expect(page.locator(".messages")).to_contain_text("Deleted 1 sync history entry")
    expect(page.locator("table.history")).to_have_count(0)
    assert not SelectiveSync.objects.exists()

    # The notification: open it; the count goes back to none.
    page.click("#notification-count")
    page.click("ul.notifications a")
    expect(page.locator("h1")).to_contain_text("Run")
    expect(page.locator("#notification-count .badge")).to_have_count(0)


def test_a_box_ticked_before_the_page_script_ran_still_ticks_its_subtree(page, dis, seeded):
    seeded("small")
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    log_in(page, "admin")
    held = []  # batch.js is held back, as on a slow connection, while the box is ticked
    page.route("**/batch.js", lambda route: held.append(route))
    page.goto("/district/batch/", wait_until="commit")
    page.check("input[name=objects][value=Calendar]")
    while not held:
        page.wait_for_timeout(20)
    held[0].continue_()
    expect(page.locator("#plan ol.plan li")).to_have_count(9)
    expect(page.locator("input[name=objects][value=Day]")).to_be_checked()


def test_clerk_sees_only_selective_sync(page, dis, seeded):
    seeded("small")
    clerks = Group.objects.create(name="Data Clerks")
    clerks.permissions.set(Permission.objects.filter(codename__in=["selective_r", "selective_w"]))
    clerk = get_user_model().objects.create_user("clerk", "clerk@example.org", "pw")
    clerk.groups.add(clerks)
    SelectiveSync.objects.create(object="PersonIdentity", ids_asked=[5], requested_by=clerk)
    execute(Run.plan(["District"]))  # persons hang under the District at the state
    log_in(page, "clerk")

    tools = page.locator("ul.tools")
    expect(tools).to_contain_text("Resync State Data - Selective Sync")
    expect(tools).not_to_contain_text("Resync State Data - Batch")
    response = page.goto("/district/batch/")
    assert response.status == 403
    expect(page.locator("main")).to_contain_text(
        "R (View and run batch sync) on Resync State Data - Batch"
    )

    page.goto("/district/selective/")
    page.fill("#id_ids", "4 5")
    page.click("button:has-text('Sync')")
    expect(page.locator("section.result")).to_contain_text("Synced: 4, 5")

    # No delete controls, and a crafted delete is refused by the server.
    expect(page.locator("table.history :text-is('Delete')")).to_have_count(0)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    entry = SelectiveSync.objects.order_by("pk").first()
    refused = page.request.post(
        "/district/selective/history/delete/",
        form={"csrfmiddlewaretoken": token, "entries": str(entry.pk)},
        headers={"Referer": page.url},
    )
    assert refused.status == 403
    assert "D (Delete sync history)" in refused.text()
    assert SelectiveSync.objects.filter(pk=entry.pk).exists()
