"""Seeing into the pipe in a real Chromium: the Message History, a message's Sent Record
History with "send again", the Data Tool with "sync now", and the state's Record Deleter."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect

from statesync.core import catalog
from statesync.district.models import Message, Run
from statesync.district.services.resync import execute
from statesync.state.models import copy_model
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]
SchoolCopy = copy_model("School")


def test_message_history_sent_records_data_tool_and_record_deleter(page, dis, seeded):
    seeded("small", defects=False)
    with connection.cursor() as cursor:  # School 3 is rejected by the state's grade rule
        cursor.execute(
            "UPDATE district_school SET grade_low = '12', grade_high = '01' WHERE id = 3"
        )
    run = execute(Run.plan(catalog.NAMES))
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    log_in(page, "admin")

    # The Message History: a summary first, the run's batches below; filtered to the rejected.
    page.goto("/district/messages/")
    expect(page.locator("h1")).to_have_text("Message History")
    expect(page.locator("main")).to_contain_text(f"run {run.pk}")
    page.select_option("select[name=result]", "rejected")
    page.select_option("select[name=object]", "School")
    page.click("button:has-text('Search')")
    rejected = Message.objects.get(origin="run", object="School", result="rejected")
    expect(page.locator("table.messages tbody tr")).to_have_count(1)

    # Its Sent Record History: the record as the state received it, then sent again once fixed.
    page.click(f"a:text-is('{rejected.pk}')")
    expect(page.locator("h1")).to_contain_text(f"Message {rejected.pk}: School")
    expect(page.locator("main")).to_contain_text("as the state received it")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_school SET grade_low = '01', grade_high = '12' WHERE id = 3"
        )
    page.click("button:has-text('Send again')")
    expect(page.locator(".messages")).to_contain_text("Sent again: 1 accepted")
    expect(page.locator("h1")).to_contain_text(f"resend of message {rejected.pk}")

    # The Data Tool: a difference planted with SQL, highlighted, and cleared by Sync now.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE district_school SET name = 'Planted' WHERE id = 2")
    page.goto("/district/data-tool/")
    page.select_option("select[name=object]", "School")
    page.fill("input[name=id]", "2")
    page.click("button:has-text('Look up')")
    expect(page.locator("tr.differs")).to_have_count(1)
    expect(page.locator("tr.differs")).to_contain_text("Planted")
    page.click("button:has-text('Sync now')")
    expect(page.locator(".messages")).to_contain_text("The state accepted School 2")
    expect(page.locator("tr.differs")).to_have_count(0)

    # The Record Deleter at the state: what would go first, then removed on confirmation.
    page.goto("/state/districts/0001/")
    page.click("a:has-text('Record Deleter')")
    page.select_option("select[name=object]", "School")
    page.fill("textarea[name=ids]", "4")
    page.click("button:has-text('Show what would go')")
    expect(page.locator("table.summary")).to_contain_text("School (asked)")
    expect(page.locator("table.summary")).to_contain_text("Calendar")
    page.click("button.danger:has-text('Remove')")
    expect(page.locator(".messages")).to_contain_text("Removed")
    assert not SchoolCopy.objects.filter(record_id=4).exists()
    expect(page.locator("main")).to_contain_text("Removed lately")

    # The state's own Message History of the district: its messages, searched by a record's ID.
    page.goto("/state/districts/0001/")
    page.click("a:has-text('Message History')")
    expect(page.locator("h1")).to_contain_text("Message History of 0001")
    page.select_option("select[name=object]", "School")
    page.fill("textarea[name=ids]", "2")
    page.click("button:has-text('Search')")
    expect(page.locator("table.messages tbody tr").first).to_contain_text("School")
    page.locator("table.messages tbody tr a").first.click()
    expect(page.locator("table.entries")).to_contain_text("2")
