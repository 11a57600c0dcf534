"""Searching the Message History: filters from a page's query or the command line, a summary
(counts by result, lag p50/p95 by hour), pages of rows and the CSV report, all in the database.

Percentiles are read off a histogram of lag buckets counted by SQL (a GROUP BY of the hour and
the bucket each message was given when written), not from the rows: a million messages never
come into Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Max, QuerySet, Sum

from statesync.core import catalog
from statesync.core.db import sqlin
from statesync.core.idlists import SelectionError, parse_ids
from statesync.district.models import (
    Message,
    MessageBucket,
    MessageTally,
    Origin,
    Result,
    dis_model,
)
from statesync.district.models.messages import buckets, unpack, upper_ms

ID_KINDS = {
    "record": "the records' own IDs",
    "person": "person IDs (the person and the person's enrollments)",
    "state": "state IDs (the person and the person's enrollments)",
}


class FilterError(ValueError):
    """A filter the history cannot apply; the message names the field and what it takes."""


@dataclass
class MessageFilter:
    start: dt.date | None = None
    end: dt.date | None = None
    object: str = ""
    origin: str = ""
    result: str = ""
    ids: list[int] = field(default_factory=list)
    id_kind: str = "record"

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> MessageFilter:
        """The filter from a page's query (or the command line's options), FilterError naming
        the first field that is wrong."""
        found = cls(
            start=_date(query, "start"),
            end=_date(query, "end"),
            object=_choice(query, "object", catalog.order()),
            origin=_choice(query, "origin", Origin.values),
            result=_choice(query, "result", Result.values),
            id_kind=_choice(query, "id_kind", list(ID_KINDS)) or "record",
        )
        if found.start and found.end and found.start > found.end:
            raise FilterError(f"start ({found.start}) is after end ({found.end}).")
        text = query.get("ids", "")
        if text.strip():
            try:
                parsed = parse_ids(text)
            except SelectionError as exc:
                raise FilterError(f"ids: {exc}") from exc
            if parsed.not_ids:
                raise FilterError(f"ids: not IDs: {', '.join(parsed.not_ids[:10])}.")
            found.ids = parsed.ids
        return found

    def messages(self) -> QuerySet[Message]:
        """The messages that match, newest first."""
        found = Message.objects.all()
        if self.start:
            found = found.filter(queued_at__gte=_midnight(self.start))
        if self.end and self.end < dt.date.max:  # the last day there is has no end to bound
            found = found.filter(queued_at__lt=_midnight(self.end + dt.timedelta(days=1)))
        if self.object:
            found = found.filter(object=self.object)
        if self.origin:
            found = found.filter(origin=self.origin)
        if self.result:
            found = found.filter(result=self.result)
        if self.ids:
            found = found.filter(pk__in=sqlin.among(connection, self._carrying()))
        return found.order_by("-queued_at", "-id")  # the queued_at index, read backwards

    def tallies(self) -> QuerySet[MessageTally]:
        """The days' tallies these filters (but IDs) select."""
        found = MessageTally.objects.all()
        if self.start:
            found = found.filter(day__gte=self.start)
        if self.end:
            found = found.filter(day__lte=self.end)
        for name in ("object", "origin", "result"):
            if getattr(self, name):
                found = found.filter(**{name: getattr(self, name)})
        return found.order_by()

    def _carrying(self) -> list[int]:
        """The messages that carried any of the IDs: those of the IDs' buckets, each looked
        into (a bucket holds 256 IDs; a message in it may carry others)."""
        found: set[int] = set()
        for name, ids in self._wanted().items():
            if not ids:
                continue
            near = MessageBucket.objects.filter(
                bucket__in=sqlin.among(connection, sorted(buckets(ids)))
            )
            if name:
                near = near.filter(object=name)
            candidates = Message.objects.filter(pk__in=near.values("message_id"))
            rows = candidates.values_list("pk", "object", "upserts", "deletes")
            for pk, obj, upserts, deletes in rows.iterator(chunk_size=2000):
                if (not name or obj == name) and not ids.isdisjoint(
                    unpack(upserts) + unpack(deletes)
                ):
                    found.add(pk)
        return sorted(found)

    def _wanted(self) -> dict[str, set[int]]:
        """Object ('' for any) → the record IDs the pasted IDs stand for."""
        if self.id_kind == "record":
            return {self.object: set(self.ids)}
        people = self.ids
        if self.id_kind == "state":  # 10 digits: a pasted one may have lost its leading zeros
            texts = {str(i) for i in self.ids} | {str(i).zfill(10) for i in self.ids}
            person = dis_model(catalog.PERSON).objects
            held = person.filter(**{f"{catalog.STATE_ID_FIELD}__in": sorted(texts)})
            people = list(held.values_list("pk", flat=True))
        enrollments = dis_model(catalog.ENROLLMENT).objects.filter(person_id__in=people)
        return {
            catalog.PERSON: set(people),
            catalog.ENROLLMENT: set(enrollments.values_list("pk", flat=True)),
        }

    def as_query(self) -> dict[str, str]:
        """The filter as a page's query, for links (the CSV, the next page)."""
        query = {
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
            "object": self.object,
            "origin": self.origin,
            "result": self.result,
            "ids": " ".join(map(str, self.ids)),
            "id_kind": self.id_kind if self.ids else "",
        }
        return {k: v for k, v in query.items() if v}


