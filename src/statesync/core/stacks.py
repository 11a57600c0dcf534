"""Every thread's stack on demand: `kill -USR1 PID` makes a statesync process that seems stuck
say where each of its threads waits, on its standard error, and go on."""

from __future__ import annotations

import faulthandler
import io
import signal
import sys

SIGNAL = getattr(signal, "SIGUSR1", None)  # not on Windows


def dump_stacks_on_signal() -> None:
    """From now on, SIGUSR1 prints every thread's stack to standard error (the process goes
    on: faulthandler writes from its own handler, so it works while Python is blocked)."""
    if SIGNAL is None:
        return
    # faulthandler writes to a file descriptor: a standard error replaced by one without
    # (a test's capture) leaves the process's own.
    for stream in (sys.stderr, sys.__stderr__):
        if stream is None:
            continue
        try:
            faulthandler.register(SIGNAL, file=stream, all_threads=True, chain=False)
            return
        except (AttributeError, ValueError, io.UnsupportedOperation):
            continue
