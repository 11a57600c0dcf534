"""A district through a school year (docs/YEARS.md): resyncs of both years, a refused
rollover, rollover, the start-of-year resync, a frozen year, the state's requests to late
districts, and a Verification Summary whose numbers are the verify run's."""

from __future__ import annotations

import csv
import html
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.district.models import ErrorLogEntry, Mode, Run, RunStatus, SchoolYear
from statesync.district.models.years import RolloverRefused
from statesync.district.services import selective
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.district.services.years import report_years_now
from statesync.district.worker.workers import take_state_requests
from statesync.state.models import DistrictYear, ResyncRequest, StateYear
from statesync.web.server import free_port
from tests.support.users import make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def full(year: int, mode: str = Mode.DIFFERENTIAL) -> Run:
    return execute(Run.plan(catalog.NAMES, mode, school_year=year))


def reported(district, year: int) -> DistrictYear:
    return DistrictYear.objects.get(district=district, school_year=year)


@pytest.mark.slow
def test_a_district_through_a_school_year(dis, registered, seeded):
    district, _ = registered
    seeded("small", years=2)
    state_staff = Client()
    state_staff.force_login(make_user("state", [("yearstatus", "W"), ("stateverification", "R")]))

    # Both years are open in the batch tool; the previous one until its end-of-year resync
    # ends without errors.
    assert SchoolYear.offered() == [2024, 2023]
    previous = full(2023)
    assert previous.status == RunStatus.COMPLETED_WITH_ERRORS  # the seed plants defects
    assert SchoolYear.offered() == [2024, 2023]
    assert reported(district, 2023).end_of_year["run"] == previous.pk

    # Rollover is refused while the scoped year has no end-of-year resync…
    with pytest.raises(CommandError, match="2023-2024 has no end-of-year resync"):
        call_command("year", "rollover")
    current = full(2024)
    # …and, once it has one with errors, until told to go on anyway (naming the objects).
    with pytest.raises(RolloverRefused) as refused:
        SchoolYear.rollover()
    expected = {ro.object: ro.errors for ro in current.run_objects.filter(errors__gt=0)}
    assert refused.value.objects == expected and expected
    assert SchoolYear.current() == 2024
    call_command("year", "rollover", "--anyway")
    assert SchoolYear.current() == 2025
    rolled = AuditEntry.objects.get(action="year.rollover")
    assert rolled.detail == {"previous": 2024, "anyway": True}
    assert reported(district, 2025).scoped and not reported(district, 2024).scoped

    # The state sees the start-of-year resync of 2024-2025 missing, and asks every late district.
    page = state_staff.get(reverse("state:years") + "?year=2025")
    assert page.status_code == 200
    assert page.context["late"][0].district == district
    assert page.context["late"][0].missing() == [2025]
    asked = state_staff.post(reverse("state:years-request"), {"year": "2025"})
    assert asked.status_code == 302
    [request] = ResyncRequest.objects.filter(district=district, claimed_at__isnull=True)
    assert (request.school_year, request.objects_requested) == (2025, list(catalog.NAMES))
    # Asking again adds nothing while the request waits.
    state_staff.post(reverse("state:years-request"), {"year": "2025"})
    assert ResyncRequest.objects.filter(claimed_at__isnull=True).count() == 1

    # The district's worker takes the request up: the start-of-year resync.
    with state_client() as client:
        assert take_state_requests(client, lambda pk: None) == 1
    run = Run.objects.get(requested_from="state")
    assert run.school_year == 2025
    execute(run)
    assert SchoolYear.objects.get(pk=2025).start_of_year_run == run
    page = state_staff.get(reverse("state:years") + "?year=2025")
    assert page.context["late"] == []

    # The state closes 2022-2023: a change to it is refused with its own rule code; the
    # same records sent again unchanged are not changes.
    StateYear.close(2023, "state")
    calendar = catalog.OBJECTS["Calendar"]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id) FROM {calendar.district_table} WHERE school_year = 2023 AND id NOT IN "
            "(SELECT record_id FROM district_errorlog WHERE object = 'Calendar' AND current)"
        )
        [changed] = cursor.fetchone()
        cursor.execute(
            f"UPDATE {calendar.district_table} SET name = 'Renamed late' WHERE id = %s", [changed]
        )
    never_held = set(
        ErrorLogEntry.objects.filter(run=previous, object="Calendar").values_list(
            "record_id", flat=True
        )
    )
    late = execute(Run.plan(["Calendar"], Mode.FORCE, school_year=2023))
    closed = ErrorLogEntry.objects.filter(run=late, code="E-YEAR-CLOSED")
    # The changed calendar, and those the state never took (new to a closed year).
    assert set(closed.values_list("record_id", flat=True)) == {changed} | never_held
    assert "2022-2023 is closed at the state" in closed.filter(record_id=changed).get().message
    # Selective sync follows each record's own year: a changed enrollment of the closed year is
    # refused, one of an open year goes through.
    enrollment = catalog.OBJECTS["Enrollment"]
    held = {}
    with connection.cursor() as cursor:
        for year in (2023, 2024):
            cursor.execute(
                f"SELECT MIN(e.id) FROM {enrollment.district_table} e JOIN "
                f"{calendar.district_table} c ON c.id = e.calendar_id WHERE c.school_year = %s "
                "AND e.id NOT IN (SELECT record_id FROM district_errorlog "
                "WHERE object = 'Enrollment' AND current)",
                [year],
            )
            held[year] = cursor.fetchone()[0]
            cursor.execute(
                f"UPDATE {enrollment.district_table} SET service_type = 'N' WHERE id = %s",
                [held[year]],
            )
    with state_client() as client:
        answer = selective.sync("Enrollment", [held[2023], held[2024]], client)
    assert answer.synced == [held[2024]]
    assert [e["code"] for e in answer.rejected[held[2023]]] == ["E-YEAR-CLOSED"]
    StateYear.reopen(2023)
    again = execute(Run.plan(["Calendar"], school_year=2023))
    assert again.run_objects.get().updated == 1
    assert not ErrorLogEntry.objects.filter(run=again, code="E-YEAR-CLOSED").exists()

    # A verify of 2023-2024; the Verification Summary shows its numbers, in the district and
    # (as reported) at the state.
    verify = full(2024, Mode.VERIFY)
    district_staff = Client()
    district_staff.force_login(make_user("district", [("verification", "R")]))
    page = district_staff.get(reverse("district:verification") + "?year=2024")
    assert page.context["run"] == verify
    by_object = {row["object"]: row for row in page.context["rows"]}
    for ro in verify.run_objects.all():
        figures = by_object[ro.object]
        assert figures["in_district"] == ro.processed
        assert figures["matching"] == ro.unchanged
        assert figures["missing"] == ro.inserted and figures["different"] == ro.updated
        assert figures["extra"] == ro.deleted and figures["rejected"] == ro.rejected_known
        # Everything the state holds is matching, different, extra, or a rejected update.
        assert ro.unchanged + ro.updated + ro.deleted <= ro.at_state
    report = district_staff.get(reverse("district:verification") + "?year=2024&format=csv")
    lines = list(csv.DictReader(io.StringIO(report.content.decode())))
    assert {line["object"]: int(line["matching"]) for line in lines} == {
        ro.object: ro.unchanged for ro in verify.run_objects.all()
    }
    state_page = state_staff.get(reverse("state:verification-summary") + "?year=2024")
    [row] = state_page.context["rows"]
    assert row.verify["run"] == verify.pk
    assert row.totals["matching"] == sum(ro.unchanged for ro in verify.run_objects.all())
    assert row.totals["in_district"] == sum(ro.processed for ro in verify.run_objects.all())


