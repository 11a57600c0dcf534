"""One student, two districts: primary enrollments that overlap across districts (E-OVERLAP).

A student is one state ID. The later district's enrollment is rejected, and both districts
are told the other district's number and the overlapping dates — nothing more of its data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connections
from django.utils import timezone

from statesync.core import catalog
from statesync.core.db import sqlin
from statesync.core.wire import RuleCode
from statesync.state.ingest import locks
from statesync.state.models import Conflict, District, DownChange
from statesync.state.rules import Context, Verdicts
from statesync.state.rules.fields import as_date

PRIMARY = "P"


def check(ctx: Context, records: list, verdicts: Verdicts) -> None:
    """Reject this batch's primary enrollments that overlap one of the same student's in
    another district, and record each such conflict for both districts and the state."""
    primary = [r for r in records if r.service_type == PRIMARY and r.start_date]
    primary = [r for r in primary if not verdicts.rejected(r.id)]
    others = District.objects.using(ctx.using).exclude(pk=ctx.tenant_id)
    if not primary or not others.exists():  # a state of one district has no one to overlap
        return
    person = catalog.get(catalog.PERSON)
    state_ids = {
        pk: row[0]
        for pk, row in ctx.fetch(person, (r.person_id for r in primary), ("state_id",)).items()
        if row[0]
    }
    if state_ids:  # another district sending the same student now waits for this batch
        locks.hold_enrollments_across_districts(ctx.using)
    elsewhere = _elsewhere(ctx, sorted(set(state_ids.values())))
    numbers = (
        dict(District.objects.using(ctx.using).values_list("pk", "number")) if elsewhere else {}
    )
    conflicts = []
    for record in primary:
        state_id = state_ids.get(record.person_id, "")
        for tenant, other_id, start, end in elsewhere.get(state_id, ()):
            overlap = _overlap((record.start_date, record.end_date), (start, end))
            if overlap is None:
                continue
            dates = f"{overlap[0].isoformat()} to {overlap[1].isoformat() if overlap[1] else 'on'}"
            verdicts.add(
                record.id,
                RuleCode.OVERLAP,
                "start_date",
                f"primary enrollment overlaps the same student's (state ID {state_id}) primary "
                f"enrollment in district {numbers[tenant]} from {dates}",
            )
            conflicts.append((record, state_id, tenant, other_id, overlap))
    _record(ctx, conflicts, numbers)
    # An enrollment sent again without its overlap (its dates fixed) ends its conflicts.
    clear = {r.id for r in primary} - {record.id for record, *_ in conflicts}
    open_ones = Conflict.objects.using(ctx.using).filter(
        district_id=ctx.tenant_id, resolved_at=None
    )
    open_ones.filter(enrollment_id__in=sorted(clear)).update(resolved_at=timezone.now())


def _elsewhere(ctx: Context, state_ids: list[str]) -> dict[str, list[tuple]]:
    """State ID → its primary enrollments in other districts: (district, ID, start, end)."""
    found: dict[str, list[tuple]] = defaultdict(list)
    if not state_ids:
        return found
    sql = (
        "SELECT p.state_id, e.tenant_id, e.record_id, e.start_date, e.end_date "
        "FROM state_copy_personidentity p JOIN state_copy_enrollment e "
        "ON e.tenant_id = p.tenant_id AND e.person_id = p.record_id "
        "WHERE p.tenant_id <> %s AND e.service_type = %s AND "
    )
    connection = connections[ctx.using]
    with connection.cursor() as cursor:
        for condition, params in sqlin.matching(connection, "p.state_id", state_ids):
            cursor.execute(sql + condition, [ctx.tenant_id, PRIMARY, *params])
            for state_id, tenant, record_id, start, end in cursor.fetchall():
                found[state_id].append((tenant, record_id, as_date(start), as_date(end)))
    return found


def _overlap(
    one: tuple[dt.date, dt.date | None], other: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date | None] | None:
    """The dates two spans share (an open end goes on), or None."""
    start = max(one[0], other[0])
    ends = [e for e in (one[1], other[1]) if e is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


def _record(ctx: Context, conflicts: list[tuple], numbers: dict[int, str]) -> None:
    """Keep each conflict for the state's page, and tell the earlier district of it."""
    now = timezone.now()
    for record, state_id, tenant, other_id, (start, end) in conflicts:
        _, created = Conflict.objects.using(ctx.using).update_or_create(
            district_id=ctx.tenant_id,
            enrollment_id=record.id,
            other_district_id=tenant,
            other_enrollment_id=other_id,
            defaults={
                "state_id": state_id,
                "overlap_start": start,
                "overlap_end": end,
                "found_at": now,
                "resolved_at": None,
            },
        )
        if created:
            _tell(ctx, tenant, other_id, state_id, numbers[ctx.tenant_id], start, end)


def _tell(
    ctx: Context, tenant: int, enrollment: int, state_id: str, number: str, start: Any, end: Any
) -> None:
    dates = f"{start.isoformat()} to {end.isoformat() if end else 'on'}"
    DownChange.objects.using(ctx.using).create(
        district_id=tenant,
        object=catalog.ENROLLMENT,
        record_id=enrollment,
        field="",  # a notice, not a value
        value=None,
        reason=(
            f"Cross-district conflict: the student with state ID {state_id} is also enrolled "
            f"(primary) in district {number} from {dates}; district {number}'s enrollment "
            "was rejected"
        )[:200],
    )
