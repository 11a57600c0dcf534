"""Choosing error-log entries: one set of filters for the page, its report, and the CLI."""

from __future__ import annotations

from django.db.models import Q

from statesync import catalog
from statesync.district.models import ErrorLogEntry
from statesync.wire import RuleCode

# The columns of an exported entry, in the report and the CLI alike.
COLUMNS = (
    "run",
    "source",
    "object",
    "record_id",
    "school_id",
    "code",
    "field",
    "message",
    "created_at",
)


def _int(value: str) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def filtered(params) -> tuple[object, dict]:
    """The entries matching the request's filters, and the filters as understood."""
    entries = ErrorLogEntry.objects.all()
    chosen = {
        "run": _int(params.get("run", "")),
        "object": params.get("object", "") if params.get("object") in catalog.NAMES else "",
        "school": _int(params.get("school", "")),
        "code": params.get("code", "") if params.get("code") in set(RuleCode) else "",
        "q": params.get("q", "").strip()[:200],
    }
    if chosen["run"]:
        entries = entries.filter(run_id=chosen["run"])
    if chosen["object"]:
        entries = entries.filter(object=chosen["object"])
    if chosen["school"]:
        entries = entries.filter(school_id=chosen["school"])
    if chosen["code"]:
        entries = entries.filter(code=chosen["code"])
    if chosen["q"]:
        q = chosen["q"]
        text = Q(message__icontains=q) | Q(field__icontains=q)
        if q.isdigit() and len(q) < 19:
            text |= Q(record_id=int(q))
        entries = entries.filter(text)
    return entries, chosen
