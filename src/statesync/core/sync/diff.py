"""Comparing the district's records with the state's digests: a merge-join in ID order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from statesync.core.sync.source import Outgoing, Unreadable


class Kind(Enum):
    NEW = "new"  # in the district, not at the state
    CHANGED = "changed"  # at both, digests differ
    SAME = "same"  # at both, digests equal
    EXTRA = "extra"  # at the state, not in the district's scope
    UNREADABLE = "unreadable"  # the district's row cannot be read


@dataclass(slots=True)
class Change:
    kind: Kind
    id: int
    record: Outgoing | Unreadable | None = None
    held: bool = False  # the state holds a copy of this ID (whatever the kind)


def compare(
    district: Iterator[Outgoing | Unreadable], state: Iterator[tuple[int, str]]
) -> Iterator[Change]:
    """Both streams must be in ascending ID order; so is what comes out."""
    d = next(district, None)
    s = next(state, None)
    while d is not None or s is not None:
        if d is not None and (s is None or d.id < s[0]):
            yield _district_only(d)
            d = next(district, None)
        elif s is not None and (d is None or s[0] < d.id):
            yield Change(Kind.EXTRA, s[0])
            s = next(state, None)
        elif d is not None and s is not None:  # the same ID on both sides
            if isinstance(d, Unreadable):
                yield Change(Kind.UNREADABLE, d.id, d, True)
            else:  # most of a differential: positional, the cheapest call
                yield Change(Kind.SAME if d.digest == s[1] else Kind.CHANGED, d.id, d, True)
            d = next(district, None)
            s = next(state, None)


def _district_only(record: Outgoing | Unreadable) -> Change:
    if isinstance(record, Unreadable):
        return Change(Kind.UNREADABLE, record.id, record)
    return Change(Kind.NEW, record.id, record)
