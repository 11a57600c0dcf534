"""Resync end to end over real HTTP: first sync, SQL changes, modes, the error log, CLI."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from statesync.core import catalog
from statesync.district.models import Difference, ErrorLogEntry, Run, RunStatus
from statesync.district.services.resync import execute

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def resync(objects=catalog.NAMES, mode="differential", check_dependencies=False) -> Run:
    return execute(Run.plan(objects, mode, check_dependencies))


def counts(run: Run) -> dict[str, dict]:
    return {o["object"]: o for o in run.result()["objects"]}


def test_clean_district_resyncs_without_errors(dis, seeded):
    seeded("small", defects=False)
    run = resync()
    assert run.status == RunStatus.SUCCEEDED, run.message
    assert sum(o["errors"] for o in run.result()["objects"]) == 0
    assert not ErrorLogEntry.objects.exists()


def test_sql_changes_are_found_by_differential_and_verify(dis, seeded):
    seeded("small", defects=False)
    assert resync().status == RunStatus.SUCCEEDED
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE district_school SET name = name || ' (renamed)' WHERE id IN (1, 2, 3)"
        )
        cursor.execute("DELETE FROM district_enrollment WHERE id IN (5, 6)")

    preview = resync(mode="verify")
    assert counts(preview)["School"]["updated"] == 3
    assert counts(preview)["Enrollment"]["deleted"] == 2
    assert set(Difference.objects.filter(run=preview).values_list("object", "kind")) == {
        ("School", "changed"),
        ("Enrollment", "extra"),
    }

    run = resync()
    results = counts(run)
    assert results["School"]["updated"] == 3
    assert results["Enrollment"]["deleted"] == 2
    for name, result in results.items():
        changed = result["inserted"] + result["updated"] + result["deleted"]
        if name not in ("School", "Enrollment"):
            assert changed == 0, name
    assert results["School"]["inserted"] == results["School"]["deleted"] == 0
    assert results["Enrollment"]["updated"] == 0

    after = resync(mode="verify")
    assert after.status == RunStatus.SUCCEEDED
    assert not Difference.objects.filter(run=after).exists()
    assert all(o["inserted"] + o["updated"] + o["deleted"] == 0 for o in counts(after).values())

    forced = resync(mode="force")
    for name, result in counts(forced).items():
        assert result["unchanged"] == result["processed"], name
        assert result["inserted"] + result["updated"] + result["deleted"] == 0, name


def test_check_dependencies_runs_ancestors_first(dis, seeded):
    seeded("small", defects=False)
    run = resync(["Calendar"], check_dependencies=True)
    assert [o["object"] for o in run.result()["objects"]] == ["District", "School", "Calendar"]
    assert run.status == RunStatus.SUCCEEDED


def test_without_dependencies_children_fail_with_e_parent(dis, seeded):
    seeded("small", defects=False)
    run = resync(["Calendar"])
    assert counts(run)["Calendar"]["errors"] == counts(run)["Calendar"]["processed"]
    entry = ErrorLogEntry.objects.filter(run=run).first()
    assert entry.code == "E-PARENT" and entry.message.endswith("is not at the state")
    assert entry.school_id is not None


def test_rejected_records_are_sent_again_next_time(dis, seeded):
    seeded("small")
    first = counts(resync())
    second = counts(resync())
    assert second["School"]["errors"] == first["School"]["errors"] > 0
    assert second["School"]["unchanged"] == first["School"]["processed"] - first["School"]["errors"]


def test_state_down_fails_the_run_with_advice(registered, seeded, monkeypatch):
    seeded("small")
    monkeypatch.setenv("STATESYNC_STATE_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
    from statesync.district.services.dis import state_client

    client = state_client(retries=1, sleep=lambda s: None)
    run = execute(Run.plan(["District"]), client=client)  # waited out for OUTAGE_SECONDS
    assert run.status == RunStatus.FAILED
    assert "the state stayed unreachable" in run.message
    assert "did not answer after 2 tries" in run.message
    assert "Check that it is running" in run.message


def test_wrong_token_fails_the_run_saying_so(live_server, registered, seeded, monkeypatch):
    seeded("small")
    monkeypatch.setenv("STATESYNC_STATE_URL", live_server.url)
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", "sst_wrong")
    run = resync(["District"])
    assert run.status == RunStatus.FAILED
    assert "401" in run.message and "Check the token" in run.message


def test_unreadable_district_value_is_logged_not_fatal(dis, seeded):
    seeded("small", defects=False)
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE district_termschedule SET terms = '[{"seq": "first"}]' WHERE id = 1"""
        )
    run = resync(["District", "School", "Calendar", "ScheduleStructure", "TermSchedule"])
    assert counts(run)["TermSchedule"]["errors"] == 1
    entry = ErrorLogEntry.objects.get(run=run, object="TermSchedule")
    assert entry.source == "district" and "cannot be read" in entry.message


def test_cli_resync_status_and_errors(dis, seeded, capsys):
    seeded("small")
    call_command("resync", "--all", "--foreground", "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "completed_with_errors"
    assert {o["object"] for o in result["objects"]} == set(catalog.NAMES)

    call_command("status", "--json")
    status = {o["object"]: o for o in json.loads(capsys.readouterr().out)["objects"]}
    assert status["District"]["status"] == "green"
    assert status["School"]["status"] == "amber"
    assert (
        status["School"]["errors"]
        == next(o for o in result["objects"] if o["object"] == "School")["errors"]
    )

    call_command("errors", "--run", str(result["run"]), "--object", "school", "--format", "csv")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("run,source,object,record_id")
    assert len(lines) > 1 and all(",School," in line for line in lines[1:])
    call_command("errors", "--run", str(result["run"]), "--object", "SCHOOL", "--json")
    entries = json.loads(capsys.readouterr().out)
    assert len(entries) == len(lines) - 1 and {e["object"] for e in entries} == {"School"}


def test_cli_refuses_unknown_objects(dis):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown DIS object 'Student'"):
        call_command("resync", "--objects", "School,Student")


def test_verify_tells_drift_from_what_the_state_rejected(dis, seeded, admin_client, capsys):
    seeded("small")  # with defects the state rejects
    assert resync().status == RunStatus.COMPLETED_WITH_ERRORS
    clean = resync(mode="verify")
    result = clean.result()
    assert result["changed_nothing"] and result["drift"] == 0  # every difference is explained
    assert sum(o["rejected_known"] for o in result["objects"]) > 0
    assert {d["kind"] for d in result["differences"]} == {"rejected"}

    with connection.cursor() as cursor:  # drift: a change no resync has sent yet
        cursor.execute("UPDATE district_school SET name = name || ' (renamed)' WHERE id = 2")
    drifted = resync(mode="verify").result()
    assert drifted["drift"] == 1
    changed = {"object": "School", "record_id": 2, "kind": "changed", "fields": ["name"]}
    assert changed in drifted["differences"]  # naming the field that differs

    page = admin_client.get(reverse("district:run", args=[drifted["run"]])).content.decode()
    assert "it changed nothing at the state" in page and "Rejected (known)" in page
    assert "<td>Name</td>" in page
    call_command("resync", "--objects", "School", "--mode", "verify", "--foreground", "--json")
    assert json.loads(capsys.readouterr().out)["drift"] == 1
