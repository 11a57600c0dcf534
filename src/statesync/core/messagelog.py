"""What the district's and the state's Message Histories share (docs/MESSAGES.md): record IDs
packed into a message, the ID buckets a search by ID starts from, lag buckets and the
percentiles read off them, and reading a history's filters from a page's query.

Both sides keep a message as one row, not a row per record: a first resync carries hundreds of
thousands of records in a few hundred messages.
"""

from __future__ import annotations

import datetime as dt
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lz4.frame
from django.db.models import Count, Max, QuerySet

from statesync.core import catalog
from statesync.core.idlists import SelectionError, parse_ids

BUCKET_BITS = 8  # a bucket holds 256 consecutive record IDs


class FilterError(ValueError):
    """A filter a history cannot apply; the message names the field and what it takes."""


def pack(ids: Iterable[int]) -> bytes:
    """Record IDs as a message keeps them: 8 bytes each, in order, and deflated past a few
    dozen (a batch's 2,000 near-consecutive IDs shrink about tenfold: a 16 KB value a batch
    cost PostgreSQL two milliseconds to store, 8 % of the state's time over a first resync).
    A deflated value is told from a plain one by its length, never a multiple of 8."""
    raw = array("q", ids).tobytes()
    if len(raw) < DEFLATE_FROM:
        return raw
    packed = DEFLATED + zlib.compress(raw, 1)
    return packed + b"\0" if len(packed) % 8 == 0 else packed


def unpack(data: bytes | memoryview | None) -> list[int]:
    found = array("q")
    if data:
        raw = bytes(data)
        if len(raw) % 8:  # deflated (what follows the stream is padding)
            raw = zlib.decompressobj().decompress(raw[len(DEFLATED) :])
        found.frombytes(raw)
    return found.tolist()


DEFLATE_FROM = 256  # bytes: 32 IDs
DEFLATED = b"Z"


def squeeze(body: bytes) -> bytes:
    """A body or answer as a message keeps it: LZ4-compressed, behind a byte no UTF-8 text
    starts with. Kept plain, a batch's body cost PostgreSQL more than its own share of a forced
    resync to compress with pglz; LZ4 takes a quarter of a millisecond for 170 KB in the
    district, five times faster than zlib's fastest level (docs/PERFORMANCE.md). A body that
    would not shrink (one saved record's) is kept plain."""
    squeezed = SQUEEZED + lz4.frame.compress(body) if body else body
    return squeezed if len(squeezed) < len(body) else body


def unsqueeze(data: bytes | memoryview | None) -> bytes:
    """A kept body or answer as it was sent; one kept plain is returned as it is."""
    raw = bytes(data or b"")
    if raw[:1] != SQUEEZED:
        return raw
    try:
        return lz4.frame.decompress(raw[1:])
    except RuntimeError:  # not ours after all: bytes a broken server answered
        return raw


SQUEEZED = b"\xff"


def buckets(ids: Iterable[int]) -> set[int]:
    return {i >> BUCKET_BITS for i in ids}


def lag_bucket_of(lag_ms: int | None) -> int | None:
    """Bucket b holds lags under upper_ms(b): 1 ms, 2, 4, 8 … (a percentile is read as the
    upper bound of its bucket, so it is at most twice the true value)."""
    return None if lag_ms is None else max(0, lag_ms).bit_length()


def upper_ms(bucket: int) -> int:
    return 2**bucket


def percentiles(hour: int, counts: Sequence[tuple[int, int]]) -> dict:
    """One hour's row of a summary: its messages and the p50 and p95 of their lag, from the
    hour's (lag bucket, messages) counts in bucket order."""
    total = sum(n for _, n in counts)
    found: dict = {"hour": dt.datetime.fromtimestamp(hour * 3600, tz=dt.UTC), "messages": total}
    for name, share in (("p50_ms", 0.5), ("p95_ms", 0.95)):
        seen = 0
        for bucket, n in counts:
            seen += n
            if seen >= share * total:
                found[name] = upper_ms(bucket)
                break
    return found


def hour_of(moment: dt.datetime) -> int:
    """Whole hours since 1970: what a summary groups messages by."""
    return int(moment.timestamp() // 3600)


def date_field(query: Mapping[str, str], name: str) -> dt.date | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name}: {text!r} is not a date (YYYY-MM-DD).") from None


def choice_field(query: Mapping[str, str], name: str, choices: Sequence[str]) -> str:
    text = query.get(name, "").strip()
    if text and text not in choices:
        raise FilterError(f"{name}: {text!r} is not one of {', '.join(choices)}.")
    return text


def date_range(query: Mapping[str, str]) -> tuple[dt.date | None, dt.date | None]:
    """The query's start and end days, FilterError when one is not a date or they cross."""
    start, end = date_field(query, "start"), date_field(query, "end")
    if start and end and start > end:
        raise FilterError(f"start ({start}) is after end ({end}).")
    return start, end


def day_bounds(start: dt.date | None, end: dt.date | None) -> dict[str, dt.datetime]:
    """A date range as `gte`/`lt` bounds on a moment, in UTC (the last day there is has no
    end to bound)."""
    found = {}
    if start:
        found["gte"] = midnight(start)
    if end and end < dt.date.max:
        found["lt"] = midnight(end + dt.timedelta(days=1))
    return found


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def iso(moment: dt.datetime | None) -> str:
    """ISO 8601 with its zone; SQLite's datetimes come back naive, and are kept in UTC."""
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()


