"""The Message History at scale: a million messages written as the district would hold them,
then the page's searches timed and the CSV report streamed (docs/MESSAGES.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from statesync.core import catalog
from statesync.core.db import bulk
from statesync.core.messagelog import buckets, lag_bucket_of, pack
from statesync.district.models import Message, MessageBucket, Origin, Result
from statesync.tools.bench.report import percentiles

MESSAGES = 1_000_000
DAYS = 90
# A district's quarter: a resync a week (139 batches of 2,000 at seed scale), and saves.
BATCH = 2000
RUN_SHARE = 0.002
COLUMNS = (
    *("object", "origin", "origin_ref", "queued_at", "sent_at", "answered_at", "lag_ms"),
    *("hour", "lag_bucket", "attempts", "result", "records", "rejected", "codes", "reason"),
    *("upserts", "added", "deletes", "problems"),
)


def fill(count: int = MESSAGES, seed: int = 7) -> None:
    """`count` messages over the last DAYS days, in the order they came: saves of one
    record, a resync's batches, a few rejected and unsent; each with its buckets, in chunks
    of one transaction each."""
    draw = random.Random(seed)
    names, results = catalog.order(), Result.values
    began = timezone.now() - dt.timedelta(days=DAYS)
    step = DAYS * 86_400 / count
    # SQLite keeps naive UTC text (what Django's own adapter makes, at a tenth of its cost).
    sqlite = connection.vendor == "sqlite"
    first = (Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for start in range(0, count, 50_000):
        rows, indexed = [], []
        for n in range(start, min(count, start + 50_000)):
            name = draw.choice(names)
            run = draw.random() < RUN_SHARE
            low = draw.randrange(1, 300_000)
            ids = range(low, low + BATCH) if run else (low,)
            queued = began + dt.timedelta(seconds=n * step)
            lag = int(draw.lognormvariate(5, 1.2))
            answered = queued + dt.timedelta(milliseconds=lag)
            times = [
                t.replace(tzinfo=None).isoformat(" ") if sqlite else t for t in (queued, answered)
            ]
            result = draw.choices(results, (96, 2, 1, 1))[0]
            problems = {str(low): "E-FORMAT"} if result == Result.REJECTED else {}
            rows.append(
                (
                    *(name, Origin.RUN if run else Origin.SAVE, n if run else None),
                    *(times[0], times[0], times[1], lag, int(queued.timestamp() // 3600)),
                    *(lag_bucket_of(lag), 1, result, len(ids), len(problems)),
                    *(",".join(problems.values()), "", pack(ids), b"", b"", json.dumps(problems)),
                )
            )
            indexed += [(first + n, name, b) for b in sorted(buckets(ids))]
        with transaction.atomic():
            bulk.insert_rows(connection, Message._meta.db_table, COLUMNS, rows)
            table = MessageBucket._meta.db_table
            bulk.insert_rows(connection, table, ("message_id", "object", "bucket"), indexed)


BENCH_USER = "bench-history"
SEARCHES: dict[str, dict[str, str | int]] = {
    "every message, first page": {},
    "a week, first page": {"start": -7, "end": 0},
    "rejected schools, first page": {"object": catalog.SCHOOL, "result": "rejected"},
    "a person's ID": {"ids": "12345", "object": catalog.PERSON},
}


def searches(calls: int = 20) -> dict[str, dict[str, float]]:
    """Each search as the page answers it (summary, a page of rows), timed `calls` times."""
    user = get_user_model().objects.filter(username=BENCH_USER).first()
    if user is None:
        user = get_user_model().objects.create_superuser(BENCH_USER, "", None)
    client = Client()
    client.force_login(user)
    today = timezone.now().date()
    found = {}
    for label, shape in SEARCHES.items():
        query = {
            k: (today + dt.timedelta(days=int(v))).isoformat() if k in ("start", "end") else v
            for k, v in shape.items()
        }
        timed = []
        for _ in range(calls):
            began = time.perf_counter()
            page = client.get(reverse("district:messages"), query)
            timed.append((time.perf_counter() - began) * 1000)
            assert page.status_code == 200, page.status_code
        found[label] = percentiles(timed)
    return found


def csv_report() -> dict[str, float]:
    """The CSV report of every message, streamed through the page's own view in a process of
    its own: rows, seconds, and that process's peak memory (VmHWM)."""
    code = "from statesync.tools.bench.child import child_csv_report; child_csv_report()"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "statesync.settings"},
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the CSV report failed: {done.stderr.decode()[-2000:]}")
    return json.loads(done.stdout)
