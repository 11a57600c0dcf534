"""Every thread's stack on demand: `kill -USR1 PID` makes a statesync process that seems stuck
say where each of its threads waits, on its standard error, and go on."""

from __future__ import annotations

import faulthandler
import signal
import sys

SIGNAL = getattr(signal, "SIGUSR1", None)  # not on Windows


def dump_stacks_on_signal() -> None:
    """From now on, SIGUSR1 prints every thread's stack to standard error (the process goes
    on: faulthandler writes from its own handler, so it works while Python is blocked)."""
    if SIGNAL is not None:
        faulthandler.register(SIGNAL, file=sys.stderr, all_threads=True, chain=False)
