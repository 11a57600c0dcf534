"""The resync a bench times, in a process of its own so the kernel reports its peak memory."""

from __future__ import annotations

import io
import json
from pathlib import Path

import django
from django.core.management import call_command


def child_resync(mode: str) -> None:
    """In a fresh process: resync everything, then print the result and this process's peak.

    The peak is VmHWM, which starts afresh at exec; getrusage's maxrss would carry over the
    resident size of the process that started this one.
    """
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
