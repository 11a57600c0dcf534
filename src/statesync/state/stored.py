"""Values as the state's copy tables store them, and back as the wire carries them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from statesync import catalog, wire


def db_value(spec: catalog.Field, value: Any) -> Any:
    """A wire value as the copy tables store it (lists as JSON text, dates as ISO text)."""
    if value is None:
        return None
    if spec.is_list:
        return wire.encode(value).decode()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def wire_value(spec: catalog.Field, stored: Any) -> Any:
    """A stored value as the wire carries it: db_value undone, typed as the field is."""
    if stored is None:
        return None
    if spec.is_list and isinstance(stored, str):
        stored = msgspec.json.decode(stored)
    return msgspec.convert(stored, wire.field_type(spec), strict=False)
