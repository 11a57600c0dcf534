import json
import logging
import os
import signal
import threading

from django.core.management.base import CommandError
from django.db import connections

from statesync.access import audit
from statesync.access.audit import operating_system_user
from statesync.core import relaying
from statesync.core.commands import EverydayCommand
from statesync.core.output import say
from statesync.router import registry
from statesync.router.models import Member, Transfer

HOUSEKEEPING_EVERY = 3600


class Command(EverydayCommand):
    audits_itself = True  # records what it did; statesync.cli audits the rest at the door
    help = "The National Records Exchange's router: its registry of districts, and its worker."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser(
            "add-district", help="Add a district; print its one-time registration token."
        )
        add.add_argument("--name", required=True)
        add.add_argument("--state", required=True, help="Two-letter postal code, e.g. IL.")
        add.add_argument("--json", action="store_true", help="Print JSON.")
        listed = sub.add_parser("districts", help="The registry: code, status, places.")
        listed.add_argument("--json", action="store_true", help="Print JSON.")
        revoke = sub.add_parser("revoke", help="Revoke a district's credentials (by its code).")
        revoke.add_argument("code", help="e.g. IL-0001")
        work = sub.add_parser(
            "work", help="Remind and expire requests every hour (`statesync serve` starts it)."
        )
        work.add_argument("--once", action="store_true", help="Once, saying what, then stop.")
        work.add_argument("--with-parent", type=int, metavar="PID", help="Stop when PID is gone.")

    def handle(self, *args, action, **opts):
        if action == "add-district":
            self._add(opts["name"], opts["state"], opts["json"])
        elif action == "districts":
            self._districts(opts["json"])
        elif action == "revoke":
            member = registry.member_by_code(opts["code"].upper())
            if member is None:
                raise CommandError(f"no district is {opts['code']}: 'router districts' lists them")
            revoked = member.revoke()
            audit.record_command("router.revoke", member.code, revoked=revoked)
            say(self, f"{member.code}: {revoked} credential(s) revoked; its calls stop now.")
        elif opts["once"]:
            reminded, expired = relaying.housekeeping(Transfer)
            say(self, f"{reminded} request(s) reminded, {expired} expired")
        else:
            _work(opts["with_parent"])

    def _add(self, name: str, state: str, as_json: bool) -> None:
        try:
            member, token = registry.invite(
                name, state, f"{operating_system_user()} (command line)"
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        audit.record_command("router.add-district", member.code, name=member.name)
        if as_json:
            self.stdout.write(json.dumps({"code": member.code, "registration_token": token}))
            return
        self.stdout.write(
            f"Added {member.code} {member.name}. Registration token (shown once, registers "
            f"once):\n{token}"
        )

    def _districts(self, as_json: bool) -> None:
        members = Member.objects.prefetch_related("places")
        rows = [
            {
                "code": m.code,
                "name": m.name,
                "state": m.state,
                "status": m.status,
                "registered_at": m.registered_at.isoformat() if m.registered_at else None,
                "registered_by": m.registered_by,
                "places": [f"{p.city} {p.zip_code}" for p in m.places.all()],
            }
            for m in members
        ]
        if as_json:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            places = ", ".join(map(str, row["places"] or [])) or "no places"
            self.stdout.write(f"{row['code']:<9} {row['status']:<10} {row['name']}  ({places})")


def _work(parent: int | None) -> None:
    """Housekeeping every hour until told to stop (or the parent server is gone)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.is_set():
        try:
            relaying.housekeeping(Transfer)
        except Exception:  # a failed round must not stop the worker: tried next hour
            logging.getLogger(__name__).exception("the router's housekeeping failed")
        connections.close_all()
        for _ in range(HOUSEKEEPING_EVERY):
            if stop.wait(1.0) or (parent and os.getppid() != parent):
                return
