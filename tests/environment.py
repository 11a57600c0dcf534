"""Environment for the test run, set before pytest-django imports the settings.

Tests get their own data folder (databases, queue, mail) outside the checkout, so a demo
running from ./var is never touched, the suite leaves nothing behind in the checkout, and
workers the tests start see the same folder.
"""

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import configuration

CHECKOUT = Path(__file__).resolve().parent.parent
# One folder per checkout (two clones' suites never share databases), under the system's
# temporary folder: it holds each worker's data, Hypothesis's examples and the figures.
RUNS = Path(tempfile.gettempdir()) / (
    "statesync-tests-" + hashlib.sha256(str(CHECKOUT).encode()).hexdigest()[:10]
)
# Each pytest-xdist worker gets its own folder: its own databases, queue and mail. (Workers
# inherit the controller's environment, so a worker must replace what the controller set.)
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
if WORKER or "STATESYNC_HOME" not in os.environ:
    os.environ["STATESYNC_HOME"] = str(RUNS / (WORKER or "test"))
HOME = Path(os.environ["STATESYNC_HOME"])
# Hypothesis (under schemathesis) keeps its examples in ./.hypothesis unless told otherwise.
configuration.set_hypothesis_home_dir(RUNS / "hypothesis")
# Heartbeats every 2 s; a worker silent for 8 s is dead (30 s in production).
os.environ.setdefault("STATESYNC_STALE_AFTER", "8")
# A run waits out a state or database away for 60 min in production; tests' outages are short.
os.environ.setdefault("STATESYNC_OUTAGE_MINUTES", "0.05")
for name in ("STATESYNC_STATE_URL", "STATESYNC_STATE_TOKEN", "STATESYNC_ROLE"):
    os.environ.pop(name, None)

# One run of the suite per checkout at a time: two would share the folders above (and Redis's
# test database), and one's teardown would delete the other's databases mid-test.
if not WORKER:
    RUNS.mkdir(parents=True, exist_ok=True)
    _RUN_LOCK = (RUNS / "run.lock").open("a+")
    try:
        fcntl.flock(_RUN_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        _RUN_LOCK.seek(0)
        holder = _RUN_LOCK.read().strip() or "another process"
        raise pytest.UsageError(
            f"another test run of this checkout is going on ({holder}); the two would share "
            f"{RUNS}. Wait for it to end, or run the tests from another clone."
        ) from None
    _RUN_LOCK.truncate(0)
    _RUN_LOCK.write(f"pid {os.getpid()}")
    _RUN_LOCK.flush()

# A killed run leaves SQLite's -wal/-shm files beside the test databases; Django recreates
# the databases but not those, and the stale journal then corrupts the new files.
for stale in HOME.glob("test_*.sqlite3*"):
    stale.unlink()
