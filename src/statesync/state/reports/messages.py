"""Searching the state's Message History of one district: filters, a summary (counts by
result, the state's own time p50/p95 by hour), pages and the CSV report, all in the database
(docs/MESSAGES.md). The same searches as the district's own history, on what the state
received."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django.db import connections
from django.db.models import Count, QuerySet, Sum

from statesync.core import catalog
from statesync.core.db import sqlin
from statesync.core.db.routers import state_db
from statesync.core.messagelog import (
    Summary,
    as_query,
    buckets,
    carrying,
    day_bounds,
    filter_fields,
    hourly_lags,
    iso,
)
from statesync.state.models import District, ReceivedBucket, ReceivedMessage, copy_rows
from statesync.state.models.messages import Origin, Result

ID_KINDS = {
    "record": "the records' own IDs",
    "state": "state IDs (the person and the person's enrollments)",
}


@dataclass
class ReceivedFilter:
    district: District
    start: dt.date | None = None
    end: dt.date | None = None
    object: str = ""
    origin: str = ""
    result: str = ""
    ids: list[int] = field(default_factory=list)
    id_kind: str = "record"

    @classmethod
    def parse(cls, district: District, query: Mapping[str, str]) -> ReceivedFilter:
        """The filter from a page's query, FilterError naming the first field that is wrong."""
        fields = filter_fields(query, Origin.values, Result.values, list(ID_KINDS))
        return cls(district, **fields)

    def messages(self) -> QuerySet[ReceivedMessage]:
        """The district's messages that match, newest first."""
        bounds = day_bounds(self.start, self.end)
        found = ReceivedMessage.objects.using(state_db()).filter(
            district=self.district, **{f"received_at__{op}": at for op, at in bounds.items()}
        )
        for name in ("object", "origin", "result"):
            if getattr(self, name):
                found = found.filter(**{name: getattr(self, name)})
        if self.ids:
            found = found.filter(pk__in=sqlin.among(connections[state_db()], self._carrying()))
        return found.order_by("-received_at", "-id")

    def _carrying(self) -> list[int]:
        """The messages that carried any of the IDs: those of the IDs' buckets, looked into."""
        found: set[int] = set()
        using = state_db()
        for name, ids in self._wanted().items():
            if not ids:
                continue
            near = ReceivedBucket.objects.using(using).filter(
                district=self.district,
                bucket__in=sqlin.among(connections[using], sorted(buckets(ids))),
            )
            if name:
                near = near.filter(object=name)
            candidates = ReceivedMessage.objects.using(using).filter(
                pk__in=near.values("message_id")
            )
            rows = candidates.values_list("pk", "object", "upserts", "deletes")
            found |= carrying(rows.iterator(chunk_size=2000), name, ids)
        return sorted(found)

    def _wanted(self) -> dict[str, set[int]]:
        """Object ('' for any) → the district's record IDs the pasted IDs stand for."""
        if self.id_kind == "record":
            return {self.object: set(self.ids)}
        using, district = state_db(), self.district.pk
        texts = {str(i) for i in self.ids} | {str(i).zfill(10) for i in self.ids}
        people = copy_rows(catalog.PERSON, using).filter(
            tenant_id=district, **{f"{catalog.STATE_ID_FIELD}__in": sorted(texts)}
        )
        person_ids = list(people.values_list("record_id", flat=True))
        enrollments = copy_rows(catalog.ENROLLMENT, using).filter(
            tenant_id=district, person_id__in=person_ids
        )
        return {
            catalog.PERSON: set(person_ids),
            catalog.ENROLLMENT: set(enrollments.values_list("record_id", flat=True)),
        }

    def as_query(self) -> dict[str, str]:
        return as_query(self)


def summarize(chosen: ReceivedFilter, hours: int = 48) -> Summary:
    """Counts by result and, per hour (the latest `hours` with messages), the p50 and p95 of
    the state's time over a message, by GROUP BYs the indexes answer alone."""
    messages = chosen.messages().order_by()
    counted = messages.values_list("result").annotate(n=Count("id"), r=Sum("records"))
    return Summary.of(counted, Result.values, hourly_lags(messages, hours))


CSV_HEADER = (
    *("message", "district", "object", "origin", "received_at", "answered_at", "time_ms"),
    *("result", "records", "inserted", "updated", "unchanged", "deleted", "stale"),
    *("rejected", "codes"),
)
CSV_CHUNK = 5000


def csv_rows(messages: QuerySet[ReceivedMessage], number: str) -> Iterator[tuple]:
    """The CSV report's rows, a chunk at a time through the database's own cursor."""
    columns = (
        *("pk", "object", "origin", "origin_ref", "received_at", "answered_at", "lag_ms"),
        *("result", "records", "inserted", "updated", "unchanged", "deleted", "stale"),
        *("rejected", "codes"),
    )
    sql, params = messages.values_list(*columns).query.sql_with_params()
    with connections[state_db()].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(CSV_CHUNK):
            for pk, obj, origin, ref, received, answered, *rest in chunk:
                origin_text = f"{origin} {ref}" if ref is not None else origin
                yield (pk, number, obj, origin_text, iso(received), iso(answered), *rest)


def messages_of_record(
    district: District, name: str, record_id: int, limit: int = 20
) -> list[tuple[ReceivedMessage, str]]:
    """The latest messages that carried one record, newest first, each with the record's
    rule codes in it ('' where the state took it): the Data Tool's list."""
    chosen = ReceivedFilter(district, object=name, ids=[record_id])
    return [(m, m.problems.get(str(record_id), "")) for m in chosen.messages()[:limit]]
