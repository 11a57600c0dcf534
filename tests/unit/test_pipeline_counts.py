"""What one object's resync counts, batch by batch (statesync.core.sync.pipeline), against a fake
state: a record found the same is counted without the per-record bookkeeping of the rest."""

from __future__ import annotations

from collections import Counter

import pytest

from statesync.core import catalog, wire
from statesync.core.sync import pipeline, source
from statesync.core.sync.source import Outgoing


def _record(record_id: int, text: str) -> Outgoing:
    values = [record_id, text] + [None] * (len(catalog.get("School").columns) - 2)
    data = wire.encode(values)
    return Outgoing(record_id, data, wire.hexdigest(data), values)


class FakeState:
    """Holds IDs 1-600 as the district has them, except 100-199 (changed), and 1001-1010 (the
    district deleted them); accepts whatever it is sent."""

    def __init__(self, district: list[Outgoing]):
        held = {r.id: r.digest for r in district if not 100 <= r.id < 200 and r.id <= 600}
        held |= {i: "0" * 32 for i in range(100, 200)} | {i: "0" * 32 for i in range(1_001, 1_011)}
        self.items = sorted(held.items())
        self.sent: list[int] = []

    def digest_pages(self, name, school_year, after=0):
        items = [item for item in self.items if item[0] > after]
        for start in range(0, len(items), 250):
            yield items[start : start + 250]

    def records(self, name, ids):
        return {i: {} for i in ids}

    def send_batch(self, name, upserts, deletes=(), **kwargs):
        self.sent += [r.id for r in upserts]
        result = wire.BatchResult(object=name, deleted=len(deletes))
        for record in upserts:
            if record.id < 100 or 200 <= record.id <= 600:
                result.unchanged += 1
            elif record.id < 200:
                result.updated += 1
            else:
                result.inserted += 1
        return result


class Journal:
    def __init__(self):
        self.counts: Counter[str] = Counter()
        self.judged: list[int] = []
        self.checkpoints: list[int] = []

    def check(self) -> None:
        pass

    def record(self, outcome: pipeline.BatchOutcome) -> None:
        self.counts.update(outcome.counts)
        self.judged += outcome.judged
        self.checkpoints.append(outcome.checkpoint)


@pytest.mark.parametrize("mode", ["differential", "force", "verify"])
def test_every_record_is_counted_once_in_every_mode(mode, monkeypatch):
    district = [_record(i, f"record {i}") for i in range(1, 1_001)]
    state = FakeState(district)
    monkeypatch.setattr(source, "records", lambda name, year, after=0: iter(district))
    monkeypatch.setattr(source, "clock", lambda: 1)
    monkeypatch.setattr(source, "existing_ids", lambda name, ids: set())
    journal = Journal()
    obj = catalog.get("School")
    sync = pipeline.ObjectSync(
        obj, state, journal, mode=mode, school_year=2024, run_id=1, batch_size=64
    )
    sync.execute(clock=lambda: 0.0)  # no flush by time: by size, and at the end
    assert journal.judged == list(range(1, 1_001))  # each once, in order
    assert journal.checkpoints == sorted(journal.checkpoints)
    counts = journal.counts
    assert counts["processed"] == 1_000
    assert counts["at_state"] == 600 + 10 * (mode == "verify")  # and 1001-1010 in verify
    same, changed, new = 500, 100, 400
    if mode == "differential":
        assert state.sent == list(range(100, 200)) + list(range(601, 1_001))
        assert (counts["unchanged"], counts["updated"], counts["inserted"]) == (same, changed, new)
    elif mode == "force":
        assert state.sent == list(range(1, 1_001))
        assert (counts["unchanged"], counts["updated"], counts["inserted"]) == (same, changed, new)
    else:  # verify sends nothing and counts what differs
        assert state.sent == []
        assert (counts["unchanged"], counts["updated"], counts["inserted"]) == (same, changed, new)
    assert counts["deleted"] == 10
