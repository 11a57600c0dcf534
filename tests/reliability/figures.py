"""Counts the reliability tests report (faults injected, hostile inputs, records lost).

They are printed at the end of the run and written to reliability.json in the tests' data
folder (tests/environment.py), which is where docs/RELIABILITY.md takes its figures from.
Under pytest-xdist each worker counts its own and hands them to the controller when it
finishes (tests/conftest.py adds them up).
"""

from __future__ import annotations

import json
from collections import Counter

from tests.environment import RUNS

FIGURES: Counter = Counter()
OUTPUT = RUNS / "reliability.json"


def record(name: str, amount: int = 1) -> None:
    FIGURES[name] += amount


def write() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2))
