"""The district → state wire format (docs/DESIGN.md §5): typed records, batches, results, digests.

Both editions build records with these structs and digest them with `digest()`, so a record
the district reads and the same record the state stored always have the same digest.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, cast

import msgspec
import xxhash

from statesync.core import catalog

# Integers are bounded by the columns they land in, so an oversized one is a clear
# E-FORMAT for its record (or a 400 for the envelope), never a database error.
ID = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
INT32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
INT64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class Term(msgspec.Struct, forbid_unknown_fields=True):
    seq: INT32
    name: str
    start_date: dt.date
    end_date: dt.date


class Period(msgspec.Struct, forbid_unknown_fields=True):
    seq: INT32
    name: str
    # "HH:MM", 24-hour; kept as text so the state's rules can say what is wrong with it.
    start_time: str
    end_time: str


_KIND_TYPES: dict[str, Any] = {
    "str": str,
    "int": INT32,
    "bool": bool,
    "date": dt.date,
    "time": str,
    "terms": list[Term],
    "periods": list[Period],
    "codes": list[str],
}


class Record(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every object's record: its district ID."""

    id: ID


@cache
def record_type(name: str) -> type[Record]:
    """The struct of object `name` as an object: ID, parent IDs, then its fields, all nullable.

    Fields are nullable on the wire because a district may lack them; the state's rules, not
    the decoder, say E-REQUIRED, so the answer names the field and the rule.
    """
    return cast(
        type[Record],
        msgspec.defstruct(
            name, _fields(name), bases=(Record,), kw_only=True, forbid_unknown_fields=True
        ),
    )


@cache
def row_type(name: str) -> type[msgspec.Struct]:
    """The same record as an array in catalogue column order: what the district sends.

    Its JSON is the record's canonical form, so the digest is taken from it.
    """
    return msgspec.defstruct(f"{name}Row", [("id", ID), *_fields(name)], array_like=True)


def field_type(spec: catalog.Field) -> Any:
    """The type a field's value has on the wire (nullable: the rules say E-REQUIRED)."""
    return _KIND_TYPES[spec.kind] | None


def _fields(name: str) -> list[tuple[str, Any, Any]]:
    obj = catalog.get(name)
    fields: list[tuple[str, Any, Any]] = [(key, ID | None, None) for key in obj.parent_keys]
    fields += [(f.name, field_type(f), None) for f in obj.fields]
    return fields


class RuleCode(StrEnum):
    """The state's stable rule codes (docs/DESIGN.md §7): what both editions call a rejection."""

    REQUIRED = "E-REQUIRED"  # a required field is missing
    FORMAT = "E-FORMAT"  # wrong shape: state numbers, state ID, course code, unreadable value
    STATE_ID = "E-STATE-ID"  # a well-formed state ID the state never issued
    IDENTITY = "E-IDENTITY"  # a state ID sent with a person plainly not the one it was issued to
    YEAR_CLOSED = "E-YEAR-CLOSED"  # a change to a school year the state has closed
    CODE = "E-CODE"  # a value outside the state's code set
    RANGE = "E-RANGE"  # out of range: dates outside their calendar, end before start
    OVERLAP = "E-OVERLAP"  # overlapping terms, months, or primary enrollments of one person
    DUPLICATE = "E-DUPLICATE"  # a natural key another record of the district already has
    PARENT = "E-PARENT"  # a parent the state does not hold, or rejected


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
    # Records older than the copy the state holds (or than their deletion): not applied.
    stale: int = 0
    # Accepted records the state's identity resolver settles after the batch: people's state
    # IDs, primary enrollments against other districts' (docs/STATE_OWNED.md).
    awaiting_identity: int = 0


VERSION = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class Batch(msgspec.Struct, forbid_unknown_fields=True):
    """What the district sends for one object: records to upsert and IDs to delete.

    `versions`, when given, has one entry per upsert: the record's version in the district,
    so an older copy never replaces a newer one. `deleted_as_of` is the district's version
    clock when the deleted records were found gone: a copy held at the state with a newer
    version is not deleted.
    """

    run: INT64 | None = None
    school_year: INT32 | None = None
    upserts: list[msgspec.Raw] = msgspec.field(default_factory=list)
    versions: list[VERSION] = msgspec.field(default_factory=list)
    deletes: list[ID] = msgspec.field(default_factory=list)
    deleted_as_of: VERSION | None = None


@cache
def typed_batch(name: str, rows: bool = True) -> type[msgspec.Struct]:
    """Batch with typed upserts (arrays, or objects): decoding it validates every record."""
    kind = row_type(name) if rows else record_type(name)
    return msgspec.defstruct(
        f"{name}Batch" if rows else f"{name}ObjectBatch",
        [
            ("run", INT64 | None, None),
            ("school_year", INT32 | None, None),
            # The record type is made at run time from the catalogue.
            ("upserts", list[kind], msgspec.field(default_factory=list)),  # type: ignore[valid-type]
            ("versions", list[VERSION], msgspec.field(default_factory=list)),
            ("deletes", list[ID], msgspec.field(default_factory=list)),
            ("deleted_as_of", VERSION | None, None),
        ],
        forbid_unknown_fields=True,
    )


class DigestPage(msgspec.Struct):
    """A page of the state's accepted records of one object: [[id, hex digest], …] in ID order."""

    items: list[tuple[int, str]]
    next_after: int | None = None


class RecordPage(msgspec.Struct):
    """The state's accepted copies of some records: {column: value} each, in ID order (what
    verify compares field by field to name what differs)."""

    items: list[dict[str, Any]]


MAX_RECORDS = 1000  # records one /records call returns


