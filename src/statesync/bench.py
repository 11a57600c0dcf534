"""`statesync bench`: statesync's speed beside the raw speed of its own database, in one run.

The outer process makes a throw-away data folder (or dedicated PostgreSQL databases) and runs
`statesync bench --inside` there, so a bench never touches real data. Inside: seed, start a
real gunicorn serving the state, measure the raw upsert rate, then run each resync as its own
`statesync resync --foreground` process (whose peak memory the kernel reports), and time
selective syncs through the district's HTTP API.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import httpx

from statesync import catalog

PEOPLE_TARGETS = {  # DESIGN.md §11
    "force": "≥ 100,000 records/s",
    "differential_unchanged": "≤ 5 s at 1M records",
    "selective_p95": "≤ 100 ms",
    "worker_peak": "≤ 300 MB at 1M records",
}
# One field per object that 1% of records get changed in, keeping them valid.
CHANGES = {
    "District": "name = name || '*'",
    "School": "name = name || '*'",
    "Calendar": "name = name || '*'",
    "CourseSection": "course_name = course_name || '*'",
    "SchoolMonth": "name = name || '*'",
    "ScheduleStructure": "name = name || '*'",
    "TermSchedule": "name = name || '*'",
    "PeriodSchedule": "name = name || '*'",
    "Day": "event_code = 'ERL'",
    "PersonIdentity": "first_name = first_name || '*'",
    "Enrollment": "start_status = 'E2'",
}


@dataclass
class Figure:
    name: str
    records: int
    seconds: float
    peak_mb: float | None = None
    note: str = ""

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
    web_peak_mb: float = 0.0

    def figure(self, name: str) -> Figure:
        return next(f for f in self.figures if f.name == name)

    def as_dict(self) -> dict:
        raw = self.figure("raw upsert").rate
        return {
            "scale": self.scale,
            "records": self.records,
            "database": self.database,
            "machine": self.machine,
            "figures": [
                {**asdict(f), "rate": round(f.rate), "ratio_to_raw": round(f.rate / raw, 3)}
                for f in self.figures
            ],
            "selective_ms": self.selective_ms,
            "web_peak_mb": self.web_peak_mb,
            "targets": PEOPLE_TARGETS,
        }

    def table(self) -> str:
        raw = self.figure("raw upsert").rate
        lines = [
            f"statesync bench: {self.records:,} records ({self.scale}), {self.database}, "
            f"{self.machine}",
            f"{'measure':<34} {'records':>10} {'seconds':>8} {'records/s':>11} "
            f"{'x raw':>6} {'peak MB':>8}",
        ]
        for f in self.figures:
            peak = f"{f.peak_mb:,.0f}" if f.peak_mb else ""
            lines.append(
                f"{f.name:<34} {f.records:>10,} {f.seconds:>8.2f} {f.rate:>11,.0f} "
                f"{f.rate / raw:>6.2f} {peak:>8}" + (f"  {f.note}" if f.note else "")
            )
        s = self.selective_ms
        lines.append(
            f"{'selective sync, 1 person (HTTP)':<34} {s['calls']:>10} "
            f"p50 {s['p50']:.1f} ms  p95 {s['p95']:.1f} ms  max {s['max']:.1f} ms"
        )
        lines.append(f"{'web process peak memory':<34} {self.web_peak_mb:>10,.0f} MB")
        lines.append("targets: " + "; ".join(f"{k} {v}" for k, v in PEOPLE_TARGETS.items()))
        return "\n".join(lines)


# The outer process ----------------------------------------------------------------------


def run_outside(scale: str, as_json: bool, keep: bool = False) -> int:
    """Make the bench's own data folder (and databases) and run the bench inside it."""
    home = Path(tempfile.mkdtemp(prefix="statesync-bench-"))
    env = {**os.environ, "STATESYNC_HOME": str(home), "STATESYNC_ROLE": "both"}
    for name in ("STATESYNC_STATE_URL", "STATESYNC_STATE_TOKEN", "STATESYNC_QUEUE_URL"):
        env.pop(name, None)
    cleanup = []
    for var in ("DATABASE_URL", "STATE_DATABASE_URL"):
        if env.get(var, "").startswith("postgres"):
            env[var] = _fresh_postgres(env[var], f"statesync_bench_{var.split('_')[0].lower()}")
            cleanup.append(env[var])
    try:
        return subprocess.call(
            [sys.executable, "-m", "statesync", "bench", "--inside", "--scale", scale]
            + (["--json"] if as_json else []),
            env=env,
        )
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
            for url in cleanup:
                _drop_postgres(url)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/postgres")), parts.path.lstrip("/")