def test_a_year_report_is_checked_and_names_what_is_wrong(dis, registered):
    _, token = registered
    client = Client()
    url = "/api/state/v1/districts/0001/years/2024"
    headers = {"Authorization": f"Bearer {token}"}

    def put(body: str):
        return client.put(url, body, content_type="application/json", headers=headers)

    assert put('{"school_year": 2024, "scoped": true}').status_code == 200
    wrong_year = put('{"school_year": 2023}')
    assert wrong_year.status_code == 400
    assert "the URL names school year 2024" in wrong_year.json()["detail"]
    no_zone = put(
        '{"school_year": 2024, "end_of_year": {"run": 1, "mode": "force", "status": "succeeded",'
        ' "requested_by": "", "requested_from": "web", "finished_at": "2024-06-30T10:00:00",'
        ' "errors": 0, "objects": []}}'
    )
    assert no_zone.status_code == 400 and "finished_at" in no_zone.json()["detail"]
    nul = put(
        '{"school_year": 2024, "end_of_year": {"run": 1, "mode": "force\\u0000",'
        ' "status": "succeeded", "requested_by": "", "requested_from": "web",'
        ' "finished_at": null, "errors": 0, "objects": []}}'
    )
    assert nul.status_code == 400 and "end_of_year.mode" in nul.json()["detail"]
    assert put("{not json").status_code == 400
    formula = put(
        '{"school_year": 2024, "last_verify": {"run": 1, "mode": "verify", "status": "succeeded",'
        ' "requested_by": "", "requested_from": "web", "finished_at": null, "errors": 0,'
        ' "objects": [{"object": "=HYPERLINK(\\"http://x\\")", "processed": 1, "errors": 0}]}}'
    )  # any text as an object reached the state's CSV report as a live formula
    assert formula.status_code == 400
    assert "is not an object the state takes" in formula.json()["detail"]
    other = client.put(
        "/api/state/v1/districts/0002/years/2024",
        "{}",
        content_type="application/json",
        headers=headers,
    )
    assert other.status_code == 403


