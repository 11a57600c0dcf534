import datetime as dt

import msgspec
from django.core.management.base import CommandError

from statesync.access.audit import operating_system_user, record_command
from statesync.core import wire
from statesync.core.commands import EverydayCommand
from statesync.core.exchange import TERMS, TERMS_VERSION
from statesync.core.sync.client import StateError
from statesync.district.models import Registration
from statesync.district.services import exchange, transfers
from statesync.district.services.transfers import TransferError


class Command(EverydayCommand):
    audits_itself = True  # each step is recorded with what the router answered
    help = (
        "The National Records Exchange: register this district with the national router, see "
        "or withdraw the registration, find districts in other states, and ask one for a "
        "student's records (then answered and received with 'statesync transfer')."
    )

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        register = steps.add_parser("register", help="Register with the router.")
        register.add_argument("--router", required=True, help="The router's address.")
        register.add_argument("--token", required=True, help="The one-time registration token.")
        register.add_argument("--contact", default="", help="Shown to other districts.")
        register.add_argument(
            "--accept-terms", action="store_true", help=f"Accept the terms of service: {TERMS}"
        )
        steps.add_parser("status", help="The registration as the router holds it.")
        steps.add_parser("update", help="Send the schools' places again.")
        steps.add_parser("rotate", help="A new credential; the old one stops.")
        steps.add_parser("withdraw", help="Leave the exchange: no longer found.")
        locate = steps.add_parser("locate", help="Find registered districts.")
        locate.add_argument("text", help="A name, a state, a city or a ZIP code.")
        asking = steps.add_parser("request", help="Ask a registered district for records.")
        asking.add_argument("--district", required=True, help="Its code, e.g. IL-0007.")
        asking.add_argument("--enrollment", type=int, help="The student's enrollment here.")
        asking.add_argument("--last-name", default="")
        asking.add_argument("--first-name", default="")
        asking.add_argument("--birth-date", type=dt.date.fromisoformat)
        asking.add_argument("--former-school", default="")
        asking.add_argument("--student-id", default="", help="The other state's student ID.")
        for step in steps.choices.values():
            step.add_argument("--json", action="store_true")

    def handle(self, *args, step, **opts):
        by = f"{operating_system_user()} (command line)"[:150]
        try:
            found = self._step(step, opts, by)
        except (TransferError, StateError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if isinstance(found, Registration):
            self._registration(found, opts["json"])
        elif isinstance(found, list):
            self._located(found, opts["json"])
        elif opts["json"]:
            self.stdout.write(wire.json_text(transfers.as_dict(found)))
        else:
            self.stdout.write(
                f"{found.ref}: asked {found.other_district} {found.other_name} for the records "
                f"of {found.first_name} {found.last_name}: {found.status_label}"
            )

    def _step(self, step: str, opts: dict, by: str):
        if step == "register":
            done = exchange.register(
                opts["router"], opts["token"], by, opts["contact"], opts["accept_terms"]
            )
            record_command("exchange.register", done.code, router=done.router_url)
            return done
        if step == "status":
            return exchange.status()
        if step == "locate":
            return exchange.locate(opts["text"])
        if step == "request":
            person = transfers.find_person(
                opts["enrollment"], "", opts["last_name"], opts["first_name"], opts["birth_date"]
            )
            done = exchange.request(
                person, opts["district"], by, opts["former_school"], opts["student_id"]
            )
            record_command(
                "transfer.request", f"transfer {done.ref}", person=person.pk, national=True
            )
            return done
        if step == "update":
            done = exchange.update(by)
        elif step == "rotate":
            done = exchange.rotate()
        else:
            done = exchange.withdraw()
        record_command(f"exchange.{step}", done.code)
        return done

    def _registration(self, found: Registration, as_json: bool) -> None:
        said = {
            "code": found.code,
            "name": found.name,
            "state": found.state,
            "status": found.status,
            "router": found.router_url,
            "registered_at": found.registered_at,
            "registered_by": found.registered_by,
            "terms_version": found.terms_version,
            "places": found.places,
            "left_out": found.left_out,
        }
        if as_json:
            self.stdout.write(wire.json_text(msgspec.to_builtins(said)))
            return
        places = ", ".join(f"{p['city']} {p['zip_code']}" for p in found.places) or "none"
        self.stdout.write(
            f"{found.code} {found.name} ({found.state}): {found.status} at {found.router_url}, "
            f"registered {found.registered_at} by {found.registered_by} (terms "
            f"{found.terms_version or TERMS_VERSION}); places: {places}"
        )

    def _located(self, found: list, as_json: bool) -> None:
        if as_json:
            self.stdout.write(wire.json_text(msgspec.to_builtins(found)))
            return
        for d in found:
            self.stdout.write(f"{d.code:<9} {d.name} ({d.state})  {', '.join(d.places)}")
        if not found:
            self.stdout.write("No registered district matches.")
