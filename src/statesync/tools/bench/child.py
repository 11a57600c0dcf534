"""The resync a bench times, in a process of its own so the kernel reports its peak memory."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import django
from django.core.management import call_command


def child_resync(mode: str) -> None:
    """In a fresh process: resync everything, then print the result, this process's peak, and
    the whole command's time with the state's changes it applied down.

    The peak is VmHWM, which starts afresh at exec; getrusage's maxrss would carry over the
    resident size of the process that started this one.
    """
    django.setup()
    from statesync.district.models import AppliedChange  # noqa: PLC0415  (after setup)

    out = io.StringIO()
    before = AppliedChange.objects.count()
    cpu_before = time.process_time()
    started = time.perf_counter()
    call_command("resync", "--all", "--foreground", "--json", "--mode", mode, stdout=out)
    report = {
        "result": json.loads(out.getvalue()),
        "peak_kb": vm_hwm_kb("self"),
        # The whole command: the objects, then the state's changes (a first resync's state
        # IDs) applied down, which a run's own duration does not include.
        "command_seconds": time.perf_counter() - started,
        "applied_down": AppliedChange.objects.count() - before,
        "cpu_seconds": time.process_time() - cpu_before,
    }
    print(json.dumps(report))


def child_csv_report() -> None:
    """In a fresh process: GET the Message History's CSV of every message through its view,
    counting rows as they stream; print rows, seconds and this process's peak memory."""
    django.setup()
    from django.contrib.auth import get_user_model  # noqa: PLC0415  (after setup)
    from django.test import Client  # noqa: PLC0415
    from django.urls import reverse  # noqa: PLC0415

    from statesync.tools.bench.history import BENCH_USER  # noqa: PLC0415

    client = Client()
    client.force_login(get_user_model().objects.get(username=BENCH_USER))
    began = time.perf_counter()
    response = client.get(reverse("district:messages-report"))
    chunks = response.streaming_content  # type: ignore[attr-defined]
    lines = sum(chunk.count(b"\n") for chunk in chunks)
    seconds = time.perf_counter() - began
    peak = vm_hwm_kb("self") / 1024
    print(json.dumps({"rows": lines - 1, "seconds": round(seconds, 2), "peak_mb": round(peak)}))


def vm_hwm_kb(pid: int | str) -> int:
    """Peak resident memory of a process since its exec, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