def plain(value: Any) -> Any:
    """A value as JSON sees it (dates as text, structs as objects): what two sides compare."""
    return msgspec.json.decode(_encoder.encode(value))


class ApiError(msgspec.Struct, omit_defaults=True):
    error: str
    detail: str = ""
    request_id: str | None = None  # on a 500: what finds the error in the server's log


_encoder = msgspec.json.Encoder()
encode = _encoder.encode


def json_text(value: Any) -> str:
    """`value` as JSON text, for a JSON or text column."""
    return _encoder.encode(value).decode()


def canonical(record: Any) -> bytes:
    """The record's canonical JSON: its array form."""
    if isinstance(record, Record):
        record = row_type(type(record).__name__)(*msgspec.structs.astuple(record))
    return _encoder.encode(record)


def digest(record: Any) -> bytes:
    """xxh3-128 of the record's canonical JSON."""
    return xxhash.xxh3_128_digest(canonical(record))


def hexdigest(data: bytes) -> str:
    """The digest as the state's digest listing shows it (hex), computed in C."""
    return xxhash.xxh3_128_hexdigest(data)


# A time with its zone (a zoneless one would be read differently on each side).
Moment = Annotated[dt.datetime, msgspec.Meta(tz=True)]
# A short text the state keeps as sent: no NUL (no database stores it faithfully).
Text = Annotated[str, msgspec.Meta(max_length=150, pattern=r"^[^\x00]*$")]


class ObjectSummary(msgspec.Struct, omit_defaults=True):
    """One object's part of a run the district reports; verify adds its comparison."""

    object: Text
    processed: int
    errors: int
    in_district: int | None = None
    at_state: int | None = None
    matching: int | None = None
    different: int | None = None
    missing: int | None = None
    extra: int | None = None
    rejected: int | None = None


class RunSummary(msgspec.Struct):
    """A district run, as the state's Year Status and Verification Summary show it."""

    run: int
    mode: Text
    status: Text
    requested_by: Text
    requested_from: Text
    finished_at: Moment | None
    errors: int
    objects: Annotated[list[ObjectSummary], msgspec.Meta(max_length=100)]


class YearReport(msgspec.Struct, forbid_unknown_fields=True):
    """What a district tells the state of one school year: whether it is the scoped one, its
    end-of-year resync (its latest full resync), its start-of-year resync, its last verify."""

    school_year: Annotated[int, msgspec.Meta(ge=2000, le=2100)]
    scoped: bool = False
    scoped_at: Moment | None = None
    end_of_year: RunSummary | None = None
    start_of_year: RunSummary | None = None
    last_verify: RunSummary | None = None


class WhoAmI(msgspec.Struct):
    """Which district a token acts for."""

    district: str
    name: str


class DecodeFailure(msgspec.Struct):
    """A record the state could not even read, with what the decoder said."""

    id: int | None
    message: str
    field: str


def decode_batch(name: str, body: bytes) -> tuple[Batch, list[Any], list[DecodeFailure]]:
    """Decode a batch body whose records are arrays or objects (not mixed, for the fast path).

    Records that do not fit their type come back as failures, naming the field; the envelope's
    `versions` then matches the records returned, one for one. Raises msgspec.DecodeError for
    malformed JSON and msgspec.ValidationError when the envelope itself (not one record) is
    wrong.
    """
    for rows in (True, False):
        try:
            batch: Any = msgspec.json.decode(body, type=typed_batch(name, rows))
        except msgspec.ValidationError:
            continue  # another shape, or one record is off
        envelope = Batch(
            run=batch.run,
            school_year=batch.school_year,
            versions=batch.versions,
            deletes=batch.deletes,
            deleted_as_of=batch.deleted_as_of,
        )
        _check_versions(envelope, len(batch.upserts))
        return envelope, batch.upserts, []
    envelope = msgspec.json.decode(body, type=Batch)
    _check_versions(envelope, len(envelope.upserts))
    records: list[Any] = []
    kept: list[int] = []
    failures: list[DecodeFailure] = []
    for i, raw in enumerate(envelope.upserts):
        as_row = bytes(raw).lstrip()[:1] == b"["
        kind = row_type(name) if as_row else record_type(name)
        try:
            records.append(msgspec.json.decode(raw, type=kind))
            kept.append(i)
        except msgspec.ValidationError as exc:
            failures.append(_failure(name, raw, exc, as_row))
    envelope.upserts = []
    if envelope.versions:
        envelope.versions = [envelope.versions[i] for i in kept]
    return envelope, records, failures


def _check_versions(envelope: Batch, upserts: int) -> None:
    if envelope.versions and len(envelope.versions) != upserts:
        raise msgspec.ValidationError(
            f"versions has {len(envelope.versions)} entries for {upserts} upserts; "
            "give one version per upsert, or none - `$.versions`"
        )


def _failure(
    name: str, raw: msgspec.Raw, exc: msgspec.ValidationError, as_row: bool
) -> DecodeFailure:
    message = str(exc)
    field = ""
    if "$" in message:
        path = message.rsplit("`$", 1)[1].rstrip("`")
        head = path.lstrip(".[").split("[")[0].split(".")[0].rstrip("]")
        if as_row and head.isdigit():
            columns = catalog.get(name).columns
            field = columns[int(head)] if int(head) < len(columns) else ""
            message = message.replace(f"$[{head}]", f"$.{field}") if field else message
        else:
            field = head
    try:
        value = msgspec.json.decode(raw)
        record_id = (
            value[0] if as_row and value else value.get("id") if isinstance(value, dict) else None
        )
    except (msgspec.DecodeError, msgspec.ValidationError, AttributeError, IndexError, TypeError):
        record_id = None
    if not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id < 2**63:
        record_id = None
    return DecodeFailure(record_id, message, field)
