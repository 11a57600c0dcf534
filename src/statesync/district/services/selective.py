"""Selective sync (docs/DESIGN.md §8): a pasted list of person or enrollment IDs, synced now.

IDs may be separated by line breaks, commas or spaces in any mix; duplicates collapse; tokens
that are not IDs, and IDs that match nothing, are listed back and nothing happens for them.
A record's parents that selective sync also takes (an enrollment's person) are sent first, so
the state has what the record references.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core import output as words
from statesync.core.idlists import MAX_IDS, ParsedIds, SelectionError, parse_ids
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.core.sync.pipeline import STATE, Problem
from statesync.core.sync.source import Outgoing, Unreadable
from statesync.district.models import ErrorLogEntry, ErrorSource, Origin, SelectiveSync
from statesync.district.services import messages
from statesync.district.services.dis import state_client
from statesync.district.worker.heartbeat import Heartbeat

log = logging.getLogger(__name__)
__all__ = [
    "MAX_IDS",
    "ParsedIds",
    "SelectionError",
    "parse_ids",
]  # selective sync's own words for its callers
OBJECTS = tuple(o.name for o in catalog.selective_objects())
SEND_BATCH = 2000


@dataclass
class SelectiveResult:
    synced: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    rejected: dict[int, list[dict]] = field(default_factory=dict)
    sent_first: list[int] = field(default_factory=list)  # parents sent ahead of the records
    sent_first_label: str = ""  # what those parents are ("person")


def sync(
    name: str,
    ids: list[int],
    client: StateClient,
    origin: tuple[str, int | None] = (Origin.SELECTIVE, None),
) -> SelectiveResult:
    """Send the records of `name` with these IDs; report what happened to each. `origin`
    is what the Message History says sent them (selective sync N, a resend)."""
    if name not in OBJECTS:
        raise SelectionError(f"Selective sync takes {' or '.join(OBJECTS)}, not {name!r}.")
    return send_now(name, ids, client, origin, parents=OBJECTS)


def send_now(
    name: str,
    ids: list[int],
    client: StateClient,
    origin: tuple[str, int | None],
    parents: tuple[str, ...] | None = None,
) -> SelectiveResult:
    """Send these records of any object as they are now, their parents (of `parents`, or
    all) first; what happened to each."""
    result = SelectiveResult()
    for start in range(0, len(ids), SEND_BATCH):
        part = ids[start : start + SEND_BATCH]
        found = source.by_ids(name, part)
        result.not_found += [i for i in part if i not in found]
        records = [r for r in found.values() if isinstance(r, Outgoing)]
        for bad in (r for r in found.values() if isinstance(r, Unreadable)):
            result.rejected[bad.id] = [
                {"code": wire.RuleCode.FORMAT, "field": bad.field, "message": bad.message}
            ]
        if records:
            _send_parents_first(client, name, records, result, origin, parents)
            sending = messages.Sending(*origin, name, [r.id for r in records])
            answer = messages.send(client, sending, records)
            _take(answer, records, result)
    result.synced.sort()
    return result


def _send_parents_first(
    client: StateClient,
    name: str,
    records: list[Outgoing],
    result: SelectiveResult,
    origin: tuple[str, int | None],
    among: tuple[str, ...] | None,
) -> None:
    obj = catalog.get(name)
    for parent, key in zip(obj.parent_objects, obj.parent_keys, strict=True):
        if among is not None and parent.name not in among:
            continue
        parent_ids = sorted({p for r in records if (p := r.value(name, key)) is not None})
        parents = [
            r for r in source.by_ids(parent.name, parent_ids).values() if isinstance(r, Outgoing)
        ]
        if parents:
            sending = messages.Sending(*origin, parent.name, [p.id for p in parents])
            messages.send(client, sending, parents)
            result.sent_first += [p.id for p in parents]
            result.sent_first_label = (parent.label or parent.name).lower()


def _take(answer: wire.BatchResult, records: list[Outgoing], result: SelectiveResult) -> None:
    rejected = {r.id: [wire_error(e) for e in r.errors] for r in answer.rejected}
    result.rejected.update(rejected)
    result.synced += [r.id for r in records if r.id not in rejected]


def wire_error(error: wire.RecordError) -> dict:
    return {"code": error.code, "field": error.field, "message": error.message}


INLINE_LIMIT = 200  # IDs synced within the request; more go to the worker


def perform(
    entry: SelectiveSync, client: StateClient | None = None, held: bool = False
) -> SelectiveSync:
    """Carry out a recorded SelectiveSync entry and save what happened to it.

    The entry is claimed (unless it was made `held`) and beaten while it runs, so if this
    process dies housekeeping carries it out again (it is idempotent: records are sent as
    they are now).
    """
    if not held and not entry.claim():
        return entry  # ended, or carried out by someone alive
    with Heartbeat(entry.beat, name=f"heartbeat of selective sync {entry.pk}") as heartbeat:
        return _perform(entry, client, heartbeat)


def _perform(
    entry: SelectiveSync, client: StateClient | None, heartbeat: Heartbeat
) -> SelectiveSync:
    own_client = client is None
    try:
        client = client or state_client()
        result = sync(entry.object, entry.ids_asked, client, (Origin.SELECTIVE, entry.pk))
    except StateError as exc:
        entry.status = SelectiveSync.Status.FAILED
        entry.message = str(exc)
    else:
        entry.status = SelectiveSync.Status.DONE
        entry.synced = result.synced
        entry.not_found = result.not_found
        entry.rejected = {str(k): v for k, v in sorted(result.rejected.items())}
        if result.sent_first:
            count, label = len(result.sent_first), result.sent_first_label
            entry.message = f"Sent {words.count(count, label + ' record')} first."
    finally:
        if own_client and client is not None:
            client.close()
    entry.finished_at = timezone.now()
    schools = source.schools_of(entry.object, [int(k) for k in entry.rejected])
    problems = [
        Problem(int(i), e["code"], e["field"], e["message"], STATE, schools.get(int(i)))
        for i, errors in entry.rejected.items()
        for e in errors
    ]
    with transaction.atomic():
        if heartbeat.lost or not entry.still_held():
            log.warning("selective sync %s was taken over; its result is theirs", entry.pk)
            entry.refresh_from_db()
            return entry
        entry.save()
        if entry.status == SelectiveSync.Status.DONE:  # each found record was judged anew
            ErrorLogEntry.supersede(entry.object, [*entry.synced, *map(int, entry.rejected)])
        ErrorLogEntry.objects.bulk_create(
            ErrorLogEntry.from_problem(entry.object, p, source=ErrorSource.SELECTIVE)
            for p in problems
        )
    return entry
