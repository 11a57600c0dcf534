"""Date and sampling helpers the generators share."""

from __future__ import annotations

import datetime as dt
import random


def iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def weekdays(start: dt.date, end: dt.date) -> list[dt.date]:
    days = (end - start).days + 1
    return [d for d in (start + dt.timedelta(n) for n in range(days)) if d.weekday() < 5]


def next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(1)
    return day


def tile(start: dt.date, end: dt.date, parts: int) -> list[tuple[dt.date, dt.date]]:
    """Split [start, end] into `parts` contiguous, non-overlapping ranges."""
    span = (end - start).days + 1
    bounds = [start + dt.timedelta(span * i // parts) for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1] - dt.timedelta(1)) for i in range(parts)]


def spread(total: int, slots: int, rng: random.Random, minimum: int = 0) -> list[int]:
    """`total` items over `slots` slots, each at least `minimum`, unevenly as real data is."""
    counts = [minimum] * slots
    for _ in range(total - minimum * slots):
        counts[rng.randrange(slots)] += 1
    return counts


def first_kind(index: int, drawn: int) -> int:
    """A defect's kind: the first record of an object gets kind 0, the one the README names
    (a missing state school number, a calendar ending before it starts, an unknown course
    code, a grade of 13), so even the small district has it; the rest keep their draw, and the
    draw is made for every record so the rest of the district is the same."""
    return 0 if index == 0 else drawn


def pick_defects(rng: random.Random, count: int, rate: float, enabled: bool) -> set[int]:
    """Which of `count` records (by index) get a defect."""
    if not enabled or count == 0:
        return set()
    planted = max(1, round(count * rate))
    return set(rng.sample(range(count), min(planted, count)))
