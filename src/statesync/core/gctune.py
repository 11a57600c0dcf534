"""Python's cyclic garbage collector, tuned for statesync's bulk work
(docs/bench-log/2026-11-notebook.md, "Collecting less often")."""

from __future__ import annotations

import gc

# Allocations between collections of the youngest objects (Python's default: 700).
YOUNG_THRESHOLD = 50_000


def collect_less_often() -> None:
    """Run the cyclic collector less often, and never over what start-up made.

    A batch makes hundreds of thousands of short-lived objects (rows, records, tuples) that
    reference counting frees; at Python's default the collector ran every 700 allocations and
    walked every live object each time it reached the oldest generation: a tenth of the state's
    time on a first resync. Start-up's objects (Django, the catalogue) are never garbage.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 10)
