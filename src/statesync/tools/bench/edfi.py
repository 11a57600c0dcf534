"""The bench's Ed-Fi rows: lightbeam sends Grand Bend and the seeded district to the state.

It sends the Grand Bend sample district, then the first schools of the bench's own seeded
district as Ed-Fi JSON (`seed_edfi.py`), to the running state.

lightbeam is a real Ed-Fi client (a test dependency); it sends with its default 8 connections,
one record a POST, as it would to an ODS. The rates are beside the native door's in the same
run, and beside lightbeam's own ceiling here: Grand Bend sent to a server that keeps nothing
(`nulledfi.py`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from statesync.state.models import District, EdfiClient
from statesync.tools.bench import seed_edfi
from statesync.tools.bench.nulledfi import NullEdfi
from statesync.tools.bench.report import Figure
from statesync.tools.demo.edfi import SAMPLE, convert, first_students, write

CONNECTIONS = 8  # lightbeam's default pool
WHOLE_SAMPLE_FROM = 100_000  # records of the native district from which all of Grand Bend goes
SMALL_SAMPLE = 60  # students of Grand Bend a smaller bench sends
# Schools of the seeded district sent as Ed-Fi: at the seed scale about 6,000 documents (the
# whole district, 407,447, would take lightbeam most of an hour here), below it one school.
SEED_SCHOOLS, SMALL_SEED_SCHOOLS = 3, 1


def lightbeam_path() -> Path:
    return Path(sys.executable).parent / "lightbeam"


def why_not() -> str:
    """Why the Ed-Fi row cannot be measured here, or "" when it can."""
    if not lightbeam_path().exists():
        return "lightbeam is not installed (make install-dev installs it)"
    if not SAMPLE.exists():
        return f"the Grand Bend sample is not at {SAMPLE} (it is kept with the tests)"
    return ""


def lightbeam_send(url: str, students: int | None, schools: int) -> list[Figure]:
    """Send Grand Bend (with only its first `students`, when given) and the seeded district's
    first `schools` to the state at `url`, each as a new Ed-Fi district, then Grand Bend to a
    server that keeps nothing: the three rates."""
    name = "Ed-Fi POSTs (lightbeam, Grand Bend)"
    if students:
        name = f"Ed-Fi POSTs (lightbeam, Grand Bend, {students} students)"
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        records = convert(SAMPLE)
        count = sum(
            write(first_students(records, students) if students else records, data).values()
        )
        state = _send(url, *_client("0042", "Grand Bend ISD (Ed-Fi)"), data, count)
        seeded = _send_seed(url, Path(folder) / "seed", schools)
        with NullEdfi() as null:
            ceiling = _send(null.url, "anyone", "anything", data, count)
    if ceiling.failed:  # nothing is refused there: a failure is the measure's own
        raise RuntimeError(f"lightbeam failed {ceiling.failed} records at a server keeping nothing")
    return [
        Figure(
            name,
            count,
            state.seconds,
            note=f"lightbeam send, {CONNECTIONS} connections, one record a POST; "
            f"{state.failed:,} refused as docs/EDFI.md explains; "
            f"lightbeam's CPU {state.client_ms:.2f} ms a record",
            refused=state.failed,
        ),
        Figure(
            "  the same, to a server that keeps nothing",
            count,
            ceiling.seconds,
            note=f"lightbeam's ceiling here (the client and loopback alone); "
            f"its CPU {ceiling.client_ms:.2f} ms a record",
        ),
        seeded,
    ]


def _client(number: str, name: str) -> tuple[str, str]:
    """A new Ed-Fi district at the state, and its client's key and secret."""
    client, secret = EdfiClient.issue(District.register(number, name), "bench")
    return client.key, secret


def _send_seed(url: str, data: Path, schools: int) -> Figure:
    """The seeded district's first `schools` as Ed-Fi JSON, sent as district 0043."""
    counts = seed_edfi.export(data, schools)
    count = sum(counts.values())
    sent = _send(url, *_client("0043", "Seeded district (Ed-Fi)"), data, count)
    return Figure(
        "Ed-Fi POSTs (lightbeam, the seeded district's "
        + (f"first {schools} schools)" if schools > 1 else "first school)"),
        count,
        sent.seconds,
        note=f"{counts['students']:,} students and {counts['sections']:,} sections among them; "
        f"{sent.failed:,} refused; lightbeam's CPU {sent.client_ms:.2f} ms a record",
        refused=sent.failed,
    )


class Sent(NamedTuple):
    """What one `lightbeam send` took: seconds, records refused, the client's CPU a record."""

    seconds: float
    failed: int
    client_ms: float


def _send(base: str, key: str, secret: str, data: Path, records: int) -> Sent:
    config = data.parent / f"{data.name}.yml"
    config.write_text(
        "\n".join(
            [
                f"data_dir: {data}",
                "namespace: ed-fi",
                "edfi_api:",
                f"  base_url: {base}/edfi",
                "  version: 3",
                "  mode: shared_instance",
                f"  client_id: {key}",
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
    results = data.parent / f"{data.name}.sent.json"
    before, started = os.times(), time.perf_counter()
    subprocess.run(
        [str(lightbeam_path()), "send", "-c", str(config), "--results-file", str(results)],
        capture_output=True,
        check=False,
        timeout=3600,
    )
    seconds, after = time.perf_counter() - started, os.times()
    sent = json.loads(results.read_text())
    cpu = (
        after.children_user + after.children_system - before.children_user - before.children_system
    )
    return Sent(seconds, sent["total_records_failed"], cpu / records * 1000)
