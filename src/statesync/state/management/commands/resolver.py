import logging
import os
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from statesync.core import relaying as relay
from statesync.core.db.routers import state_db
from statesync.core.output import say
from statesync.state.ingest import received
from statesync.state.models import IdentityWork
from statesync.state.models.transfers import Transfer
from statesync.state.people import resolver


class Command(BaseCommand):
    help = (
        "Run the state's identity resolver: state IDs issued and matched, enrollments checked "
        "across districts, for every batch in the order it arrived; and every hour, prune the "
        "state's Message History and remind and expire records transfers. `statesync serve` starts "
        "one beside the web server; run it alone where the web servers are started with "
        "--no-resolver."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="Settle what waits now, say what, and stop."
        )
        parser.add_argument(
            "--with-parent",
            type=int,
            metavar="PID",
            help="Stop when process PID is gone (how `statesync serve` runs it).",
        )

    def handle(self, *args, once, with_parent, **opts):
        if once:
            try:
                settled = resolver.resolve_all(state_db())
            except Exception as exc:  # whatever settling raised: said, never a traceback
                raise CommandError(
                    f"a queued batch could not be settled ({type(exc).__name__}: {exc}); it is "
                    "tried again, and set aside with why after "
                    f"{IdentityWork.MAX_ATTEMPTS} tries (Django admin: Identity works)"
                ) from None
            records = sum(done.records for done in settled)
            say(self, f"settled the identity of {records} records in {len(settled)} batches")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if with_parent:
            watch = threading.Thread(target=_stop_without, args=(with_parent, stop), daemon=True)
            watch.start()
        keeper = threading.Thread(target=_housekeeping, args=(stop,), daemon=True)
        keeper.start()
        resolver.run(state_db(), stop)


def _housekeeping(stop: threading.Event) -> None:
    """The state's housekeeping beside the resolver, every hour: messages past
    MESSAGES_KEEP_DAYS go; transfers nobody answered are reminded, then expire (each logs
    what it did)."""
    while not stop.is_set():
        for chore in (lambda: received.prune(state_db()), lambda: relay.housekeeping(Transfer)):
            try:
                chore()
            except Exception:  # a failed chore must not stop the resolver: tried next hour
                logging.getLogger(__name__).exception("the state's housekeeping failed")
        connections.close_all()
        stop.wait(HOUSEKEEPING_EVERY)


HOUSEKEEPING_EVERY = 3600


def _stop_without(parent: int, stop: threading.Event) -> None:
    """Set `stop` once `parent` is gone (a server killed outright leaves no resolver behind)."""
    while not stop.wait(1.0):
        if os.getppid() != parent:
            stop.set()
