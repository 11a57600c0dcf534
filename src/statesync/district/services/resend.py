"""Sending a message again from the Message History: its records as they are now, parents
first, as a new message that names the one it repeats."""

from __future__ import annotations

from dataclasses import dataclass

from statesync.core.sync import source
from statesync.core.sync.client import StateClient, StateError
from statesync.district.models import Action, Message, Origin, Result
from statesync.district.services import messages
from statesync.district.services.selective import SelectiveResult, send_now


class CannotResend(ValueError):
    """This message is not one that can be sent again; the message says why."""


@dataclass
class Resent:
    result: SelectiveResult
    deleted: list[int]
    message: Message | None  # the new message (the upserts'), to show its answer


def records_to_resend(message: Message) -> tuple[list[int], list[int]]:
    """The records a resend sends (those rejected, or all of a message not sent): upserts,
    and deletions still gone from the district."""
    if not message.can_resend:
        raise CannotResend(
            f"Message {message.pk} was {message.get_result_display().lower()} "
            f"({message.origin_label}): only a rejected or unsent message going up is sent again."
        )
    items = message.items()
    if message.result == Result.REJECTED:
        items = [item for item in items if item.result == Result.REJECTED]
    upserts = [item.record_id for item in items if item.action != Action.DELETE]
    deletes = [item.record_id for item in items if item.action == Action.DELETE]
    still_here = source.existing_ids(message.object, deletes) if deletes else set()
    return upserts, [i for i in deletes if i not in still_here]


def resend(message: Message, client: StateClient) -> Resent:
    """Send `message`'s failed records again now; StateError if the state did not answer
    (that new message is in the history as not sent)."""
    upserts, deletes = records_to_resend(message)
    origin = (Origin.RESEND, message.pk)
    result = send_now(message.object, upserts, client, origin) if upserts else SelectiveResult()
    if deletes:
        sending = messages.Sending(*origin, message.object, [], deletes)
        messages.send(client, sending, [], deleted_as_of=source.clock())
    latest = Message.objects.filter(origin=Origin.RESEND, origin_ref=message.pk).first()
    return Resent(result, deletes, latest)


__all__ = ["CannotResend", "Resent", "StateError", "records_to_resend", "resend"]