def _fresh_postgres(url: str, name: str) -> str:
    import psycopg

    bench_url = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    admin, _ = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return bench_url


def _drop_postgres(url: str) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Inside the bench's own data folder -------------------------------------------------------


def run_inside(scale: str, as_json: bool, log=print) -> Report:
    from django.core.management import call_command
    from django.db import connections

    from statesync.demo import seed
    from statesync.routers import state_db

    call_command("migrate", verbosity=0)
    call_command("migrate", database="state", verbosity=0)
    log(f"seeding ({scale}) …")
    district = seed.generate(scale, 2024, 1, defects=False)
    seed.write(district)
    del district
    from statesync.district.models import SchoolYear

    SchoolYear.activate(2024)
    total = sum(_count(name) for name in catalog.NAMES)
    report = Report(
        scale, total, connections[state_db()].vendor, f"{os.cpu_count()} cores, {_memory()}"
    )
    with StateServer() as server:
        env = server.connect()
        log("raw upsert limit …")
        report.figures.append(raw_limit(total))
        for name, mode, note in (
            ("force full resync (HTTP)", "force", "every record sent and validated"),
            ("differential, nothing changed", "differential", ""),
        ):
            log(f"{name} …")
            report.figures.append(timed_resync(name, mode, env, note))
        changed = change_one_percent()
        log("differential, 1% changed by SQL …")
        report.figures.append(
            timed_resync(
                "differential, 1% changed by SQL",
                "differential",
                env,
                f"{changed:,} records changed",
            )
        )
        log("verify …")
        report.figures.append(timed_resync("verify", "verify", env, "compare only"))
        log("selective sync latency …")
        report.selective_ms = selective_latency(server.url, calls=200)
        report.web_peak_mb = server.peak_mb()
    return report


def _count(name: str) -> int:
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {catalog.OBJECTS[name].district_table}")
        return cursor.fetchone()[0]


def _memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return "memory unknown"


def raw_limit(total: int) -> Figure:
    """The state database's own rate: the same records, upserted with no statesync in the way."""
    from django.db import connections, transaction
    from django.utils import timezone

    from statesync import bulk
    from statesync.routers import state_db
    from statesync.state.models import District
    from statesync.sync import source

    using = state_db()
    connection = connections[using]
    tenant = District.objects.get(number="0001")
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    digest = b"\0" * 16
    seconds = 0.0
    for name in catalog.order():
        obj = catalog.OBJECTS[name]
        extra_year = obj.year_scoped and name != "Calendar"
        columns = ["tenant_id", "record_id", *obj.parent_keys, *(f.name for f in obj.fields)]
        columns += ["school_year"] if extra_year else []
        columns += ["digest", "accepted_at", "run"]
        rows = []
        for row in source.rows(name, 2024):
            values = [tenant.pk, *row]
            rows.append(
                [*values, 2024, digest, stamp, None]
                if extra_year
                else [*values, digest, stamp, None]
            )
        started = time.perf_counter()
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                bulk.insert_rows(connection, obj.state_table, columns, rows)
            else:
                updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"INSERT INTO {obj.state_table} ({', '.join(columns)}) VALUES "
                        f"({', '.join(['%s'] * len(columns))}) "
                        f"ON CONFLICT (tenant_id, record_id) DO UPDATE SET {updates}",
                        rows,
                    )
        seconds += time.perf_counter() - started
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for name in reversed(catalog.order()):
            cursor.execute(f"DELETE FROM {catalog.OBJECTS[name].state_table}")
    method = "COPY" if connection.vendor == "postgresql" else "executemany upsert"
    return Figure("raw upsert", total, seconds, note=f"{method}, no statesync")


def timed_resync(name: str, mode: str, env: dict, note: str = "") -> Figure:
    """One resync of everything in its own process; its run's duration and peak memory."""
    code = f"from statesync.bench import child_resync; child_resync({mode!r})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "statesync.settings"},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{name}: resync failed: {done.stderr.decode()[-2000:]}")
    report = json.loads(done.stdout)
    result = report["result"]
    if result["status"] != "succeeded":
        raise RuntimeError(f"{name}: run ended {result['status']}: {result['message']}")
    seconds = sum(o["seconds"] for o in result["objects"])
    records = sum(o["processed"] for o in result["objects"])
    return Figure(name, records, seconds, peak_mb=report["peak_kb"] / 1024, note=note)


