"""Pasted lists of IDs, as every tool takes them (selective sync, the Message History, the
Record Deleter): line breaks, commas or spaces in any mix; duplicates collapse; tokens that are
not IDs are listed back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_IDS = 10_000
MAX_ID = 2**63 - 1
_SEPARATORS = re.compile(r"[\s,]+")
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: int() takes any script's digits


def one_id(text: str) -> int | None:
    """`text` as one record ID (ASCII digits, 1 to 2**63-1), or None when it is not one."""
    text = text.strip()
    return int(text) if _DIGITS.fullmatch(text) and 0 < int(text) <= MAX_ID else None


class SelectionError(ValueError):
    """A list that cannot be taken at all; the message says what to do instead."""


@dataclass
class ParsedIds:
    ids: list[int] = field(default_factory=list)
    not_ids: list[str] = field(default_factory=list)
    duplicates: int = 0


TOO_MANY = (
    "More than {limit:,} IDs were entered; one sync takes at most {limit:,}. Split the list, "
    "or use Resync State Data - Batch to resync whole objects."
)


def parse_ids(text: str, limit: int = MAX_IDS, too_many: str = TOO_MANY) -> ParsedIds:
    """Split `text` into distinct IDs (in the order given) and the tokens that are not IDs."""
    parsed = ParsedIds()
    seen: set[int] = set()
    for token in _SEPARATORS.split(text.strip()):
        if not token:
            continue
        value = int(token) if _DIGITS.fullmatch(token) else 0
        if not 0 < value <= MAX_ID:
            if len(parsed.not_ids) < 1000:  # say enough to fix the paste, not everything
                # Shown back, and stored: NUL as a visible symbol (no database keeps NUL).
                parsed.not_ids.append(token[:40].replace("\x00", "\u2400"))
            continue
        if value in seen:
            parsed.duplicates += 1
            continue
        seen.add(value)
        parsed.ids.append(value)
        if len(parsed.ids) > limit:
            raise SelectionError(too_many.format(limit=limit))
    return parsed
