"""The Data Tool: one record on both sides at once — the district's values now, the values
last sent, the state's copy (state-owned fields marked), what differs, its errors, its parents,
its children and its messages; and "sync now" for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from statesync.core import catalog, wire
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.core.sync.source import Outgoing, Unreadable
from statesync.district.models import (
    ErrorLogEntry,
    Item,
    Message,
    Origin,
    SentBody,
    StateOwnedField,
    dis_model,
)
from statesync.district.services import sentbodies
from statesync.district.services.messagehistory import MessageFilter
from statesync.district.services.selective import SelectiveResult, send_now

CHILDREN_SHOWN = 20
MESSAGES_SHOWN = 20
PEOPLE_SHOWN = 50


@dataclass
class Row:
    """One column of the record on each side."""

    column: str
    district: Any
    sent: Any
    state: Any
    state_owned: bool

    @property
    def differs(self) -> bool:
        """The state holds something else than the district has now."""
        return self.state is not _ABSENT and wire.plain(self.district) != self.state


_ABSENT = object()  # no copy at the state (or it could not be asked)


@dataclass
class Look:
    """Everything the Data Tool shows of one record."""

    obj: catalog.DisObject
    record_id: int
    exists: bool
    rows: list[Row] = field(default_factory=list)
    unreadable: str = ""  # why the district's own row cannot be read, if it cannot
    at_state: bool = False
    state_problem: str = ""  # why the state's copy is not shown
    sent_in: Message | None = None  # the message whose body gave "last sent"
    errors: list[ErrorLogEntry] = field(default_factory=list)
    parents: list[tuple[str, int]] = field(default_factory=list)
    children: list[tuple[str, int, list[int]]] = field(default_factory=list)  # name, count, IDs
    messages: list[Message] = field(default_factory=list)

    @property
    def record_messages(self) -> list[tuple[Message, Item | None]]:
        """Each message with what became of this record in it (a batch's other records had
        their own results)."""
        return [
            (m, next((i for i in m.items() if i.record_id == self.record_id), None))
            for m in self.messages
        ]

    @property
    def differences(self) -> list[str]:
        return [r.column for r in self.rows if r.differs]


def look(name: str, record_id: int, client: StateClient | None) -> Look:
    """The record `record_id` of `name` on both sides (the state asked through `client`)."""
    obj = catalog.get(name)
    mine = source.by_ids(obj.name, [record_id]).get(record_id)
    found = Look(obj, record_id, exists=mine is not None)
    district = _values(obj, mine)
    if isinstance(mine, Unreadable):
        found.unreadable = f"{catalog.field_label(mine.field)}: {mine.message}"
    state: dict[str, Any] | None = None
    if client is not None:
        try:
            state = client.records(obj.name, [record_id]).get(record_id)
        except StateError as exc:
            found.state_problem = str(exc)
    found.at_state = state is not None
    # The messages that carried it, looked for once: the last values sent come from them too.
    carried = MessageFilter(object=obj.name, ids=[record_id]).messages()
    sent, found.sent_in = _last_sent(carried, record_id)
    owned = StateOwnedField.of(obj.name)
    found.rows = [
        Row(
            column,
            district.get(column),
            sent.get(column, "") if sent else "",
            state.get(column) if state is not None else _ABSENT,
            column in owned,
        )
        for column in obj.columns[1:]
    ]
    found.errors = list(
        ErrorLogEntry.objects.filter(object=obj.name, record_id=record_id, current=True)
    )
    found.parents = [
        (parent.name, value)
        for parent, key in zip(obj.parent_objects, obj.parent_keys, strict=True)
        if (value := district.get(key)) is not None
    ]
    found.children = _children(obj, record_id)
    found.messages = list(carried[:MESSAGES_SHOWN])
    return found


def _values(obj: catalog.DisObject, record: Outgoing | Unreadable | None) -> dict[str, Any]:
    if isinstance(record, Outgoing):
        return dict(zip(obj.columns, record.values, strict=True))
    if record is None:
        return {}
    row = dis_model(obj.name).objects.filter(pk=record.id).values(*obj.columns).first()
    return row or {}


def _last_sent(carried: QuerySet[Message], record_id: int) -> tuple[dict | None, Message | None]:
    """The values of the latest of the messages that `carried` the record whose body is kept."""
    kept = carried.filter(pk__in=SentBody.objects.values("message_id"))
    for message in kept[:MESSAGES_SHOWN]:
        values = sentbodies.read(message, [record_id]).values.get(record_id)
        if values is not None:
            return values, message
    return None, None


def _children(obj: catalog.DisObject, record_id: int) -> list[tuple[str, int, list[int]]]:
    found = []
    for child in map(catalog.get, catalog.children(obj.name)):
        ids = dis_model(child.name).objects.filter(**{obj.key: record_id}).order_by("pk")
        count = ids.count()
        if count:
            found.append(
                (child.name, count, list(ids.values_list("pk", flat=True)[:CHILDREN_SHOWN]))
            )
    return found


def people(query: str = "", birth_date: dt.date | None = None) -> list[dict]:
    """People by name (any part), state ID or birth date: the Data Tool's lookup."""
    person = dis_model(catalog.PERSON).objects.all()
    text = query.strip()
    if text:
        wanted = Q(**{catalog.STATE_ID_FIELD: text})
        for part in text.split():
            wanted |= Q(last_name__icontains=part) | Q(first_name__icontains=part)
        person = person.filter(wanted)
    if birth_date:
        person = person.filter(birth_date=birth_date)
    columns = ("pk", "last_name", "first_name", "birth_date", catalog.STATE_ID_FIELD)
    return list(person.order_by("last_name", "first_name", "pk").values(*columns)[:PEOPLE_SHOWN])


def sync_now(name: str, record_id: int, client: StateClient) -> SelectiveResult:
    """Send this record as it is now, its parents first; what the state said."""
    return send_now(name, [record_id], client, (Origin.DATA_TOOL, record_id))


def as_dict(found: Look) -> dict[str, Any]:
    """What the Data Tool shows, as the command line's JSON gives it."""
    return {
        "object": found.obj.name,
        "id": found.record_id,
        "in_district": found.exists,
        "at_state": found.at_state,
        "state_problem": found.state_problem,
        "differences": found.differences,
        "fields": {
            r.column: {
                "district": wire.plain(r.district),
                "sent": wire.plain(r.sent),
                "state": None if r.state is _ABSENT else r.state,
                "state_owned": r.state_owned,
            }
            for r in found.rows
        },
        "errors": [{"code": e.code, "field": e.field, "message": e.message} for e in found.errors],
        "parents": [f"{name} {pk}" for name, pk in found.parents],
        "children": {name: count for name, count, _ in found.children},
        "messages": [
            {
                "message": m.pk,
                "origin": m.origin_label,
                "result": item.result if item else m.result,
                "codes": item.codes if item else m.codes,
            }
            for m, item in found.record_messages
        ],
    }
