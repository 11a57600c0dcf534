"""`statesync bench` end to end at a small scale: every figure is measured and reported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_measures_every_figure_beside_the_raw_rate(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "statesync", "bench", "--scale", "small", "--calls", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    names = [f["name"] for f in report["figures"]]
    assert names[:2] == ["raw upsert, as is", "raw upsert, key only"]
    assert "force full resync (HTTP)" in names
    assert all(f["records"] == report["records"] > 0 for f in report["figures"])
    assert report["selective_ms"]["calls"] == 20
    stalled = report["selective_ms_beside_stalled_clients"]
    assert stalled["calls"] == 20 and stalled["stalled"] == 300
