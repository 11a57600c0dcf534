"""Outside the bench's own data folder: make it (and its databases), run the bench there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg


def run_outside(scale: str, as_json: bool, keep: bool = False, calls: int = 200) -> int:
    """Make the bench's own data folder (and databases) and run the bench inside it."""
    home = Path(tempfile.mkdtemp(prefix="statesync-bench-"))
    env = {**os.environ, "STATESYNC_HOME": str(home), "STATESYNC_ROLE": "both"}
    for name in ("STATESYNC_STATE_URL", "STATESYNC_STATE_TOKEN", "STATESYNC_QUEUE_URL"):
        env.pop(name, None)
    cleanup = []
    for var in ("DATABASE_URL", "STATE_DATABASE_URL", "ROUTER_DATABASE_URL"):
        if env.get(var, "").startswith("postgres"):
            env[var] = fresh_postgres(env[var], f"statesync_bench_{var.split('_')[0].lower()}")
            cleanup.append(env[var])
    try:
        return subprocess.call(
            [sys.executable, "-m", "statesync", "bench", "--inside", "--scale", scale]
            + ["--calls", str(calls)]
            + (["--json"] if as_json else []),
            env=env,
        )
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)
            for url in cleanup:
                drop_postgres(url)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/postgres")), parts.path.lstrip("/")


def fresh_postgres(url: str, name: str) -> str:
    bench_url = urlunparse(urlparse(url)._replace(path=f"/{name}"))
    admin, _ = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return bench_url


def drop_postgres(url: str) -> None:
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# Inside the bench's own data folder -------------------------------------------------------

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


def pyplot():
    """matplotlib's pyplot, drawing into files; an optional extra ('statesync[bench]')."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        raise RuntimeError("the chart needs matplotlib: pip install 'statesync[bench]'") from None
    return plt


def plot(reports: list[dict], png: Path) -> None:
    plt = pyplot()
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
