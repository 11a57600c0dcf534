"""Record IDs packed into a message (core/messagelog.py): a batch's IDs deflated, a few kept
plain, both read back exactly; a value packed plain before deflating existed still reads."""

from __future__ import annotations

import random
from array import array

import pytest

from statesync.core.messagelog import DEFLATE_FROM, pack, unpack


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