def child_resync(mode: str) -> None:
    """In a fresh process: resync everything, then print the result and this process's peak.

    The peak is VmHWM, which starts afresh at exec; getrusage's maxrss would carry over the
    resident size of the process that started this one.
    """
    import io

    import django
    from django.core.management import call_command

    django.setup()
    out = io.StringIO()
    call_command("resync", "--all", "--foreground", "--json", "--mode", mode, stdout=out)
    print(json.dumps({"result": json.loads(out.getvalue()), "peak_kb": vm_hwm_kb("self")}))


def vm_hwm_kb(pid: int | str) -> int:
    """Peak resident memory of a process since its exec, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def change_one_percent() -> int:
    from django.db import connections, transaction

    changed = 0
    with transaction.atomic(), connections["default"].cursor() as cursor:
        for name, change in CHANGES.items():
            cursor.execute(
                f"UPDATE {catalog.OBJECTS[name].district_table} SET {change} WHERE id % 100 = 0"
            )
            changed += cursor.rowcount
    return changed


def selective_latency(url: str, calls: int) -> dict[str, float]:
    """Selective sync of one person, `calls` times, through the district API over HTTP."""
    from django.contrib.auth import get_user_model

    from statesync.access.models import PersonalToken
    from statesync.district.models import dis_model

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
    _, secret = PersonalToken.issue(user, "bench")
    ids = list(dis_model("PersonIdentity").objects.values_list("pk", flat=True)[:5000])
    rng = random.Random(7)
    times = []
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30) as c:
        for _ in range(calls):
            started = time.perf_counter()
            response = c.post(
                "/api/district/v1/selective-sync",
                json={"object": "PersonIdentity", "ids": [rng.choice(ids)]},
            )
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or response.json()["synced"] == []:
                raise RuntimeError(
                    f"selective sync failed: {response.status_code} {response.text[:500]}"
                )
    times.sort()
    return {
        "calls": calls,
        "p50": round(statistics.median(times), 1),
        "p95": round(times[int(0.95 * calls) - 1], 1),
        "max": round(times[-1], 1),
    }


class StateServer:
    """gunicorn serving both editions from the bench's data folder."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> StateServer:
        from statesync.web.management.commands.serve import gunicorn_argv

        self.process = subprocess.Popen(
            gunicorn_argv("127.0.0.1", self.port, workers=1, threads=4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + "/login/", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("the bench's web server did not start")

    def connect(self) -> dict:
        """Register the district at the state; the environment resyncs run with."""
        from statesync import config
        from statesync.state.models import District

        token = District.register("0001", "Bench District").issue_token()
        config.save_dis_connection(self.url, token)  # for the server's own district side
        return {**os.environ, "STATESYNC_STATE_URL": self.url, "STATESYNC_STATE_TOKEN": token}

    def peak_mb(self) -> float:
        """Peak resident memory of the server's worker processes (VmHWM)."""
        peak = 0
        for pid in _children(self.process.pid):
            with contextlib.suppress(OSError):
                peak = max(peak, vm_hwm_kb(pid))
        return peak / 1024

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().split(") ")[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


CURVE_SIZES = (10_000, 30_000, 100_000, 300_000, 1_000_000)


def run_curve(png: Path, sizes=CURVE_SIZES, log=print) -> list[dict]:
    """The bench at each size, then a chart of throughput and time against size."""
    reports = []
    for size in sizes:
        log(f"bench at {size:,} records …")
        done = subprocess.run(
            [sys.executable, "-m", "statesync", "bench", "--scale", str(size), "--json"],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench at {size} failed: {done.stderr.decode()[-2000:]}")
        reports.append(json.loads(done.stdout))
    plot(reports, png)
    png.with_suffix(".json").write_text(json.dumps(reports, indent=1))
    return reports


def plot(reports: list[dict], png: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("the chart needs matplotlib: pip install 'statesync[bench]'") from None
    sizes = [r["records"] for r in reports]
    names = [f["name"] for f in reports[0]["figures"]]
    fig, (rate_ax, time_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name in names:
        rates = [next(f for f in r["figures"] if f["name"] == name)["rate"] for r in reports]
        secs = [next(f for f in r["figures"] if f["name"] == name)["seconds"] for r in reports]
        rate_ax.plot(sizes, rates, marker="o", label=name)
        time_ax.plot(sizes, secs, marker="o", label=name)
    for ax, title, unit in ((rate_ax, "Throughput", "records/s"), (time_ax, "Time", "seconds")):
        ax.set_xscale("log")
        ax.set_xlabel("records in the district")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    time_ax.set_yscale("log")
    rate_ax.legend(fontsize=8)
    fig.suptitle(f"statesync bench on {reports[0]['database']}, {reports[0]['machine']}")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
