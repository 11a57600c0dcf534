"""Get-by-example: which query parameter is found where in a resource's documents, and its type."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args, get_origin, get_type_hints

from statesync.state.edfi.resources import Resource

SCALARS = (int, str, bool, dt.date)  # what get-by-example compares


def searchable(resource: Resource) -> dict[str, tuple[str, ...]]:
    """{parameter: JSON path}: the natural key's, the scalar fields', then the fields of the
    resource's required references (`courseCode` → courseReference.courseCode)."""
    paths = dict(resource.keys)
    fields = field_types(resource.struct)
    for name, kind in fields.items():
        if kind in SCALARS:
            paths.setdefault(name, (name,))
    for name, kind in fields.items():
        if name.endswith("Reference") and isinstance(kind, type):
            for inner in field_types(kind):
                paths.setdefault(inner, (name, inner))
    return paths


def field_types(struct: type) -> dict[str, Any]:
    """{JSON name: type} of a struct's fields, optional ones unwrapped (`X | None` → X)."""
    hints = get_type_hints(struct, include_extras=False)
    types: dict[str, Any] = {}
    for attr, wire_name in zip(
        struct.__struct_fields__,  # type: ignore[attr-defined]
        struct.__struct_encode_fields__,  # type: ignore[attr-defined]
        strict=True,
    ):
        kind = hints[attr]
        if get_origin(kind) is not None:
            args = [a for a in get_args(kind) if a is not type(None)]
            kind = args[0] if len(args) == 1 else kind
        types[wire_name] = kind
    return types


def path_type(struct: type, path: tuple[str, ...]) -> Any:
    """The type at a JSON path of a struct (`("schoolReference", "schoolId")` → int)."""
    kind: Any = struct
    for step in path:
        kind = field_types(kind).get(step)
        if kind is None:
            return None
    return kind
