"""The Error Log shows what the state rejects now; history and retention stay one step away."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from statesync.core import catalog
from statesync.district.models import ErrorLogEntry, Run, RunObject
from statesync.district.services import errorlog
from statesync.district.services.causes import analyse
from statesync.district.services.resync import execute
from tests.support.fixes import give_a_free_school_number

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")
SCHOOLS = ["District", "School"]


def rejected_now(admin_client) -> set[tuple[int, str]]:
    page = admin_client.get(reverse("district:errors"), {"object": "School"})
    return {(e.record_id, e.code) for e in page.context["page"].paginator.object_list}


def test_a_record_counts_once_now_and_leaves_when_fixed(admin_client, dis, seeded, capsys):
    seeded("small")
    first = execute(Run.plan(SCHOOLS))
    second = execute(Run.plan(SCHOOLS))
    per_run = ErrorLogEntry.objects.filter(run=second, object="School").count()
    assert per_run > 0
    # Two runs judged the same bad schools: history has both copies, "now" has one.
    assert ErrorLogEntry.objects.filter(object="School").count() == 2 * per_run
    now = rejected_now(admin_client)
    assert len(now) == per_run
    history = admin_client.get(reverse("district:errors"), {"object": "School", "history": "1"})
    assert history.context["page"].paginator.count == 2 * per_run

    # Fix one bad school with SQL and resync: it leaves "now", and only it.
    school_id = sorted(now)[0][0]
    give_a_free_school_number(school_id)
    third = execute(Run.plan(SCHOOLS))
    still = rejected_now(admin_client)
    assert still == {(i, c) for i, c in now if i != school_id}
    assert RunObject.objects.get(run=third, object="School").errors == len({i for i, _ in still})

    call_command("errors", "--object", "School", "--json")
    assert len(json.loads(capsys.readouterr().out)) == len(still)
    call_command("errors", "--object", "School", "--history", "--json")
    every = json.loads(capsys.readouterr().out)
    assert len(every) == ErrorLogEntry.objects.filter(object="School").count() > len(still)
    assert {first.pk, second.pk} <= {e["run"] for e in every}  # each run's copy


def test_the_summary_counts_records_beside_errors(admin_client, dis, seeded):
    seeded("small")
    run = execute(Run.plan(["District", "School", "Calendar", "CourseSection"]))
    page = admin_client.get(reverse("district:errors"), {"run": run.pk})
    for name, records, _counts, errors in page.context["matrix"]:
        ro = RunObject.objects.get(run=run, object=name)
        assert records == ro.errors, name  # the batch page's "Errors: M" counts records
        assert errors == ErrorLogEntry.objects.filter(run=run, object=name).count()
        assert errors >= records
    assert b"Records</th>" in page.content


def test_history_past_its_retention_goes_but_not_what_is_rejected_now(dis, seeded):
    seeded("small")
    execute(Run.plan(SCHOOLS))
    latest = execute(Run.plan(SCHOOLS))
    long_ago = timezone.now() - dt.timedelta(days=400)
    ErrorLogEntry.objects.update(created_at=long_ago)
    history = ErrorLogEntry.objects.filter(current=False).count()
    assert history > 0
    assert errorlog.prune(keep_days=90) == history
    assert ErrorLogEntry.objects.filter(run=latest).exists()  # still rejected now: kept
    assert not ErrorLogEntry.objects.filter(current=False).exists()


def test_history_can_be_kept_for_the_latest_runs_only(dis, seeded):
    seeded("small")
    runs = [execute(Run.plan(SCHOOLS)) for _ in range(3)]
    assert errorlog.prune(keep_days=3650, keep_runs=2) > 0
    assert not ErrorLogEntry.objects.filter(run=runs[0]).exists()
    assert ErrorLogEntry.objects.filter(run=runs[1]).exists()


def rejected_records() -> set[tuple[str, int]]:
    return set(ErrorLogEntry.objects.filter(current=True).values_list("object", "record_id"))


def test_causes_come_first_and_fixing_one_takes_its_consequences_away(admin_client, dis, seeded):
    seeded("small")
    execute(Run.plan(catalog.NAMES))
    analysis = analyse()
    now = ErrorLogEntry.objects.filter(current=True)
    parent_only = {(e.object, e.record_id) for e in now.filter(code="E-PARENT")} - {
        (e.object, e.record_id) for e in now.exclude(code="E-PARENT")
    }
    assert set(analysis.roots) == parent_only  # every consequence traced to its causes
    worst = analysis.causes[0]
    assert worst.consequences > 0 and worst.code != "E-PARENT"
    page = admin_client.get(reverse("district:errors")).content.decode()
    assert page.index("Causes first") < page.index("Summary")
    assert f"→ {worst.consequences:,} record" in page
    # Held back: each record once, however many causes hold it (not the sum over causes).
    held = admin_client.get(reverse("district:errors")).context["held_back"]
    assert held == len(parent_only) <= sum(c.consequences for c in analysis.causes)

    # Fix the worst cause with SQL, as an administrator would (the seed's worst is a school
    # whose state school number another school has), and resync everything: exactly the cause
    # and the records only it held back leave the view.
    assert (worst.object, worst.field) == ("School", "state_school_number")
    cause = (worst.object, worst.record_id)
    released = {n for n, held in analysis.roots.items() if held == {cause}}
    assert len(released) == worst.only > 0
    before = rejected_records()
    give_a_free_school_number(worst.record_id)
    execute(Run.plan(catalog.NAMES))
    assert before - rejected_records() == released | {cause}
    assert rejected_records() <= before  # nothing new rejected