def test_the_batch_tool_sends_the_year_it_shows_and_refuses_one_it_does_not_offer(
    dis, seeded, admin_user
):
    seeded("small", years=2)
    client = Client()
    client.force_login(admin_user)
    page = client.get(reverse("district:batch") + "?year=2023").content.decode()
    assert "Resync Data For The School Year" in page
    assert '<option value="2023" selected>2022-2023</option>' in page
    posted = {"objects": ["District"], "mode": "verify", "school_year": "2023"}
    client.post(reverse("district:batch"), posted)
    assert Run.objects.get().school_year == 2023
    refused = client.post(reverse("district:batch"), {**posted, "school_year": "2019"})
    assert "School year 2019 is not open for resync" in refused.content.decode()
    assert Run.objects.count() == 1


def test_the_state_closes_and_reopens_a_year_and_lists_who_is_late_from_the_command_line(
    registered, capsys
):
    call_command("state", "close-year", "2023")
    assert StateYear.closed_years() == {2023}
    call_command("state", "reopen-year", "2023")
    assert StateYear.closed_years() == set()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "target"))
    assert actions == [
        ("state.year_close", "school year 2022-2023"),
        ("state.year_reopen", "school year 2022-2023"),
    ]
    with pytest.raises(CommandError, match="'1999' is not a school end year"):
        call_command("state", "close-year", "1999")
    call_command("state", "years", "--year", "2024")
    assert "0001  late  end: missing" in capsys.readouterr().out


def test_year_status_from_the_district_command_line(seeded, capsys):
    seeded("small", years=2)
    call_command("year", "status")
    out = capsys.readouterr().out
    assert "Scoped school year: 2023-2024" in out
    assert "Latest full resync (its end-of-year resync so far): none yet" in out
    assert "2022-2023 stays open until its end-of-year resync ends without errors" in out


def test_a_year_report_the_state_could_not_take_is_sent_again(dis, seeded, monkeypatch):
    seeded("small", years=2)
    assert SchoolYear.objects.filter(reported=False).count() == 2
    working = dis.url
    monkeypatch.setenv("STATESYNC_STATE_URL", f"http://127.0.0.1:{free_port()}")  # the state down
    assert report_years_now() == 0
    assert SchoolYear.objects.filter(reported=False).count() == 2  # nothing lost
    assert not DistrictYear.objects.exists()
    monkeypatch.setenv("STATESYNC_STATE_URL", working)
    assert report_years_now() == 2  # what housekeeping does every minute
    assert set(DistrictYear.objects.values_list("school_year", "scoped")) == {
        (2023, False),
        (2024, True),
    }
    assert report_years_now() == 0  # nothing new to say


def test_the_rollover_page_names_the_objects_with_errors_and_rolls_over_anyway(dis, seeded):
    seeded("small")
    run = full(2024)
    staff = Client()
    user = make_user("rolls", [("rollover", "W")])
    staff.force_login(user)
    refused = staff.post(reverse("district:rollover"))
    text = html.unescape(refused.content.decode())
    assert f"2023-2024's end-of-year resync (run {run.pk}) ended with errors" in text
    for ro in run.run_objects.filter(errors__gt=0):
        assert f"<td>{ro.object}</td>" in text
    assert 'name="anyway"' in text
    assert not AuditEntry.objects.filter(action="year.rollover").exists()
    rolled = staff.post(reverse("district:rollover"), {"anyway": "on"})
    assert rolled.status_code == 302
    assert SchoolYear.current() == 2025
    entry = AuditEntry.objects.get(action="year.rollover")
    assert (entry.username, entry.via, entry.detail) == (
        "rolls",
        "web",
        {"previous": 2024, "anyway": True},
    )
    page = staff.get(reverse("district:rollover")).content.decode()
    assert "Start-of-year resync:" in page and "<strong>due</strong>" in page


def test_asking_a_district_that_owes_nothing_says_so_and_asks_nothing(registered):
    staff = Client()
    staff.force_login(make_user("state", [("yearstatus", "W")]))
    answer = staff.post(
        reverse("state:years-request"), {"year": "2024", "district": "9999"}, follow=True
    )
    assert "District 9999 owes no mandatory resync around 2023-2024." in answer.content.decode()
    assert not ResyncRequest.objects.exists()