def _date(query: Mapping[str, str], name: str) -> dt.date | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{name}: {text!r} is not a date (YYYY-MM-DD).") from None


def _choice(query: Mapping[str, str], name: str, choices) -> str:
    text = query.get(name, "").strip()
    if text and text not in choices:
        raise FilterError(f"{name}: {text!r} is not one of {', '.join(choices)}.")
    return text


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@dataclass
class Summary:
    total: int
    records: int
    by_result: dict[str, int]
    hours: list[dict]  # {hour, messages, p50_ms, p95_ms}: upper bounds of the lag buckets

    @classmethod
    def empty(cls) -> Summary:
        return cls(0, 0, dict.fromkeys(Result.values, 0), [])


def summarize(chosen: MessageFilter, hours: int = 48) -> Summary:
    """Counts by result — from the days' tallies, unless IDs are asked for — and per hour
    (the latest `hours` with messages) the lag's p50 and p95, by a GROUP BY the indexes
    answer alone: a million messages never come into Python, nor are they counted row by row."""
    messages = chosen.messages().order_by()
    counted: Iterable[tuple[str, int, int | None]]
    if chosen.ids:
        counted = messages.values_list("result").annotate(n=Count("id"), r=Sum("records"))
    else:
        tallies = chosen.tallies().values_list("result")
        counted = tallies.annotate(n=Sum("messages"), r=Sum("records"))
    by_result = {result: (n, records or 0) for result, n, records in counted}
    latest = messages.aggregate(latest=Max("hour"))["latest"]
    histogram = (
        messages.filter(lag_bucket__isnull=False, hour__gt=(latest or 0) - hours)
        .values_list("hour", "lag_bucket")
        .annotate(n=Count("id"))
        .order_by("-hour", "lag_bucket")
    )
    per_hour: dict[int, list[tuple[int, int]]] = {}
    for hour, bucket, n in histogram.iterator() if latest is not None else ():
        per_hour.setdefault(hour, []).append((bucket, n))
    return Summary(
        total=sum(n for n, _ in by_result.values()),
        records=sum(r for _, r in by_result.values()),
        by_result={r: by_result.get(r, (0, 0))[0] for r in Result.values},
        hours=[_percentiles(hour, counts) for hour, counts in per_hour.items()],
    )


def _percentiles(hour: int, counts: list[tuple[int, int]]) -> dict:
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


CSV_HEADER = (
    "message",
    "object",
    "origin",
    "queued_at",
    "sent_at",
    "answered_at",
    "lag_ms",
    "attempts",
    "result",
    "records",
    "rejected",
    "codes",
    "reason",
)


def csv_rows(messages: QuerySet[Message]) -> Iterator[tuple]:
    """The CSV report's rows, read a chunk at a time through the database's own cursor
    (server-side on PostgreSQL), without the ORM's converters per value: they made a million
    rows a 40-second report (measured at 200,000: 8.4 s against 2.5)."""
    columns = (
        *("pk", "object", "origin", "origin_ref", "queued_at", "sent_at", "answered_at"),
        *("lag_ms", "attempts", "result", "records", "rejected", "codes", "reason"),
    )
    sql, params = messages.values_list(*columns).query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CSV_CHUNK):
            for pk, obj, origin, ref, queued, sent, answered, *rest in chunk:
                origin_text = f"{origin} {ref}" if ref is not None else origin
                yield (pk, obj, origin_text, _iso(queued), _iso(sent), _iso(answered), *rest)


CSV_CHUNK = 5000


def _iso(moment: dt.datetime | None) -> str:
    """ISO 8601 with its zone; SQLite's datetimes come back naive, and are kept in UTC."""
    if moment is None:
        return ""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).isoformat()
