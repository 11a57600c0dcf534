"""The bench's Ed-Fi row: lightbeam sends the Grand Bend sample district to the running state.

lightbeam is a real Ed-Fi client (a test dependency); it sends with its default 8 connections,
one record a POST, as it would to an ODS. The rate is beside the native door's in the same run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from statesync.state.models import District, EdfiClient
from statesync.tools.bench.report import Figure
from statesync.tools.demo.edfi import SAMPLE, convert, first_students, write

CONNECTIONS = 8  # lightbeam's default pool
WHOLE_SAMPLE_FROM = 100_000  # records of the native district from which all of Grand Bend goes
SMALL_SAMPLE = 60  # students of Grand Bend a smaller bench sends


def lightbeam_path() -> Path:
    return Path(sys.executable).parent / "lightbeam"


def why_not() -> str:
    """Why the Ed-Fi row cannot be measured here, or "" when it can."""
    if not lightbeam_path().exists():
        return "lightbeam is not installed (make install-dev installs it)"
    if not SAMPLE.exists():
        return f"the Grand Bend sample is not at {SAMPLE} (it is kept with the tests)"
    return ""


def lightbeam_send(url: str, students: int | None = None) -> Figure:
    """Send Grand Bend (with only its first `students`, when given) to the state at `url` as a
    new Ed-Fi district; the rate it was taken."""
    district = District.register("0042", "Grand Bend ISD (Ed-Fi)")
    client, secret = EdfiClient.issue(district, "bench")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        records = convert(SAMPLE)
        counts = write(first_students(records, students) if students else records, root / "data")
        config = root / "lightbeam.yml"
        config.write_text(
            "\n".join(
                [
                    f"data_dir: {root / 'data'}",
                    "namespace: ed-fi",
                    "edfi_api:",
                    f"  base_url: {url}/edfi",
                    "  version: 3",
                    "  mode: shared_instance",
                    f"  client_id: {client.key}",
                    f"  client_secret: {secret}",
                    "connection:",
                    f"  pool_size: {CONNECTIONS}",
                    "  timeout: 60",
                    "  num_retries: 3",
                    "  backoff_factor: 1.5",
                    "  retry_statuses: [500, 502, 503, 504]",
                    "  verify_ssl: False",
                    "log_level: WARNING",
                ]
            )
        )
        results = root / "send.json"
        started = time.perf_counter()
        subprocess.run(
            [str(lightbeam_path()), "send", "-c", str(config), "--results-file", str(results)],
            capture_output=True,
            check=False,
            timeout=3600,
        )
        seconds = time.perf_counter() - started
        sent = json.loads(results.read_text())
    failed = sent["total_records_failed"]
    note = (
        f"lightbeam send, {CONNECTIONS} connections, one record a POST; "
        f"{failed:,} refused as docs/EDFI.md explains"
    )
    name = "Ed-Fi POSTs (lightbeam, Grand Bend)"
    if students:
        name = f"Ed-Fi POSTs (lightbeam, Grand Bend, {students} students)"
    return Figure(name, sum(counts.values()), seconds, note=note)
