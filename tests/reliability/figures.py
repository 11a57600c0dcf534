"""Counts the reliability tests report (faults injected, hostile inputs, records lost).

They are printed at the end of the run and written to var/test/reliability.json, which is
where docs/RELIABILITY.md takes its figures from.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

FIGURES: Counter = Counter()
OUTPUT = Path(__file__).resolve().parents[2] / "var" / "test" / "reliability.json"


def record(name: str, amount: int = 1) -> None:
    FIGURES[name] += amount


def write() -> dict:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    previous = {}
    OUTPUT.write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2))
    return previous | dict(FIGURES)
