"""What a bench run found: each figure beside the raw database rate, as text or JSON."""

from __future__ import annotations

import math
import os
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path

TARGETS = {  # issue #27's, at seed scale (docs/PERFORMANCE.md, "Where each target stands")
    "force": "≥ 50,000 records/s, every state ID at the district ≤ 10 s after the run",
    "cpu": "≤ 20 µs a record in all on SQLite, ≤ 25 on PostgreSQL",
    "differential_unchanged": "≥ 250,000 records/s",
    "selective_p95": "≤ 30 ms",
    "worker_peak": "≤ 300 MB at 1M records",
    "message_history": "recording ≤ 5 % of a forced resync; a search over 1,000,000 messages "
    "p95 ≤ 300 ms; their CSV in constant memory",
}


def machine() -> str:
    """This machine, as a report names it: its cores and memory."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{os.cpu_count()} cores, {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores, memory unknown"


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50, p95 (nearest rank) and max of `ms`, in ms, with their count."""
    if not ms:
        return {"count": 0}
    ms = sorted(ms)
    return {
        "count": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p95": round(ms[math.ceil(0.95 * len(ms)) - 1], 1),
        "max": round(ms[-1], 1),
    }


@dataclass
class Figure:
    name: str
    records: int
    seconds: float
    peak_mb: float | None = None
    note: str = ""
    # A resync's whole command: the run, then the state's changes it applied down (a first
    # resync's state IDs), which the run's own seconds above do not include.
    command_seconds: float | None = None
    applied_down: int = 0
    # Seconds after the run until the state's identity resolver had settled its records.
    identity_seconds: float | None = None
    # Records the state refused (the Ed-Fi rows: what lightbeam counted failed).
    refused: int | None = None
    # CPU seconds by process: district, state (web), resolver, database (PostgreSQL's own).
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    def cpu_us(self) -> dict[str, float]:
        """µs of CPU per record by process, and their total."""
        if not self.cpu_seconds or not self.records:
            return {}
        per = {k: round(v * 1e6 / self.records, 1) for k, v in self.cpu_seconds.items()}
        return per | {"total": round(sum(self.cpu_seconds.values()) * 1e6 / self.records, 1)}

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


@dataclass
class Report:
    scale: str
    records: int
    database: str
    machine: str
    figures: list[Figure] = field(default_factory=list)
    selective_ms: dict[str, float] = field(default_factory=dict)
    stalled_ms: dict[str, float] = field(default_factory=dict)  # the same, beside stalled clients
    web_peak_mb: float = 0.0
    # The Message History at scale (tools/bench/history.py): messages written, the page's
    # searches (percentiles by search) and the CSV report's rows, seconds and peak memory.
    history: dict = field(default_factory=dict)

    @property
    def raw(self) -> float:
        """The database's best rate for these records: every figure is compared with it."""
        return max(f.rate for f in self.figures if f.name.startswith("raw upsert"))

    def as_dict(self) -> dict:
        raw = self.raw
        return {
            "scale": self.scale,
            "records": self.records,
            "database": self.database,
            "machine": self.machine,
            "figures": [
                {
                    **asdict(f),
                    "rate": round(f.rate),
                    "ratio_to_raw": round(f.rate / raw, 3),
                    "cpu_us_per_record": f.cpu_us(),
                }
                for f in self.figures
            ],
            "floor_us_per_record": self.floor_us(),
            "selective_ms": self.selective_ms,
            "selective_ms_beside_stalled_clients": self.stalled_ms,
            "web_peak_mb": self.web_peak_mb,
            "message_history": self.history,
            "targets": TARGETS,
        }

    def floor_us(self) -> float:
        """The database's floor in the same run: µs per record of its best raw write."""
        return round(1e6 / self.raw, 1) if self.raw else 0.0

    def table(self) -> str:
        raw = self.raw
        lines = [
            f"statesync bench: {self.records:,} records ({self.scale}), {self.database}, "
            f"{self.machine}",
            f"{'measure':<34} {'records':>10} {'seconds':>8} {'records/s':>11} "
            f"{'x raw':>6} {'peak MB':>8}",
        ]
        for f in self.figures:
            peak = f"{f.peak_mb:,.0f}" if f.peak_mb else ""
            lines.append(_row(f.name, f.records, f.seconds, raw, peak, f.note))
            if f.applied_down and f.command_seconds:
                lines.append(
                    _row(
                        "  the command, with the sync down",
                        f.records,
                        f.command_seconds,
                        raw,
                        note=f"then {f.applied_down:,} state changes applied down",
                    )
                )
            if f.identity_seconds is not None:
                lines.append(f"  identity settled {f.identity_seconds:.2f} s after the run")
            if used := f.cpu_us():
                listed = ", ".join(f"{k} {v:.1f}" for k, v in used.items())
                lines.append(f"  CPU µs/record: {listed} (floor {self.floor_us():.1f})")
        for name, s in (
            ("selective sync, 1 person (HTTP)", self.selective_ms),
            (f"  beside {self.stalled_ms.get('stalled', 0)} stalled clients", self.stalled_ms),
        ):
            if s:
                lines.append(
                    f"{name:<34} {s['calls']:>10} "
                    f"p50 {s['p50']:.1f} ms  p95 {s['p95']:.1f} ms  max {s['max']:.1f} ms"
                )
        lines.append(f"{'web process peak memory':<34} {self.web_peak_mb:>10,.0f} MB")
        lines += self._history_lines()
        lines.append("targets: " + "; ".join(f"{k} {v}" for k, v in TARGETS.items()))
        return "\n".join(lines)

    def _history_lines(self) -> list[str]:
        if not self.history:
            return []
        held = self.history["held"]
        lines = [f"Message History, {held:,} messages ({self.history['messages']:,} written)"]
        for name, s in self.history["searches"].items():
            lines.append(
                f"  {name:<32} {s['count']:>10} "
                f"p50 {s['p50']:.1f} ms  p95 {s['p95']:.1f} ms  max {s['max']:.1f} ms"
            )
        csv = self.history["csv"]
        lines.append(
            f"  {'CSV of every message':<32} {csv['rows']:>10,} rows in {csv['seconds']:.1f} s, "
            f"peak {csv['peak_mb']} MB"
        )
        return lines


def _row(
    name: str, records: int, seconds: float, raw: float, peak: str = "", note: str = ""
) -> str:
    rate = records / seconds if seconds else 0.0
    return (
        f"{name:<34} {records:>10,} {seconds:>8.2f} {rate:>11,.0f} {rate / raw:>6.2f} {peak:>8}"
        + (f"  {note}" if note else "")
    )


# The outer process ----------------------------------------------------------------------
