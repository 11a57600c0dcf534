"""What is made once per object for the state's ingest judges and stores exactly as the field
by field code it stands for: `fits` against `say_why` (the rules' verdicts), `copy_values`
against db_value (the copy's row). Records come from the seed, defects included, and from a
valid record of each object with each field made wrong in each way the rules look for."""

from __future__ import annotations

import functools
from typing import Any

import msgspec
import pytest

from statesync.core import catalog, wire
from statesync.core.sync.source import Outgoing, RowReader
from statesync.state.ingest.copies import copy_values, db_value
from statesync.state.rules import Verdicts
from statesync.state.rules.fields import fits, say_why
from statesync.tools.demo import seed


@functools.cache
def seeded() -> seed.District:
    return seed.generate("small", 2024, 3, defects=True)


def records(name: str) -> list[Any]:
    """The seed's rows of `name` as the state decodes them from a batch."""
    reader = RowReader(name)
    sent = [reader.read((*row, None)) for row in seeded().rows[name]]
    sent = [r for r in sent if isinstance(r, Outgoing)]
    body = b'{"upserts":[%s]}' % b",".join(r.data for r in sent)
    _envelope, decoded, _failures = wire.decode_batch(name, body)
    return decoded


def made_wrong(name: str, record: Any) -> list[Any]:
    """`record` with each field, one at a time, missing, empty, too long, with a NUL, or out of
    its code set."""
    wrong = []
    for spec in catalog.get(name).fields:
        values: list[Any] = [None]
        if spec.kind == "str":
            values += ["", "x" * ((spec.max_length or 10) + 1), "a\x00b", "??", "9" * 10]
            values += [c.lower() for c in spec.codes[:1]]
        elif spec.is_list:
            values += [[]]
            if spec.kind == "codes":
                values += [["??"], ["a\x00"], [*spec.codes[:2]]]
        for value in values:
            wrong.append(msgspec.structs.replace(record, **{spec.name: value}))
    return wrong


def _verdicts(name: str, record: Any) -> dict:
    verdicts = Verdicts()
    say_why(catalog.get(name), record, verdicts)
    return verdicts.errors


@pytest.mark.parametrize("name", catalog.NAMES)
def test_a_record_fits_exactly_when_the_rules_find_nothing_wrong(name):
    sent = records(name)
    assert sent, f"the seed made no {name}"
    judged = sent + [w for r in sent[:3] for w in made_wrong(name, r)]
    mismatched = [r for r in judged if fits(name)(r) == bool(_verdicts(name, r))]
    assert mismatched == []
    # Both ways are exercised: records that fit and records that do not.
    assert {fits(name)(r) for r in judged} == {True, False}


@pytest.mark.parametrize("name", catalog.NAMES)
def test_a_copy_row_is_each_value_as_db_value_stores_it(name):
    obj = catalog.get(name)
    for record in records(name):
        by_field = [record.id, *(getattr(record, k) for k in obj.parent_keys)]
        by_field += [db_value(f, getattr(record, f.name)) for f in obj.fields]
        assert copy_values(name)(record) == by_field
