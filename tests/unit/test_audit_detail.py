"""The Audit Log's details read as sentences, not as Python dicts."""

from __future__ import annotations

from statesync.access.models import AuditEntry


def test_details_read_as_sentences():
    entry = AuditEntry(
        detail={
            "mode": "force",
            "objects": ["District", "School"],
            "count": 12000,
            "rights": True,
            "label": "",
        }
    )
    assert entry.detail_text == (
        "Mode: force. Objects: District, School. Count: 12,000. Rights: yes. Label: —."
    )


def test_long_lists_are_cut_short():
    entry = AuditEntry(detail={"ids": list(range(1, 26))})
    assert entry.detail_text.endswith("19, 20 and 5 more.")
