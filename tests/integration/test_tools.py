"""The district tools and the state's pages through Django's test client (the logic behind them)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.district.models import ErrorLogEntry, Run, RunObject, SelectiveSync
from statesync.district.services.dis import state_client
from statesync.district.services.resync import execute
from statesync.district.services.status import object_states
from statesync.district.worker.workers import take_state_requests
from statesync.state.models import ResyncRequest, copy_model

PersonIdentityCopy = copy_model("PersonIdentity")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def admin_client():
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def synced(dis, seeded):
    seeded("small")
    return execute(Run.plan(["District", "School", "Calendar", "CourseSection"]))


def test_error_log_filters_summarise_and_export(admin_client, synced):
    page = admin_client.get(
        reverse("district:errors"), {"run": synced.pk, "object": "CourseSection"}
    )
    assert page.status_code == 200
    listed = page.context["page"].paginator.count
    assert listed == ErrorLogEntry.objects.filter(run=synced, object="CourseSection").count() > 0
    assert [row[0] for row in page.context["matrix"]] == ["CourseSection"]
    report = admin_client.get(reverse("district:errors-report"), {"object": "CourseSection"})
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode())))
    assert rows[0][:3] == ["run", "source", "object"]
    assert len(rows) - 1 == listed
    by_code = admin_client.get(reverse("district:errors"), {"code": "E-PARENT"})
    assert all(e.code == "E-PARENT" for e in by_code.context["page"].object_list)
    nonsense = admin_client.get(reverse("district:errors"), {"run": "x'; --", "code": "bogus"})
    assert nonsense.status_code == 200
    assert nonsense.context["page"].paginator.count == 0
    assert b"Nothing is shown: run &quot;x&#x27;; --&quot; is not a run number" in nonsense.content
    assert (
        admin_client.get(reverse("district:errors-report"), {"object": "Nope"}).status_code == 400
    )


def test_a_cause_links_to_its_own_record_only(admin_client, synced):
    entry = ErrorLogEntry.objects.filter(current=True).first()
    ErrorLogEntry.objects.create(
        run=entry.run,
        source=entry.source,
        object=entry.object,
        record_id=int(f"{entry.record_id}0000"),
        code=entry.code,
        field=entry.field,
        message=f"about {entry.record_id}",
        current=True,
    )
    page = admin_client.get(
        reverse("district:errors"), {"object": entry.object, "record": entry.record_id}
    )
    assert {e.record_id for e in page.context["page"].object_list} == {entry.record_id}


def test_clear_log_asks_first_then_clears_what_is_filtered(admin_client, synced):
    total = ErrorLogEntry.objects.count()
    schools = ErrorLogEntry.objects.filter(object="School").count()
    confirm = admin_client.get(reverse("district:errors-clear"), {"object": "School"})
    assert confirm.context["count"] == schools
    assert ErrorLogEntry.objects.count() == total
    admin_client.post(reverse("district:errors-clear"), {"object": "School"})  # no confirm
    assert ErrorLogEntry.objects.count() == total
    changed = admin_client.post(
        reverse("district:errors-clear"),
        {"object": "School", "confirm": "yes", "expected": schools + 1},
    )  # the log changed since the confirmation was shown: nothing cleared, and said
    assert ErrorLogEntry.objects.count() == total
    assert b"not the number you confirmed" in changed.content
    cut = admin_client.post(
        reverse("district:errors-clear"), {"object": "Sch", "confirm": "yes", "expected": schools}
    )  # a filter that names nothing is refused, never dropped (it would clear every object)
    assert cut.status_code == 400
    assert ErrorLogEntry.objects.count() == total
    admin_client.post(
        reverse("district:errors-clear"),
        {"object": "School", "confirm": "yes", "expected": schools},
    )
    assert ErrorLogEntry.objects.count() == total - schools
    entry = AuditEntry.objects.get(action="errorlog.clear")
    assert entry.detail["deleted"] == schools
    assert entry.detail["filters"]["object"] == "School"


def test_empty_error_log_says_so(admin_client, registered):
    page = admin_client.get(reverse("district:errors"))
    assert b"The log is empty" in page.content


def test_selective_form_errors_are_specific(admin_client, synced):
    url = reverse("district:selective")
    empty = admin_client.post(url, {"object": "PersonIdentity", "ids": ""})
    assert b"Enter at least one ID." in empty.content
    junk = admin_client.post(url, {"object": "PersonIdentity", "ids": "abc, -4"})
    assert b"No IDs found" in junk.content
    assert b"abc, -4" in junk.content
    huge = admin_client.post(
        url, {"object": "PersonIdentity", "ids": " ".join(map(str, range(1, 100_002)))}
    )
    assert huge.status_code == 200
    assert b"one sync takes at most 10,000" in huge.content
    assert not SelectiveSync.objects.exists()


def test_selective_enrollment_sends_its_person_first(admin_client, synced):
    from statesync.district.models import dis_model

    enrollment = (
        dis_model("Enrollment").objects.filter(grade="05").first()
        or dis_model("Enrollment").objects.first()
    )
    assert not PersonIdentityCopy.objects.filter(record_id=enrollment.person_id).exists()
    admin_client.post(
        reverse("district:selective"), {"object": "Enrollment", "ids": str(enrollment.pk)}
    )
    entry = SelectiveSync.objects.get()
    assert entry.status == "done"
    assert PersonIdentityCopy.objects.filter(record_id=enrollment.person_id).exists()
    assert entry.message == "Sent 1 person record first."  # counted, the noun agreeing


def test_long_selective_lists_go_to_the_worker(admin_client, synced):
    ids = " ".join(str(i) for i in range(1, 400))
    page = admin_client.post(
        reverse("district:selective"), {"object": "PersonIdentity", "ids": ids}
    )
    entry = SelectiveSync.objects.get()
    assert entry.status == "pending"
    assert b'hx-trigger="every 1s"' in page.content


def test_a_selective_sync_that_cannot_be_audited_is_not_carried_out(
    admin_client, synced, monkeypatch
):
    # The sync, its claim and its audit row are one commit: none stands without the others.
    def refuse(*args, **kwargs):
        raise RuntimeError("the audit log is away")

    monkeypatch.setattr("statesync.access.audit.record", refuse)
    monkeypatch.setattr("statesync.access.audit.record_command", refuse)
    with pytest.raises(RuntimeError, match="the audit log is away"):
        admin_client.post(reverse("district:selective"), {"object": "PersonIdentity", "ids": "1"})
    from django.core.management import call_command

    with pytest.raises(RuntimeError, match="the audit log is away"):
        call_command("selective_sync", "--object", "PersonIdentity", "--ids", "1")
    assert not SelectiveSync.objects.exists()


def test_a_selective_sync_carried_out_at_once_is_claimed_once(admin_client, synced):
    admin_client.post(reverse("district:selective"), {"object": "PersonIdentity", "ids": "1"})
    entry = SelectiveSync.objects.get()
    assert entry.status == "done" and entry.attempts == 1 and entry.heartbeat_at is not None


def test_batch_page_says_when_dis_is_not_enabled(admin_client, registered, monkeypatch, tmp_path):
    monkeypatch.setattr("statesync.core.config.connection_file", lambda: tmp_path / "none.json")
    page = admin_client.get(reverse("district:batch"))
    assert b"DIS is not enabled" in page.content
    posted = admin_client.post(reverse("district:batch"), {"objects": ["School"], "mode": "verify"})
    assert posted.status_code == 302
    assert not Run.objects.exists()


def test_state_asks_and_the_district_runs_it_once(admin_client, synced):
    response = admin_client.post(
        reverse("state:request-resync", args=["0001"]), {"objects": ["School"], "mode": "verify"}
    )
    assert response.status_code == 302
    request = ResyncRequest.objects.get()
    queued: list[int] = []
    with state_client() as client:
        assert take_state_requests(client, queued.append) == 1
        assert take_state_requests(client, queued.append) == 0
    run = Run.objects.get(pk=queued[0])
    assert run.requested_from == "state"
    assert [ro.object for ro in run.objects_in_order] == ["District", "School"]
    assert run.mode == "verify"
    request.refresh_from_db()
    assert request.claimed_at is not None
    assert request.district_run == run.pk
    # Audited in the district as the work the state started, and everyone who runs resyncs
    # is told when it ends (nobody of the district asked for it), in a verify's own words.
    started = AuditEntry.objects.get(action="resync.start", target=f"run {run.pk}")
    assert (started.username, started.via) == ("the state (request)", "state")
    assert started.detail["state_request"] == request.pk
    from statesync.district.models import Notification
    from statesync.district.services.notify import notify_run_ended

    execute(run)
    run.refresh_from_db()
    told = notify_run_ended(run)
    assert [n.user.username for n in told] == ["admin"]
    assert "matching" in told[0].body and "updated" not in told[0].body
    assert notify_run_ended(run) == []  # once
    assert Notification.objects.filter(run=run).count() == 1


def test_state_pages_show_accepted_and_rejected(admin_client, synced):
    overview = admin_client.get(reverse("state:districts"))
    [row] = overview.context["rows"]
    assert row.objects["School"].accepted == 11
    assert row.objects["School"].rejected == 1
    assert row.light == "amber"
    detail = admin_client.get(reverse("state:district", args=["0001"]), {"object": "School"})
    assert detail.context["page"].paginator.count == 1
    assert (
        b"E-DUPLICATE" in detail.content
        or b"E-FORMAT" in detail.content
        or b"E-REQUIRED" in detail.content
    )
    for page in (overview, detail):  # each light explained where it is shown
        assert b"Status Legend" in page.content and b"Held, some records rejected" in page.content


def test_openapi_documents_every_state_route(admin_client, registered):
    doc = admin_client.get("/api/state/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/state/v1/districts/{number}/objects/Enrollment/batch" in doc["paths"]
    assert "EnrollmentObjectBatch" in doc["components"]["schemas"]
    district_doc = admin_client.get("/api/district/v1/openapi.json").json()
    assert "/api/district/v1/selective-sync" in district_doc["paths"]


def test_selective_sync_cli(synced, capsys, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    execute(Run.plan(["PersonIdentity"]))
    call_command(
        "selective-sync".replace("-", "_"),
        "--object",
        "PersonIdentity",
        "--ids",
        "1,2 x 999999",
        "--json",
    )
    result = json.loads(capsys.readouterr().out)
    assert result["synced"] == [1, 2]
    assert result["not_found"] == [999999]
    assert result["not_ids"] == ["x"]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("3\n4\n")
    call_command("selective_sync", "--object", "personidentity", "--ids-file", str(ids_file))
    assert "Synced 2: 3, 4" in capsys.readouterr().out  # the object's name in any case
    with pytest.raises(CommandError, match="'School' cannot be synced selectively"):
        call_command("selective_sync", "--object", "School", "--ids", "1")
    with pytest.raises(CommandError, match="no IDs found"):
        call_command("selective_sync", "--object", "Enrollment", "--ids", "abc")


def test_a_long_selective_result_shows_its_counts_first_and_folds_the_list(admin_client, synced):
    execute(Run.plan(["PersonIdentity"]))
    ids = " ".join(str(i) for i in range(1, 121))
    page = admin_client.post(
        reverse("district:selective"), {"object": "PersonIdentity", "ids": ids + " x"}
    )
    shown = page.content.decode()
    entry = SelectiveSync.objects.get()
    summary = shown.index('class="summary"')
    assert summary < shown.index("<details><summary>Synced IDs")  # counts before the list
    assert f"Synced {len(entry.synced)}</strong>" in shown and "Not IDs 1" in shown


def school_row(admin_client) -> str:
    rows = admin_client.get(reverse("district:batch-rows")).content.decode()
    start = rows.index('<template data-for="School">')
    return rows[start : rows.index("</template>", start)]


def test_batch_rows_show_a_failure_beside_the_last_result_and_waiting_objects(admin_client, synced):
    finished = RunObject.objects.get(run=synced, object="School")
    failed = Run.plan(["School"])
    failed.start()
    failed.fail("The state refused the token (401).")
    row = school_row(admin_client)
    assert "Failed: The state refused the token (401)." in row
    assert f"?run={synced.pk}&amp;object=School" in row  # the last result stays in view
    [school] = [s for s in object_states() if s.object == "School"]
    assert school.last_resync == finished.finished_at  # when it finished, not when queued

    running = Run.plan(["District", "School"])
    running.start()  # District first: School has not started
    assert "Waiting for the objects before it" in school_row(admin_client)
