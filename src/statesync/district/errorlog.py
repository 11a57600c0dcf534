"""Choosing error-log entries: one set of filters for the page, its report, and the CLI."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from statesync import catalog
from statesync.district.models import ErrorLogEntry, Run
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
    """The entries matching the request's filters, and the filters as understood.

    By default what the state rejects now: each record's latest judgement only. `history`
    (or naming a run) shows every run's entries.
    """
    entries = ErrorLogEntry.objects.all()
    chosen: dict = {
        "run": _int(params.get("run", "")),
        "object": params.get("object", "") if params.get("object") in catalog.NAMES else "",
        "school": _int(params.get("school", "")),
        "code": params.get("code", "") if params.get("code") in set(RuleCode) else "",
        "q": params.get("q", "").strip()[:200],
    }
    chosen["history"] = bool(chosen["run"]) or str(params.get("history", "")) in ("1", "on")
    if not chosen["history"]:
        entries = entries.filter(current=True)
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
