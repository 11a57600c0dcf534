"""`statesync bench --districts N`: N district editions resync into one state at once
(docs/bench-log/2026-11-notebook.md, "Many districts at once").

Each district is an edition of its own (its data folder and SQLite database, sharing nothing
but the state); the state is served as production runs it, one web worker per core, on
PostgreSQL when `STATE_DATABASE_URL` (or `DATABASE_URL`) names one. While they resync, district
0001 saves a person through the application every half second and its real-time sender sends
it (its worker, as production runs it): the time from the save until the state holds the
change is the real-time latency.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from statesync.tools.bench.outside import drop_postgres, fresh_postgres
from statesync.tools.bench.report import machine, percentiles
from statesync.tools.demo.editions import MIGRATE, Editions, wait_listening
from statesync.web.server import free_port, server_argv

PROBE_EVERY = 0.5  # seconds between the real-time probe's saves
SERVER_LOG = "state-server.log"  # the state's server's own output, in the storm's folder
OUTAGE_MINUTES = "2"  # how long a storm's run waits for a state that stopped answering
# The state's access log line of a batch: its district, object, status and seconds.
_BATCH_LINE = re.compile(
    r'"POST /api/state/v1/districts/(\d{4})/objects/(\w+)/batch [^"]*" (\d{3}) .* ([\d.]+)$'
)


@dataclass
class StormReport:
    districts: int
    scale: str
    database: str
    web_workers: int
    machine: str
    records: int = 0  # every district's, sent and judged
    seconds: float = 0.0  # first run's start to last run's end
    district_rates: dict[str, float] = field(default_factory=dict)  # number → records/s
    # number → (start, end) of its run, in seconds from the first run's start: a district
    # that starts late or ends early had the machine to fewer others for part of its run.
    district_windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    batch_ms: dict[str, float] = field(default_factory=dict)
    realtime_ms: dict[str, float] = field(default_factory=dict)

    @property
    def aggregate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0

    @property
    def fairness(self) -> float:
        """The slowest district's rate over the fastest's."""
        rates = self.district_rates.values()
        return min(rates) / max(rates) if rates else 0.0

    def as_dict(self) -> dict:
        found = asdict(self)
        return found | {"aggregate": round(self.aggregate), "fairness": round(self.fairness, 3)}

    def table(self) -> str:
        rates = sorted(self.district_rates.values())
        lines = [
            f"statesync bench --districts {self.districts}: {self.records:,} records "
            f"({self.scale} each), state on {self.database} with {self.web_workers} web "
            f"workers, {self.machine}",
            f"{'aggregate':<28} {self.aggregate:>11,.0f} records/s over {self.seconds:.2f} s",
            f"{'slowest / fastest district':<28} {rates[0]:>11,.0f} / {rates[-1]:,.0f} "
            f"records/s (fairness {self.fairness:.2f})",
        ]
        if self.district_windows:
            starts = [start for start, _ in self.district_windows.values()]
            ends = [end for _, end in self.district_windows.values()]
            spread = f"{max(starts):>9.2f} s / {max(ends) - min(ends):.2f} s"
            lines.append(f"{'runs started / ended':<28} {spread} apart (first to last)")
        latencies = (("state batch latency", self.batch_ms), ("real-time save", self.realtime_ms))
        for name, ms in latencies:
            lines.append(
                f"{name:<28} {ms.get('count', 0):>11} p50 {ms.get('p50', 0):.0f} ms  "
                f"p95 {ms.get('p95', 0):.0f} ms  max {ms.get('max', 0):.0f} ms"
            )
        lines.append(
            "targets (ten districts): aggregate ≥ 0.9 x one district's rate; slowest ≥ 0.7 x "
            "fastest; a save during the storm reaches the state in ≤ 2 s p95"
        )
        return "\n".join(lines)


def run_storm(count: int, scale: str, log=print, keep: bool = False) -> StormReport:
    """Prepare `count` districts and a state, resync every district at once, measure."""
    home = Path(tempfile.mkdtemp(prefix="statesync-storm-"))
    port = free_port()
    editions = Editions(home, "127.0.0.1", port)
    settings, database = {}, "sqlite"
    url = os.environ.get("STATE_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        settings["STATE_DATABASE_URL"] = fresh_postgres(url, "statesync_bench_storm")
        database = "postgresql"
    workers = os.cpu_count() or 1
    report = StormReport(count, scale, database, workers, machine())
    state = editions.state_env(**settings)
    server = None
    try:
        editions.cli(state, *MIGRATE)
        log(f"preparing {count} district edition(s) of {scale} records …")
        with ThreadPoolExecutor(max_workers=workers) as pool:
            districts = list(
                pool.map(
                    lambda k: editions.prepare_district(
                        state, k, scale, years=1, reseed=True, log=log, defects=False
                    ),
                    range(1, count + 1),
                )
            )
        access_log = home / "state-access.log"
        with access_log.open("w") as out, (home / SERVER_LOG).open("w") as errors:
            server = subprocess.Popen(
                server_argv("127.0.0.1", port, workers=workers),
                env=state,
                stdout=out,
                stderr=errors,
            )
        wait_listening("127.0.0.1", port, server)
        log(f"{count} district(s) resyncing at once …")
        _storm(districts, report, home, server)
        report.batch_ms = percentiles(_batch_seconds(access_log))
        return report
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
            if "STATE_DATABASE_URL" in settings:
                drop_postgres(settings["STATE_DATABASE_URL"])


def _storm(
    districts: list[dict[str, str]], report: StormReport, home: Path, server: subprocess.Popen
) -> None:
    stop_file = home / "storm-over"
    worker = subprocess.Popen(
        [sys.executable, "-m", "statesync", "worker"],
        env=districts[0],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = subprocess.Popen(
        [sys.executable, "-c", f"from {__name__} import probe; probe({str(stop_file)!r})"],
        env={**districts[0], "DJANGO_SETTINGS_MODULE": "statesync.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        results = _resync_all_at_once(districts, home, server)
        stop_file.touch()
        said, errors = probe.communicate(timeout=120)
    finally:
        for child in (probe, worker):
            if child.poll() is None:
                child.terminate()
                child.wait(timeout=30)
    if probe.returncode != 0:
        raise RuntimeError(f"the real-time probe failed: {errors[-2000:]}")
    report.realtime_ms = percentiles(json.loads(said))
    starts, ends = [], []
    for number, result in enumerate(results, start=1):
        if result["status"] not in ("succeeded", "completed_with_errors"):
            raise RuntimeError(
                f"district {number:04d}: run ended {result['status']} ({result.get('message')}); "
                f"{_server_said(home, server)}"
            )
        began = dt.datetime.fromisoformat(result["started_at"])
        ended = dt.datetime.fromisoformat(result["finished_at"])
        records = sum(o["processed"] for o in result["objects"])
        report.records += records
        report.district_rates[f"{number:04d}"] = records / (ended - began).total_seconds()
        starts.append(began)
        ends.append(ended)
    report.seconds = (max(ends) - min(starts)).total_seconds()
    first = min(starts)
    for district, began, ended in zip(report.district_rates, starts, ends, strict=True):
        window = ((began - first).total_seconds(), (ended - first).total_seconds())
        report.district_windows[district] = (round(window[0], 2), round(window[1], 2))


def _resync_all_at_once(
    districts: list[dict[str, str]], home: Path, server: subprocess.Popen
) -> list[dict]:
    """Every district's forced full resync, started together; their results. A run that
    loses the state gives up after OUTAGE_MINUTES (not a deployment's hour): the bench's own
    server is the state, and a bench that waits an hour for it says nothing."""
    argv = [sys.executable, "-m", "statesync", "resync", "--all", "--mode", "force"]
    runs = [
        subprocess.Popen(
            [*argv, "--foreground", "--json"],
            env={**env, "STATESYNC_OUTAGE_MINUTES": OUTAGE_MINUTES},
            stdout=subprocess.PIPE,
            text=True,
        )
        for env in districts
    ]
    results = []
    try:
        for env, run in zip(districts, runs, strict=True):
            out, _ = run.communicate()
            if run.returncode != 0:
                raise RuntimeError(
                    f"district {env['STATESYNC_HOME']}: resync failed; {_server_said(home, server)}"
                )
            results.append(json.loads(out))
    finally:
        for run in runs:  # after a failure, the others too
            if run.poll() is None:
                run.terminate()
    return results


def _server_said(home: Path, server: subprocess.Popen, size: int = 3000) -> str:
    """Whether the state's server still runs (a worker of hypercorn's that dies stops it all,
    silently: its exit code says how), and the end of its log, kept here because the bench's
    folder is removed when the bench ends."""
    state = "still running" if server.poll() is None else f"exited with code {server.returncode}"
    try:
        said = (home / SERVER_LOG).read_text(errors="replace")[-size:]
    except OSError as exc:
        said = f"(no log: {exc})"
    return f"the state's server ({state}) said:\n{said}"


def probe(stop_file: str) -> None:
    """In district 0001's edition, during the storm: save a person through the application
    every PROBE_EVERY seconds (its worker sends it up) and time each save until the state
    holds it. Prints the times (ms) as JSON."""
    import django  # noqa: PLC0415  (a child process: the settings come from its environment)

    django.setup()
    from statesync.core import catalog  # noqa: PLC0415
    from statesync.district.models import dis_model  # noqa: PLC0415
    from statesync.district.services.dis import state_client  # noqa: PLC0415

    client = state_client()
    people = dis_model(catalog.PERSON)
    root: int = dis_model(catalog.ROOT).objects.values_list("pk", flat=True).get()
    while not client.records(catalog.ROOT, [root]):  # a person needs their district there
        time.sleep(0.1)
    ids = list(people.objects.order_by("pk").values_list("pk", flat=True)[:500])
    times: list[float] = []
    while not times or not os.path.exists(stop_file):  # one save at least, however short
        person = people.objects.get(pk=ids[len(times) % len(ids)])
        person.middle_name = f"Probe {len(times)}"
        started = time.perf_counter()
        person.save()
        while (
            client.records(catalog.PERSON, [person.pk]).get(person.pk, {}).get("middle_name")
            != person.middle_name
        ):
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"person {person.pk}'s save never reached the state")
            time.sleep(0.02)
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(PROBE_EVERY)
    print(json.dumps(times))


def _batch_seconds(access_log: Path) -> list[float]:
    """Milliseconds of every batch the state answered, from its access log."""
    found = []
    for line in access_log.read_text(errors="replace").splitlines():
        if (match := _BATCH_LINE.search(line)) and match[3] == "200":
            found.append(float(match[4]) * 1000)
    return found


def plot(reports: list[dict], png: Path) -> None:
    """Aggregate rate, fairness and latencies against the number of districts, into `png`."""
    from statesync.tools.bench.outside import pyplot  # noqa: PLC0415  (an optional extra)

    plt = pyplot()
    counts = [r["districts"] for r in reports]
    fig, (rate_ax, latency_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    rate_ax.plot(counts, [r["aggregate"] for r in reports], marker="o", label="aggregate")
    for label, pick in (("slowest district", min), ("fastest district", max)):
        rates = [pick(r["district_rates"].values()) for r in reports]
        rate_ax.plot(counts, rates, marker="o", label=label)
    for label, key, quantile in (
        ("state batch p50", "batch_ms", "p50"),
        ("state batch p95", "batch_ms", "p95"),
        ("real-time save p95", "realtime_ms", "p95"),
    ):
        latency_ax.plot(counts, [r[key].get(quantile, 0) for r in reports], marker="o", label=label)
    latency_ax.axhline(2000, color="grey", linestyle="--", linewidth=1, label="2 s target")
    for ax, title, unit in ((rate_ax, "Throughput", "records/s"), (latency_ax, "Latency", "ms")):
        ax.set_xlabel("districts resyncing at once")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.set_xticks(counts)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    first = reports[0]
    fig.suptitle(
        f"statesync bench --districts, {first['scale']} records each, state on "
        f"{first['database']} ({first['web_workers']} web workers), {first['machine']}"
    )
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    png.with_suffix(".json").write_text(json.dumps(reports, indent=1))
