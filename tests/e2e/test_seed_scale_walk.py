"""Numbers a data manager can trust, at the product page's scale, in a real Chromium.

A seed-scale district (276,456 records with seeded defects) goes through a resync; the Error
Log shows what is rejected now, causes first; one root cause is fixed with SQL and a second
resync takes exactly it and the records it held back out of the view; the run's counts agree
on the page, in the CSV, on the command line and in the API; verify finds no drift.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from statesync.access.models import PersonalToken
from statesync.core import catalog
from statesync.core.sync import source
from statesync.core.wire import RuleCode
from statesync.district.models import ErrorLogEntry, Run, RunObject, RunStatus
from statesync.district.services.causes import analyse
from statesync.district.services.resync import execute
from tests.e2e.conftest import log_in
from tests.support.fixes import give_a_free_school_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def records_rejected_now(page) -> int:
    """The Error Log's default view: records rejected now, from its summary's Records column."""
    page.goto("/district/errors/")
    cells = page.locator("table.summary tbody tr td:nth-child(2)").all_inner_texts()
    return sum(int(c.replace(",", "")) for c in cells)


def first_resync_is_complete(run: Run) -> None:
    """Every record in scope processed, every rejected record logged with a stable rule code."""
    assert run.status == RunStatus.COMPLETED_WITH_ERRORS
    results = {ro.object: ro for ro in RunObject.objects.filter(run=run)}
    for name in catalog.NAMES:
        assert results[name].processed == source.count(name, 2024), name
    assert results["School"].processed == 194 and results["Day"].processed == 6534
    for name in ("School", "CourseSection", "PersonIdentity", "Enrollment", "Day"):
        assert results[name].errors > 0, name
    assert results["District"].errors == 0
    logged = ErrorLogEntry.objects.filter(run=run)
    for name, ro in results.items():
        assert logged.filter(object=name).values("record_id").distinct().count() == ro.errors
    assert set(logged.values_list("code", flat=True)) <= set(RuleCode)


@pytest.mark.slow
def test_a_seed_scale_district_through_resyncs_a_fix_and_a_verify(page, dis, seeded, capsys):
    seeded("seed", state_ids=True)  # people with state IDs: this walk is about the Error Log
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    first_resync_is_complete(execute(Run.plan(catalog.NAMES)))
    # (A record rejected by two runs counting once now: test_error_log, at a small scale.)
    log_in(page, "admin")

    # Now, not every run's copy: one row per rejected record and rule.
    before = records_rejected_now(page)
    assert (
        before
        == ErrorLogEntry.objects.filter(current=True)
        .values("object", "record_id")
        .distinct()
        .count()
    )

    # Causes first; the worst is a school whose state school number is wrong.
    analysis = analyse()
    worst = analysis.causes[0]
    cause = (worst.object, worst.record_id)
    first_row = page.locator("table.causes tbody tr").first
    expect(first_row).to_contain_text(f"{worst.object} {worst.record_id}")
    expect(first_row).to_contain_text(f"→ {worst.consequences:,} records under it not accepted")
    assert worst.field == "state_school_number"
    released = {n for n, held in analysis.roots.items() if held == {cause}}

    give_a_free_school_number(worst.record_id)
    second = execute(Run.plan(catalog.NAMES))
    # The view shrank by exactly the cause and what only it held back — but for any record
    # it held back that, judged now, has a defect of its own (a seeded overlap, say).
    current = ErrorLogEntry.objects.filter(current=True)
    revealed = {(o, r) for o, r in current.values_list("object", "record_id") if (o, r) in released}
    codes = set(
        current.filter(record_id__in=[r for _, r in revealed]).values_list("code", flat=True)
    )
    assert RuleCode.PARENT not in codes
    assert records_rejected_now(page) == before - len(released) - 1 + len(revealed)
    expect(page.locator("table.causes")).not_to_contain_text(f"{worst.object} {worst.record_id} ")

    # The second run's counts: the batch page, the CSV report, the command line, the API.
    rejected = {ro.object: ro.errors for ro in RunObject.objects.filter(run=second)}
    page.goto("/district/batch/")
    for name in catalog.NAMES:
        expect(page.locator(f"#results-{name}")).to_contain_text(
            f"Errors: {rejected[name]:,}", timeout=30_000
        )
    page.goto(f"/district/errors/?run={second.pk}")
    with page.expect_download() as download:
        page.click("text=Generate Report")
    rows = list(csv.DictReader(Path(download.value.path()).read_text().splitlines()))
    per_record = {(r["object"], r["record_id"]) for r in rows}
    assert Counter(name for name, _ in per_record) == Counter(
        {n: c for n, c in rejected.items() if c}
    )
    call_command("runs", "--json")
    [listed] = [r for r in json.loads(capsys.readouterr().out) if r["run"] == second.pk]
    assert {o["object"]: o["errors"] for o in listed["objects"]} == rejected
    _, secret = PersonalToken.issue(admin, "walk")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get(f"/api/district/v1/runs/{second.pk}")
    assert {o["object"]: o["errors"] for o in api.json()["objects"]} == rejected

    # Verify: the seeded defects are still rejected, and nothing else differs.
    verify = execute(Run.plan(catalog.NAMES, "verify"))
    page.goto(f"/district/runs/{verify.pk}/")
    expect(page.locator("main")).to_contain_text("it changed nothing at the state")
    expect(page.locator("main")).to_contain_text(re.compile(r"differences nothing explains: 0\."))
    assert verify.result()["drift"] == 0
