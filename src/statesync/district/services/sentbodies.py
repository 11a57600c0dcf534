"""Sent Record History: a message's records as the state received them, read back from the
body kept with the message (SENT_KEEP_DAYS), and the state's answer."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import msgspec

from statesync.core import catalog
from statesync.core.messagelog import unsqueeze
from statesync.district.models import Message, SentBody


@dataclass
class Sent:
    kept: bool  # False once the body was pruned (or for a message that carried none)
    values: dict[int, dict[str, Any]] = field(default_factory=dict)  # as sent, by column
    answer: Any = None  # the state's answer, decoded
    size: int = 0  # the body's bytes


def read(message: Message, ids: Collection[int]) -> Sent:
    """What `message` sent of the records `ids`, and the state's answer."""
    body = SentBody.objects.filter(message=message).first()
    if body is None:
        return Sent(kept=False)
    sent_body = unsqueeze(body.body)
    sent = Sent(kept=True, size=len(sent_body))
    decoded = msgspec.json.decode(sent_body)
    columns = catalog.get(message.object).columns
    wanted = set(ids)
    for values in decoded.get("upserts", []):
        if values and values[0] in wanted:
            sent.values[values[0]] = dict(zip(columns, values, strict=False))
    answer = unsqueeze(body.answer)
    if answer:
        try:
            sent.answer = msgspec.json.decode(answer)
        except msgspec.DecodeError:
            sent.answer = answer.decode("utf-8", "replace")
    return sent
