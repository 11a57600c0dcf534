from django.core.management.base import CommandError

from statesync.access.audit import record_command
from statesync.core import wire
from statesync.core.commands import EverydayCommand
from statesync.core.messagelog import (
    FilterError,
    add_filter_arguments,
    options_query,
    output_form,
)
from statesync.district.models import Message, Origin, Result
from statesync.district.services import messagehistory, resend
from statesync.district.services.dis import state_client
from statesync.district.services.messagehistory import MessageFilter


class Command(EverydayCommand):
    audits_itself = True  # a resend is recorded with what the state did; the listing only reads
    help = (
        "The Message History: every message to and from the state, newest first, with the "
        "page's filters; --resend N sends a rejected or unsent message again."
    )

    def add_arguments(self, parser):
        add_filter_arguments(parser, Origin.values, Result.values, list(messagehistory.ID_KINDS))
        parser.add_argument("--resend", type=int, metavar="MESSAGE")

    def handle(self, *args, **opts):
        if opts["resend"]:
            return self._resend(opts["resend"], opts["json"])
        try:
            found = MessageFilter.parse(options_query(opts)).messages()
        except FilterError as bad:
            raise CommandError(str(bad)) from None
        if opts["limit"]:
            found = found[: opts["limit"]]
        rows = messagehistory.csv_rows(found)
        header = messagehistory.CSV_HEADER
        if output_form(opts) != "table":
            self.write_rows(header, rows, output_form(opts))
        else:
            self.stdout.write(
                f"{'message':>8}  {'queued':<25} {'object':<18} {'origin':<14} result"
            )
            for pk, obj, origin, queued, _, _, _, _, result, records, rejected, codes, _ in rows:
                detail = f" {rejected}/{records} ({codes})" if rejected else f" {records} records"
                self.stdout.write(f"{pk:>8}  {queued:<25} {obj:<18} {origin:<14} {result}{detail}")

    def _resend(self, pk: int, as_json: bool) -> None:
        message = Message.objects.filter(pk=pk).first()
        if message is None:
            raise CommandError(f"There is no message {pk} in the Message History.")
        try:
            resend.records_to_resend(message)  # refused before the state is asked anything
            with state_client(retries=1) as client:
                done = resend.resend(message, client)
        except resend.CannotResend as exc:
            raise CommandError(str(exc)) from None
        except resend.StateError as exc:
            record_command("messages.resend", f"message {pk}", sent=False, error=str(exc))
            raise CommandError(f"Not sent: {exc}") from None
        outcome = {
            "resent": pk,
            "message": done.message.pk if done.message else None,
            "accepted": done.result.synced,
            "rejected": {str(k): v for k, v in done.result.rejected.items()},
            "not_found": done.result.not_found,
            "deleted": done.deleted,
        }
        record_command("messages.resend", f"message {pk}", **outcome)
        if as_json:
            self.stdout.write(wire.json_text(outcome))
        else:
            self.stdout.write(
                f"Message {pk} sent again as message {outcome['message']}: "
                f"{len(done.result.synced)} accepted, {len(done.result.rejected)} rejected, "
                f"{len(done.result.not_found)} no longer in the district, "
                f"{len(done.deleted)} deleted."
            )
