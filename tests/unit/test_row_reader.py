"""Reading a district row into the record it sends (statesync.core.sync.source.RowReader): nested
values stored as JSON text are typed as they are decoded, and read exactly as decoding then
converting them read them, so no record's digest moves (a differential would resend it)."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from statesync.core import wire
from statesync.core.sync.source import Outgoing, RowReader, Unreadable

TERMS = [
    '[{"end_date": "2024-12-20", "name": "Fall", "seq": 1, "start_date": "2024-08-21"}]',
    '[{"seq": "2", "name": "Spring", "start_date": "2025-01-06", "end_date": "2025-05-30"}]',
    "[]",
    "null",
    "",
    None,
]
CODES = ['["AI"]', '["W", "B"]', "[]", "null", "", None, b'["A"]']


def _two_steps(raw, kind):
    """How the reader read nested JSON before: decode it, then convert it to the wire type."""
    if isinstance(raw, str | bytes):
        raw = msgspec.json.decode(raw) if raw else None
    return msgspec.convert(raw, kind, strict=False) if raw is not None else None


@pytest.mark.parametrize("raw", TERMS)
def test_a_terms_text_reads_as_decoding_then_converting_it_did(raw):
    read = RowReader("TermSchedule").read((5, 2, "Semesters", raw, 7))
    assert isinstance(read, Outgoing)
    before = [5, 2, "Semesters", _two_steps(raw, list[wire.Term])]
    assert read.values == before
    assert read.digest == wire.hexdigest(wire.encode(before))
    assert read.version == 7


@pytest.mark.parametrize("raw", CODES)
def test_race_codes_read_as_decoding_then_converting_them_did(raw):
    born = dt.date(2012, 3, 4)
    row = (9, 1, "", "Lee", "Bo", None, None, born, "M", 1, raw, None)
    read = RowReader("PersonIdentity").read(row)
    assert isinstance(read, Outgoing)
    assert read.values[9] is True  # SQLite's 1
    assert read.values[10] == _two_steps(raw, list[str])


def test_already_decoded_values_are_converted_and_bad_ones_named():
    decoded = [{"seq": 1, "name": "Fall", "start_date": "2024-08-21", "end_date": "2024-12-20"}]
    read = RowReader("TermSchedule").read((5, 2, "Semesters", decoded, None))
    assert isinstance(read, Outgoing) and read.values[3][0].start_date == dt.date(2024, 8, 21)
    for bad in ('[{"seq": "first"}]', "[1,", '{"seq": 1}'):
        unreadable = RowReader("TermSchedule").read((5, 2, "Semesters", bad, None))
        assert isinstance(unreadable, Unreadable)
        assert unreadable.field == "terms" and "cannot be read" in unreadable.message
