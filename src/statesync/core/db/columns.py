"""The database column of a catalogue field, for district tables and state copies alike."""

from __future__ import annotations

from django.db import models

from statesync.core import catalog

# Pattern-checked values get room for the malformed ones districts really store ("12A", "").
_PATTERN_ROOM = 20


def model_field(field: catalog.Field) -> models.Field:
    """The Django column for a catalogue field.

    Columns accept NULL even for fields the state requires: the district's database is what
    it is, and the state's rules (not the schema) say what is missing.
    """
    blank = not field.required
    match field.kind:
        case "str":
            length = _PATTERN_ROOM if field.pattern else (field.max_length or 20)
            return models.CharField(max_length=length, null=True, blank=blank)
        case "int":
            return models.IntegerField(null=True, blank=blank)
        case "bool":
            return models.BooleanField(default=False)
        case "date":
            return models.DateField(null=True, blank=blank)
        case _:
            return models.JSONField(default=list, blank=True)
