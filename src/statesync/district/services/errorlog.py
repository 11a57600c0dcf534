"""Choosing error-log entries: one set of filters for the page, its report, and the CLI."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from statesync.core import catalog
from statesync.core.wire import RuleCode
from statesync.district.models import ErrorLogEntry, Run

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


class BadFilter(ValueError):
    """A filter whose value names nothing: said, never silently dropped (a Clear Log that
    dropped its object filter would clear every object's entries)."""


def _int(params, name: str, what: str) -> int | None:
    value = str(params.get(name, "")).strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 19):
        raise BadFilter(f"{name} {value!r} is not a {what}: give a whole number, or leave it empty")
    return int(value)


def _one_of(params, name: str, known, what: str) -> str:
    value = str(params.get(name, "")).strip()
    if value and value not in known:
        raise BadFilter(f"{name} {value!r} is not {what}")
    return value


def filtered(params) -> tuple[object, dict]:
    """The entries matching the request's filters, and the filters as understood.

    By default what the state rejects now: each record's latest judgement only. `history`
    (or naming a run) shows every run's entries. A filter that names nothing is a BadFilter.
    """
    entries = ErrorLogEntry.objects.all()
    chosen: dict = {
        "run": _int(params, "run", "run number"),
        "object": _one_of(params, "object", catalog.NAMES, "an object"),
        "school": _int(params, "school", "school ID"),
        "record": _int(params, "record", "record ID"),
        "code": _one_of(params, "code", set(RuleCode), "a rule code"),
        "q": params.get("q", "").strip()[:200],
    }
    chosen["history"] = bool(chosen["run"]) or str(params.get("history", "")).lower() in (
        "1",
        "on",
        "true",
    )
    if not chosen["history"]:
        entries = entries.filter(current=True)
    if chosen["run"]:
        entries = entries.filter(run_id=chosen["run"])
    if chosen["object"]:
        entries = entries.filter(object=chosen["object"])
    if chosen["school"]:
        entries = entries.filter(school_id=chosen["school"])
    if chosen["record"] is not None:
        entries = entries.filter(record_id=chosen["record"])
    if chosen["code"]:
        entries = entries.filter(code=chosen["code"])
    if chosen["q"]:
        q = chosen["q"]
        text = Q(message__icontains=q) | Q(field__icontains=q)
        if q.isdigit() and len(q) < 19:
            text |= Q(record_id=int(q))
        entries = entries.filter(text)
    return entries, chosen


def prune(keep_days: int | None = None, keep_runs: int | None = None) -> int:
    """Delete history past its retention (settings ERRORLOG_KEEP_DAYS / _RUNS); never an
    entry that is still what the state rejects now. Returns how many went."""
    keep_days = settings.ERRORLOG_KEEP_DAYS if keep_days is None else keep_days
    keep_runs = settings.ERRORLOG_KEEP_RUNS if keep_runs is None else keep_runs
    old = ErrorLogEntry.objects.filter(current=False)
    expired = Q(created_at__lt=timezone.now() - dt.timedelta(days=keep_days))
    if keep_runs:
        kept = Run.objects.order_by("-pk").values_list("pk", flat=True)[keep_runs - 1 : keep_runs]
        if kept:
            expired |= Q(run_id__lt=kept[0])
    return old.filter(expired).delete()[0]


def by_object_and_code(entries: QuerySet) -> tuple[list[str], list[tuple]]:
    """The codes found among `entries`, and per object (catalogue order): its name, the
    records rejected, the errors of each code, and all its errors."""
    summary = (
        entries.order_by()
        .values("object", "code")
        .annotate(n=Count("id"))
        .order_by("object", "code")
    )
    records = dict(
        entries.order_by()
        .values("object")
        .annotate(n=Count("record_id", distinct=True))
        .values_list("object", "n")
    )
    codes = sorted({row["code"] for row in summary})
    table: dict[str, dict[str, int]] = {}
    for row in summary:
        table.setdefault(row["object"], {})[row["code"]] = row["n"]
    # Per object: records rejected (what the batch page's "Errors: M" counts) beside the
    # errors found in them (one record can break several rules).
    matrix = [
        (
            name,
            records[name],
            [table[name].get(code, 0) for code in codes],
            sum(table[name].values()),
        )
        for name in catalog.NAMES
        if name in table
    ]
    return codes, matrix
