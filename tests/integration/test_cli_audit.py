"""Every command-line action that changes data or starts work leaves one audit row, recorded as
the operating-system user through the door "cli" (the web's and the API's are in test_rights)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from statesync.access.models import AuditEntry
from statesync.core import wire
from statesync.district.models import Run, SelectiveSync
from statesync.district.services import messages

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def audited(action: str) -> AuditEntry:
    entries = AuditEntry.objects.filter(action=action)
    assert entries.count() == 1, f"{action}: {entries.count()} audit rows"
    entry = entries.get()
    assert entry.via == "cli" and entry.username.endswith("(command line)")
    return entry


def test_each_command_line_action_is_audited_once(dis, registered, seeded, tmp_path, capsys):
    call_command("seed", "--scale", "small")
    assert audited("seed").detail["records"] > 0

    call_command("resync", "--objects", "District")  # queued for a worker
    run = Run.objects.get()
    assert audited("resync.start").target == f"run {run.pk}"

    call_command("cancel", str(run.pk))
    assert audited("resync.cancel").target == f"run {run.pk}"

    call_command("selective_sync", "--object", "PersonIdentity", "--ids", "4 5")
    entry = SelectiveSync.objects.get()
    assert (
        audited("selective.sync").detail
        == {
            "object": "PersonIdentity",
            "ids": [4, 5],
            "count": 2,
        }
        and entry.pk
    )

    rejected = messages.Sending("save", None, "School", [1])
    rejected = messages.record(
        rejected, wire.BatchResult(object="School", rejected=[_rejection(1)])
    )
    call_command("messages", "--resend", str(rejected.pk))
    assert audited("messages.resend").detail["accepted"] == [1]
    call_command("record", "delete", "School", "1", "--district", "0001")  # shown only
    call_command("record", "delete", "School", "1", "--district", "0001", "--yes")
    assert audited("records.remove").detail["removed"]["School"] == [1]

    call_command("dis", "configure", "--url", dis.url, "--token", registered[1])
    assert audited("dis.configure").detail == {"token_prefix": registered[1][:10]}

    call_command("state", "add-district", "--number", "0002", "--name", "Two")
    assert audited("state.district.add").target == "district 0002"
    capsys.readouterr()

    call_command("state", "edfi-client", "--number", "0002", "--json")
    assert audited("state.edfi.client.issue").detail == {"owner": "0002"}
    call_command("edfi_sample", "--number", "0090", "--students", "30")
    loaded = audited("state.edfi.sample")
    assert loaded.target == "district 0090" and loaded.detail["accepted"] > 300
    assert "accepted" in capsys.readouterr().out


def _rejection(record_id: int) -> wire.Rejected:
    return wire.Rejected(record_id, [wire.RecordError("E-FORMAT", "name", "a test's rejection")])


def test_refused_commands_leave_no_audit_row(dis, seeded):
    seeded()
    with pytest.raises(Exception, match="there is no run 999"):
        call_command("cancel", "999")
    assert not AuditEntry.objects.filter(action="resync.cancel").exists()
