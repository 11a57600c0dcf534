"""Record IDs packed into a message (core/messagelog.py): a batch's IDs deflated, a few kept
plain, both read back exactly; a value packed plain before deflating existed still reads. A
sent body and its answer are kept compressed and read back exactly, and one kept plain (before
they were compressed, or an answer that is not JSON) still reads as it was."""

from __future__ import annotations

import random
from array import array

import pytest

from statesync.core.messagelog import DEFLATE_FROM, pack, squeeze, unpack, unsqueeze


@pytest.mark.parametrize("count", [0, 1, 31, 32, 33, 2000, 5000])
def test_ids_read_back_exactly_plain_or_deflated(count):
    rng = random.Random(count)
    for ids in (list(range(7, 7 + count)), sorted(rng.sample(range(1, 2**63 - 1), count))):
        packed = pack(ids)
        assert unpack(packed) == ids
        assert (len(packed) % 8 != 0) == (count * 8 >= DEFLATE_FROM)


def test_a_batch_of_consecutive_ids_shrinks_and_old_plain_values_still_read():
    ids = list(range(1000, 3000))
    assert len(pack(ids)) < len(ids) * 8 // 4
    assert unpack(array("q", ids).tobytes()) == ids
    assert unpack(memoryview(pack(ids))) == ids


@pytest.mark.parametrize(
    "sent",
    [b"", b'{"upserts":[[1,"Ada"]]}', b"[]", b"Bad Gateway", "Zoë".encode(), b"x" * 500_000],
)
def test_a_body_or_answer_reads_back_as_sent(sent):
    kept = squeeze(sent)
    assert unsqueeze(kept) == sent
    assert unsqueeze(memoryview(kept)) == sent
    assert unsqueeze(sent) == sent  # kept plain, as before bodies were compressed
    if len(sent) > 1000:
        assert len(kept) < len(sent) // 10


def test_bytes_that_only_look_compressed_are_returned_as_they_are():
    assert unsqueeze(b"\xffnot compressed") == b"\xffnot compressed"
    assert unsqueeze(None) == b""
