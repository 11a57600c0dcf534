"""The district → state wire format (DESIGN.md §5): typed records, batches, results, digests.

Both editions build records with these structs and digest them with `digest()`, so a record
the district reads and the same record the state stored always have the same digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

import msgspec
import xxhash

from statesync import catalog


class Term(msgspec.Struct, forbid_unknown_fields=True):
    seq: int
    name: str
    start_date: dt.date
    end_date: dt.date


class Period(msgspec.Struct, forbid_unknown_fields=True):
    seq: int
    name: str
    # "HH:MM", 24-hour; kept as text so the state's rules can say what is wrong with it.
    start_time: str
    end_time: str


_KIND_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "bool": bool,
    "date": dt.date,
    "time": str,
    "terms": list[Term],
    "periods": list[Period],
    "codes": list[str],
}


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every object's record: its district ID."""

    id: int


@cache
def record_type(name: str) -> type[Record]:
    """The struct of object `name`: ID, parent IDs, then its fields, every one nullable.

    Fields are nullable on the wire because a district may lack them; the state's rules, not
    the decoder, say E-REQUIRED, so the answer names the field and the rule.
    """
    obj = catalog.get(name)
    fields: list[tuple] = [(key, int | None, None) for key in obj.parent_keys]
    fields += [(f.name, _KIND_TYPES[f.kind] | None, None) for f in obj.fields]
    return msgspec.defstruct(
        name, fields, bases=(Record,), kw_only=True, forbid_unknown_fields=True
    )


class RecordError(msgspec.Struct):
    code: str
    field: str
    message: str


class Rejected(msgspec.Struct):
    id: int
    errors: list[RecordError]


class BatchResult(msgspec.Struct):
    object: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    rejected: list[Rejected] = msgspec.field(default_factory=list)


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    """What the district sends for one object: records to upsert and IDs to delete."""

    run: int | None = None
    school_year: int | None = None
    upserts: list[msgspec.Raw] = msgspec.field(default_factory=list)
    deletes: list[int] = msgspec.field(default_factory=list)


@cache
def typed_batch(name: str) -> type[msgspec.Struct]:
    """Batch with typed upserts: decoding it validates every record's shape at once."""
    return msgspec.defstruct(
        f"{name}Batch",
        [
            ("run", int | None, None),
            ("school_year", int | None, None),
            ("upserts", list[record_type(name)], msgspec.field(default_factory=list)),
            ("deletes", list[int], msgspec.field(default_factory=list)),
        ],
        forbid_unknown_fields=True,
    )


class DigestPage(msgspec.Struct):
    """A page of the state's accepted records of one object: [[id, hex digest], …] in ID order."""

    items: list[tuple[int, str]]
    next_after: int | None = None


class ApiError(msgspec.Struct):
    error: str
    detail: str = ""


_encoder = msgspec.json.Encoder()
encode = _encoder.encode


def digest(record: Record) -> bytes:
    """xxh3-128 of the record's canonical JSON (fields in catalogue order)."""
    return xxhash.xxh3_128_digest(_encoder.encode(record))


def from_row(name: str, row: dict[str, Any]) -> Record:
    """A record from database values (ISO strings, 0/1, JSON text already parsed)."""
    return msgspec.convert(row, record_type(name), strict=False)


class DecodeFailure(msgspec.Struct):
    """A record the state could not even read, with what the decoder said."""

    id: int | None
    message: str
    field: str


def decode_batch(name: str, body: bytes) -> tuple[Batch, list[Record], list[DecodeFailure]]:
    """Decode a batch body; records that do not fit their type come back as failures.

    Raises msgspec.DecodeError for malformed JSON and msgspec.ValidationError when the
    envelope itself (not one record) is wrong.
    """
    try:
        batch = msgspec.json.decode(body, type=typed_batch(name))
        envelope = Batch(run=batch.run, school_year=batch.school_year, deletes=batch.deletes)
        return envelope, batch.upserts, []
    except msgspec.ValidationError:
        pass  # one record is off: decode each on its own to say which
    envelope = msgspec.json.decode(body, type=Batch)
    records, failures = [], []
    kind = record_type(name)
    for raw in envelope.upserts:
        try:
            records.append(msgspec.json.decode(raw, type=kind))
        except msgspec.ValidationError as exc:
            failures.append(_failure(raw, exc))
    envelope.upserts = []
    return envelope, records, failures


def _failure(raw: msgspec.Raw, exc: msgspec.ValidationError) -> DecodeFailure:
    message = str(exc)
    field = (
        message.rsplit("$.", 1)[1].rstrip("`").split("[")[0].split(".")[0]
        if "$." in message
        else ""
    )
    try:
        record_id = msgspec.json.decode(raw, type=dict).get("id")
    except (msgspec.DecodeError, msgspec.ValidationError):
        record_id = None
    return DecodeFailure(record_id if isinstance(record_id, int) else None, message, field)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
