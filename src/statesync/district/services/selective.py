"""Selective sync (docs/DESIGN.md §8): a pasted list of person or enrollment IDs, synced now.

IDs may be separated by line breaks, commas or spaces in any mix; duplicates collapse; tokens
that are not IDs, and IDs that match nothing, are listed back and nothing happens for them.
A record's parents that selective sync also takes (an enrollment's person) are sent first, so
the state has what the record references.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from statesync.core import catalog, wire
from statesync.core import output as words
from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.core.sync.pipeline import STATE, Problem
from statesync.core.sync.source import Outgoing, Unreadable
from statesync.district.models import ErrorLogEntry, ErrorSource, SelectiveSync
from statesync.district.services.dis import state_client
from statesync.district.worker.heartbeat import Heartbeat

log = logging.getLogger(__name__)
OBJECTS = tuple(o.name for o in catalog.selective_objects())
MAX_IDS = 10_000
MAX_ID = 2**63 - 1
SEND_BATCH = 2000
_SEPARATORS = re.compile(r"[\s,]+")
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() takes any script's digits


class SelectionError(ValueError):
    """Input that cannot be synced at all; the message says what to do instead."""


@dataclass
class ParsedIds:
    ids: list[int] = field(default_factory=list)
    not_ids: list[str] = field(default_factory=list)
    duplicates: int = 0


def parse_ids(text: str, limit: int = MAX_IDS) -> ParsedIds:
    """Split `text` into distinct IDs (in the order given) and the tokens that are not IDs."""
    parsed = ParsedIds()
    seen: set[int] = set()
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        value = int(token) if _DIGITS.fullmatch(token) else 0
        if not 0 < value <= MAX_ID:
            if len(parsed.not_ids) < 1000:  # say enough to fix the paste, not everything
                # Shown back, and stored: NUL as a visible symbol (no database keeps NUL).
                parsed.not_ids.append(token[:40].replace("\x00", "\u2400"))
            continue
        if value in seen:
            parsed.duplicates += 1
            continue
        seen.add(value)
        parsed.ids.append(value)
        if len(parsed.ids) > limit:
            raise SelectionError(
                f"More than {limit:,} IDs were entered; one sync takes at most {limit:,}. "
                "Split the list, or use Resync State Data - Batch to resync whole objects."
            )
    return parsed


@dataclass
class SelectiveResult:
    synced: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    rejected: dict[int, list[dict]] = field(default_factory=dict)
    sent_first: list[int] = field(default_factory=list)  # parents sent ahead of the records
    sent_first_label: str = ""  # what those parents are ("person")


def sync(name: str, ids: list[int], client: StateClient) -> SelectiveResult:
    """Send the records of `name` with these IDs; report what happened to each."""
    if name not in OBJECTS:
        raise SelectionError(f"Selective sync takes {' or '.join(OBJECTS)}, not {name!r}.")
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
            _send_parents_first(client, name, records, result)
            answer = client.send_batch(name, records)
            _take(answer, records, result)
    result.synced.sort()
    return result


def _send_parents_first(
    client: StateClient, name: str, records: list[Outgoing], result: SelectiveResult
) -> None:
    obj = catalog.get(name)
    for parent, key in zip(obj.parent_objects, obj.parent_keys, strict=True):
        if parent.name not in OBJECTS:
            continue
        parent_ids = sorted({p for r in records if (p := r.value(name, key)) is not None})
        parents = [
            r for r in source.by_ids(parent.name, parent_ids).values() if isinstance(r, Outgoing)
        ]
        if parents:
            client.send_batch(parent.name, parents)
            result.sent_first += [p.id for p in parents]
            result.sent_first_label = (parent.label or parent.name).lower()


def _take(answer: wire.BatchResult, records: list[Outgoing], result: SelectiveResult) -> None:
    rejected = {r.id: [wire_error(e) for e in r.errors] for r in answer.rejected}
    result.rejected.update(rejected)
    result.synced += [r.id for r in records if r.id not in rejected]


def wire_error(error: wire.RecordError) -> dict:
    return {"code": error.code, "field": error.field, "message": error.message}


INLINE_LIMIT = 200  # IDs synced within the request; more go to the worker


def perform(entry: SelectiveSync, client: StateClient | None = None) -> SelectiveSync:
    """Carry out a recorded SelectiveSync entry and save what happened to it.

    The entry is claimed and beaten while it runs, so if this process dies housekeeping
    carries it out again (it is idempotent: records are sent as they are now).
    """
    if not entry.claim():
        return entry  # ended, or carried out by someone alive
    with Heartbeat(entry.beat, name=f"heartbeat of selective sync {entry.pk}") as heartbeat:
        return _perform(entry, client, heartbeat)


def _perform(
    entry: SelectiveSync, client: StateClient | None, heartbeat: Heartbeat
) -> SelectiveSync:
    own_client = client is None
    try:
        client = client or state_client()
        result = sync(entry.object, entry.ids_asked, client)
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
