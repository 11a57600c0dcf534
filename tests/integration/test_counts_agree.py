"""Every count of one run is the same wherever it appears: the batch page, the run page, the
Error Log's summary and report, the command line, the district API and the state's pages.

"Errors: M" everywhere counts records the state rejected; the Error Log also counts the errors
found in them (one record can break several rules), labelled as such.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from statesync.access.models import PersonalToken
from statesync.core import catalog
from statesync.district.models import ErrorLogEntry, Run, RunObject
from statesync.district.services.resync import execute

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_one_runs_counts_agree_on_every_surface(admin_client, admin_user, dis, seeded, capsys):
    seeded("small")
    run = execute(Run.plan(catalog.NAMES))
    rejected = {ro.object: ro.errors for ro in RunObject.objects.filter(run=run)}
    processed = {ro.object: ro.processed for ro in RunObject.objects.filter(run=run)}
    assert sum(rejected.values()) > 0
    entries = Counter(ErrorLogEntry.objects.filter(run=run).values_list("object", flat=True))

    # The batch page: "Processed: N Errors: M" per object.
    rows = admin_client.get(reverse("district:batch-rows")).content.decode()
    shown = {
        name: (int(p.replace(",", "")), int(e.replace(",", "")))
        for name, p, e in re.findall(
            r'data-for="(\w+)">.*?Processed: ([\d,]+) Errors: ([\d,]+)', rows, re.S
        )
    }
    assert shown == {name: (processed[name], rejected[name]) for name in catalog.NAMES}

    # The run page: the same per object, under "Records rejected".
    page = admin_client.get(reverse("district:run", args=[run.pk])).content.decode()
    assert "Records rejected" in page
    for name, count in rejected.items():
        assert re.search(rf"<td>{name}</td>.*?>{count:,}<", page, re.S), name

    # The Error Log's summary: records beside errors.
    log = admin_client.get(reverse("district:errors"), {"run": run.pk})
    summary = {name: (records, errors) for name, records, _, errors in log.context["matrix"]}
    assert summary == {n: (rejected[n], entries[n]) for n in rejected if rejected[n]}

    # Its report: one row per error, naming the record.
    report = b"".join(
        admin_client.get(reverse("district:errors-report"), {"run": run.pk}).streaming_content
    )
    lines = list(csv.DictReader(io.StringIO(report.decode())))
    assert Counter(line["object"] for line in lines) == entries
    per_object = {(line["object"], line["record_id"]) for line in lines}
    assert Counter(name for name, _ in per_object) == Counter(
        {n: c for n, c in rejected.items() if c}
    )

    # The command line.
    call_command("runs", "--json")
    [listed] = [r for r in json.loads(capsys.readouterr().out) if r["run"] == run.pk]
    assert {o["object"]: o["errors"] for o in listed["objects"]} == rejected
    call_command("errors", "--run", str(run.pk), "--json")
    assert Counter(e["object"] for e in json.loads(capsys.readouterr().out)) == entries

    # The district API.
    _, secret = PersonalToken.issue(admin_user, "counts")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    result = api.get(f"/api/district/v1/runs/{run.pk}").json()
    assert {o["object"]: o["errors"] for o in result["objects"]} == rejected

    # The state's pages: what it holds as rejected for the district, per object.
    [state_row] = admin_client.get(reverse("state:districts")).context["rows"]
    assert {n: f.rejected for n, f in state_row.objects.items()} == rejected
