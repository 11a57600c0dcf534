"""The bench's table: every figure beside the raw rate, and a resync's whole command below it."""

from __future__ import annotations

from statesync.tools.bench.report import Figure, Report


def test_a_resync_that_applied_state_changes_shows_its_whole_command_below_it():
    report = Report("seed", 1000, "sqlite", "2 cores")
    report.figures = [
        Figure("raw upsert, as is", 1000, 0.01),
        Figure("force full resync (HTTP)", 1000, 0.1, command_seconds=0.2, applied_down=300),
        Figure("differential, nothing changed", 1000, 0.02, command_seconds=0.03),
    ]
    lines = report.table().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("force full resync"))
    assert "10,000" in lines[at] and "0.10" in lines[at]  # the run: 1,000 records in 0.1 s
    whole = lines[at + 1]
    assert whole.startswith("  the command, with the sync down")
    assert "0.20" in whole and "5,000" in whole and "then 300 state changes applied down" in whole
    # Nothing applied down: no line for the command.
    assert not any("the command" in line for line in lines[at + 2 :])
