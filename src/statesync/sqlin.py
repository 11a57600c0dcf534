"""`IN (…)` lists in bounded pieces, for queries over many IDs on any database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

CHUNK = 500  # far under SQLite's variable limit, and a plan PostgreSQL caches well


def pieces(values: Sequence, mark: str = "%s") -> Iterator[tuple[str, list]]:
    """(`(mark, mark, …)`, values) for each piece of `values`."""
    for start in range(0, len(values), CHUNK):
        part = list(values[start : start + CHUNK])
        yield f"({', '.join([mark] * len(part))})", part