def filter_fields(
    query: Mapping[str, str],
    origins: Sequence[str],
    results: Sequence[str],
    id_kinds: Sequence[str],
) -> dict[str, Any]:
    """A history filter's fields from a page's query (or a command's options); FilterError
    naming the first field that is wrong."""
    start, end = date_range(query)
    return {
        "start": start,
        "end": end,
        "object": choice_field(query, "object", catalog.order()),
        "origin": choice_field(query, "origin", origins),
        "result": choice_field(query, "result", results),
        "id_kind": choice_field(query, "id_kind", id_kinds) or "record",
        "ids": ids_field(query),
    }


def ids_field(query: Mapping[str, str]) -> list[int]:
    """The pasted IDs of a query's `ids`, as selective sync reads them; FilterError when any
    is not an ID or there are too many."""
    text = query.get("ids", "")
    if not text.strip():
        return []
    try:
        parsed = parse_ids(text)
    except SelectionError as exc:
        raise FilterError(f"ids: {exc}") from exc
    if parsed.not_ids:
        raise FilterError(f"ids: not IDs: {', '.join(parsed.not_ids[:10])}.")
    return parsed.ids


def as_query(chosen: Any) -> dict[str, str]:
    """A history's filter as a page's query, for links (the CSV, the next page)."""
    query = {
        "start": chosen.start.isoformat() if chosen.start else "",
        "end": chosen.end.isoformat() if chosen.end else "",
        "object": chosen.object,
        "origin": chosen.origin,
        "result": chosen.result,
        "ids": " ".join(map(str, chosen.ids)),
        "id_kind": chosen.id_kind if chosen.ids else "",
    }
    return {k: v for k, v in query.items() if v}


def carrying(rows: Iterable[tuple[int, str, Any, Any]], name: str, ids: set[int]) -> set[int]:
    """Of (message ID, object, packed upserts, packed deletes) rows, the messages that carried
    any of `ids` of object `name` ('' for any)."""
    return {
        pk
        for pk, obj, upserts, deletes in rows
        if (not name or obj == name) and not ids.isdisjoint(unpack(upserts) + unpack(deletes))
    }


def hourly_lags(messages: QuerySet, hours: int) -> list[dict]:
    """Per hour (the latest `hours` with messages, newest first) its messages and lag p50/p95,
    by a GROUP BY of the hour and lag bucket each message was given when written."""
    latest = messages.aggregate(latest=Max("hour"))["latest"]
    if latest is None:
        return []
    histogram = (
        messages.filter(lag_bucket__isnull=False, hour__gt=latest - hours)
        .values_list("hour", "lag_bucket")
        .annotate(n=Count("id"))
        .order_by("-hour", "lag_bucket")
    )
    per_hour: dict[int, list[tuple[int, int]]] = {}
    for hour, bucket, n in histogram.iterator():
        per_hour.setdefault(hour, []).append((bucket, n))
    return [percentiles(hour, counts) for hour, counts in per_hour.items()]


@dataclass
class Summary:
    total: int
    records: int
    by_result: dict[str, int]
    hours: list[dict]  # {hour, messages, p50_ms, p95_ms}: upper bounds of the lag buckets

    @classmethod
    def of(
        cls,
        counted: Iterable[tuple[str, int, int | None]],
        results: Sequence[str],
        hours: list[dict],
    ) -> Summary:
        """From (result, messages, records) counts, every one of `results` shown."""
        by_result = {result: (n, records or 0) for result, n, records in counted}
        return cls(
            total=sum(n for n, _ in by_result.values()),
            records=sum(r for _, r in by_result.values()),
            by_result={r: by_result.get(r, (0, 0))[0] for r in results},
            hours=hours,
        )


def add_filter_arguments(
    parser, origins: Sequence[str], results: Sequence[str], id_kinds: Sequence[str]
) -> None:
    """A history command's filters, as its page takes them, and how it prints."""
    parser.add_argument("--start", help="From this day (YYYY-MM-DD).")
    parser.add_argument("--end", help="To this day, inclusive (YYYY-MM-DD).")
    parser.add_argument("--object")
    parser.add_argument("--origin", choices=origins)
    parser.add_argument("--result", choices=results)
    parser.add_argument("--ids", help="IDs as selective sync takes them (quoted).")
    parser.add_argument("--id-kind", choices=id_kinds, default="record")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--json", action="store_true", help="The same as --format json.")
    parser.add_argument("--limit", type=int, default=0, help="At most this many (0: all).")


def options_query(opts: Mapping[str, Any]) -> dict[str, str]:
    """A history command's options as the page's query (an object named as the command line
    allows: any case); FilterError for an object there is not."""
    name = opts.get("object") or ""
    if name:
        try:
            name = catalog.parse_names([name])[0]
        except catalog.UnknownObject as exc:
            raise FilterError(str(exc)) from None
    query = {k: str(opts.get(k) or "") for k in ("start", "end", "origin", "result")}
    return query | {"object": name, "ids": opts.get("ids") or "", "id_kind": opts["id_kind"]}


def output_form(opts: Mapping[str, Any]) -> str:
    """table, csv or json: --json stands for --format json."""
    return "json" if opts.get("json") else opts["format"]
