import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError

from statesync.access.audit import operating_system_user, record_command
from statesync.core import wire
from statesync.core.commands import EverydayCommand
from statesync.core.sync.client import StateError
from statesync.district.models import Side, Transfer
from statesync.district.services import receipts, releases, transfers
from statesync.district.services.dis import relay_client, state_client
from statesync.district.services.transfers import TransferError


class Command(EverydayCommand):
    audits_itself = True  # each step is recorded with what the state answered
    help = (
        "Student Records Transfer: request an incoming student's records, see the inbox of "
        "requests routed here, attach documents, release or decline, and receive what came. "
        "A national request (through the National Records Exchange) is named N and its number."
    )

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        asking = steps.add_parser("request", help="Ask for a student's records.")
        asking.add_argument("--enrollment", type=int, help="The student's enrollment here.")
        asking.add_argument("--state-id", default="")
        asking.add_argument("--last-name", default="")
        asking.add_argument("--first-name", default="")
        asking.add_argument("--birth-date", type=dt.date.fromisoformat)
        steps.add_parser("inbox", help="Requests routed to this district.")
        steps.add_parser("list", help="Every transfer: asked and routed.")
        attach = steps.add_parser("attach", help="Attach a document to a release.")
        attach.add_argument("id", help="The request: 7, or N7 for a national one.")
        attach.add_argument("--kind", required=True)
        attach.add_argument("--file", type=Path, required=True)
        attach.add_argument("--label", default="")
        release = steps.add_parser("release", help="Release the records asked for.")
        release.add_argument("id", help="The request: 7, or N7 for a national one.")
        decline = steps.add_parser("decline", help="Decline, saying why.")
        decline.add_argument("id", help="The request: 7, or N7 for a national one.")
        decline.add_argument("--reason", required=True)
        receive = steps.add_parser("receive", help="Take released records in.")
        receive.add_argument("id", help="The request: 7, or N7 for a national one.")
        into = receive.add_mutually_exclusive_group(required=True)
        into.add_argument("--person", type=int, help="Match to this person here.")
        into.add_argument("--create", action="store_true", help="Create the person.")
        for step in steps.choices.values():
            step.add_argument("--json", action="store_true")

    def handle(self, *args, step, **opts):
        by = f"{operating_system_user()} (command line)"[:150]
        try:
            transfers.refresh_now()  # what the state and the router say now, where they answer
            found = self._step(step, opts, by)
        except (TransferError, StateError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        rows = found if isinstance(found, list) else [found]
        if opts["json"]:
            items = [transfers.as_dict(t) for t in rows]
            self.stdout.write(wire.json_text(items if isinstance(found, list) else items[0]))
            return
        for t in rows:
            other = t.other_district or "not routed"
            self.stdout.write(
                f"{t.ref:>6}  {t.side:<6} {t.last_name}, {t.first_name} ({t.state_id})  "
                f"{other}  {t.status_label}{': ' + t.reason if t.reason else ''}"
            )

    def _step(self, step: str, opts: dict, by: str):
        if step in ("inbox", "list"):
            found = Transfer.objects.all()
            return list(found.filter(side=Side.ROUTED) if step == "inbox" else found)
        if step == "request":
            person = transfers.find_person(
                opts["enrollment"],
                opts["state_id"],
                opts["last_name"],
                opts["first_name"],
                opts["birth_date"],
            )
            with state_client(retries=1) as client:
                done = transfers.request(client, person, by)
            record_command("transfer.request", f"transfer {done.ref}", person=person.pk)
            return done
        transfer = Transfer.by_ref(opts["id"])
        if transfer is None:
            raise TransferError(f"this district has no transfer {opts['id']}")
        if step == "attach":
            content = opts["file"].read_bytes()
            label = opts["label"] or opts["file"].name
            document = releases.attach(transfer, opts["kind"], label, content, by)
            record_command("transfer.attach", f"transfer {transfer.ref}", document=str(document))
            return transfer
        with relay_client(transfer, retries=1) as client:
            return self._answer(client, transfer, step, opts, by)

    def _answer(self, client, transfer: Transfer, step: str, opts: dict, by: str) -> Transfer:
        target = f"transfer {transfer.ref}"
        if step == "release":
            done = releases.release(client, transfer, by)
            record_command("transfer.release", target, documents=transfer.files.count())
            return done
        if step == "decline":
            done = releases.decline(client, transfer, opts["reason"], by)
            record_command("transfer.decline", target, reason=opts["reason"])
            return done
        person = receipts.CREATE if opts["create"] else opts["person"]
        done = receipts.receive(client, transfer, person, by)
        record_command("transfer.receive", target, person=done.person_id)
        return done
