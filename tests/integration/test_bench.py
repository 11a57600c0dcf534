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
    at = next(i for i, n in enumerate(names) if n.startswith("Ed-Fi POSTs (lightbeam"))
    edfi, ceiling = report["figures"][at : at + 2]
    assert edfi["records"] > 300 and edfi["seconds"] > 0  # its own sample, after the rest
    # Beside it, lightbeam's own ceiling: the same sample to a server that keeps nothing.
    assert ceiling["name"] == "  the same, to a server that keeps nothing"
    assert ceiling["records"] == edfi["records"] and ceiling["seconds"] > 0
    # Then the bench's own seeded district, its first school as Ed-Fi JSON, taken whole.
    seeded = report["figures"][at + 2]
    assert seeded["name"] == "Ed-Fi POSTs (lightbeam, the seeded district's first school)"
    assert seeded["records"] > 100 and seeded["refused"] == 0, seeded
    native = [f for f in report["figures"] if f not in (edfi, ceiling, seeded)]
    assert all(f["records"] == report["records"] > 0 for f in native)
    # A first resync's command goes on after its run: the state IDs it was given come down.
    force = next(f for f in report["figures"] if f["name"] == "force full resync (HTTP)")
    assert force["applied_down"] > 0 and force["command_seconds"] > force["seconds"]
    # The same batches applied by the state in process (before the run, which then found the
    # state emptied again), printed beside it.
    assert names[names.index("force full resync (HTTP)") + 1] == "force, the state alone"
    assert report["selective_ms"]["calls"] == 20
    stalled = report["selective_ms_beside_stalled_clients"]
    assert stalled["calls"] == 20 and stalled["stalled"] == 300
    # The forced run again, its batches left out of the Message History and then recorded
    # (one round of off, on, on, off below the seed scale; two from it).
    assert names.count("force again, Message History off") == 2
    assert names.count("force again, Message History on") == 2
    recording = next(f for f in report["figures"] if "recording:" in f["note"])
    assert recording["note"].endswith("of the time (all 2 pairs)")
    # The Message History at a fiftieth of the seed scale's million (and the runs' own):
    # searched, exported whole.
    history = report["message_history"]
    assert history["messages"] == 20_000 and history["csv"]["rows"] == history["held"] > 20_000
    assert all(s["count"] == 20 for s in history["searches"].values())


@pytest.mark.slow
def test_bench_resyncs_many_districts_at_once_and_measures_each(tmp_path):
    storm = ("--districts", "2", "--scale", "1000", "--json")
    done = subprocess.run(
        [sys.executable, "-m", "statesync", "bench", *storm],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (report,) = json.loads(done.stdout)
    assert report["districts"] == 2
    assert set(report["district_rates"]) == {"0001", "0002"}
    assert report["records"] > 2000 and report["aggregate"] > 0
    assert 0 < report["fairness"] <= 1
    windows = report["district_windows"]  # each run's start and end, from the first start
    assert set(windows) == {"0001", "0002"} and min(start for start, _ in windows.values()) == 0
    assert all(0 <= start < end <= report["seconds"] + 0.01 for start, end in windows.values())
    # Every batch of both districts was timed at the state; the probe's saves reached it.
    assert report["batch_ms"]["count"] >= 2 * 11
    assert report["realtime_ms"]["count"] >= 1


def test_district_counts_are_checked():
    done = subprocess.run(
        [sys.executable, "-m", "statesync", "bench", "--districts", "1,x"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "'1,x': district counts are numbers, like 1,4,10" in done.stderr


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--districts", "0,4"], "'0,4': each count is 1 to 50 districts"),
        (["--plot", "chart.png"], "--plot charts the runs of --districts: give --districts too"),
    ],
)
def test_a_storm_asked_for_wrongly_is_refused_clearly(args, said, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "statesync", "bench", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert said in done.stderr
    assert not (tmp_path / "chart.png").exists()


def test_a_bench_server_that_fails_to_start_says_why(monkeypatch, tmp_path):
    from statesync.tools.bench import inside

    monkeypatch.setenv("STATESYNC_HOME", str(tmp_path))
    failing = [sys.executable, "-c", "print('no such table: state_district'); raise SystemExit(3)"]
    monkeypatch.setattr(inside, "server_argv", lambda *args, **kwargs: failing)
    with pytest.raises(RuntimeError) as refused, inside.StateServer():
        pass
    assert "(exit code 3)" in str(refused.value)
    assert "no such table: state_district" in str(refused.value)


def test_a_storm_whose_state_stopped_says_how_and_what_it_logged(tmp_path):
    from statesync.tools.bench.storm import _server_said

    (tmp_path / "state-server.log").write_text("Running on http://127.0.0.1:1\n")
    stopped = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    stopped.wait()
    said = _server_said(tmp_path, stopped)
    assert said == "the state's server (exited with code 3) said:\nRunning on http://127.0.0.1:1\n"
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _server_said(tmp_path / "gone", running).startswith(
            "the state's server (still running) said:\n(no log: "
        )
    finally:
        running.kill()
        running.wait()


def test_a_storms_runs_wait_minutes_not_an_hour_for_a_lost_state(monkeypatch, tmp_path):
    from statesync.tools.bench import storm

    started = []

    class Run:
        returncode = 0

        def __init__(self, argv, env, **kwargs):
            started.append(env)

        def communicate(self):
            return '{"status": "succeeded"}', None

        def poll(self):
            return 0

    monkeypatch.setattr(storm.subprocess, "Popen", Run)
    districts = [{"STATESYNC_HOME": str(tmp_path / f"d{k}")} for k in (1, 2)]
    results = storm._resync_all_at_once(districts, tmp_path, server=None)
    assert results == [{"status": "succeeded"}] * 2
    assert [env["STATESYNC_OUTAGE_MINUTES"] for env in started] == ["2", "2"]
