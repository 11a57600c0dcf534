"""One student, two districts: primary enrollments that overlap across districts (E-OVERLAP).

A student is one state ID. The later district's enrollment is rejected, and both districts
are told the other district's number and the overlapping dates — nothing more of its data.
An identity rule: the identity resolver judges it once the batch is stored and the people's
state IDs are settled, so "later" is the order the batches arrived in.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.utils import timezone

from statesync.core import catalog
from statesync.core.wire import RuleCode
from statesync.state.models import Conflict, DownChange
from statesync.state.rules.context import PRIMARY, Batch, Context, Lookups, Verdicts
from statesync.state.rules.registry import identity_rule

# What one overlap found: (the enrollment, its state ID, the other district's ID and
# number, its enrollment's ID, the dates they share).
Found = tuple[Any, str, int, str, int, tuple[dt.date, dt.date | None]]


@identity_rule(catalog.ENROLLMENT)
def overlapping_primary_enrollments(ctx: Lookups, batch: Batch, verdicts: Verdicts) -> None:
    """Reject this batch's primary enrollments that overlap one of the same student's in
    another district; each conflict is recorded for both districts and the state."""
    primary = [r for r in batch.records if r.service_type == PRIMARY and r.start_date]
    primary = [r for r in primary if not verdicts.rejected(r.id)]
    if not primary:
        return
    person = catalog.get(catalog.PERSON)
    state_ids = {
        pk: row[0]
        for pk, row in ctx.fetch(person, (r.person_id for r in primary), ("state_id",)).items()
        if row[0]
    }
    elsewhere = ctx.enrollments_elsewhere(sorted(set(state_ids.values())))
    if elsewhere is None:  # a state of one district has no one to overlap
        return
    found: list[Found] = []
    for record in primary:
        state_id = state_ids.get(record.person_id, "")
        for tenant, number, other_id, start, end in elsewhere.get(state_id, ()):
            if start is None:  # no span to share: a copy's start date is required
                continue
            overlap = _overlap((record.start_date, record.end_date), (start, end))
            if overlap is None:
                continue
            dates = f"{overlap[0].isoformat()} to {overlap[1].isoformat() if overlap[1] else 'on'}"
            verdicts.add(
                record.id,
                RuleCode.OVERLAP,
                "start_date",
                f"primary enrollment overlaps the same student's (state ID {state_id}) primary "
                f"enrollment in district {number} from {dates}",
            )
            found.append((record, state_id, tenant, number, other_id, overlap))
    batch.to_record.append(functools.partial(_record, found, [r.id for r in primary]))


def _record(found: list[Found], checked: list[int], ctx: Context) -> None:
    """Keep each conflict for the state's page and tell the earlier district of it; an
    enrollment sent again without its overlap (its dates fixed) ends its conflicts."""
    now = timezone.now()
    for record, state_id, tenant, _, other_id, (start, end) in found:
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
            _tell(ctx, tenant, other_id, state_id, ctx.tenant_number, start, end)
    clear = set(checked) - {record.id for record, *_ in found}
    open_ones = Conflict.objects.using(ctx.using).filter(
        district_id=ctx.tenant_id, resolved_at=None
    )
    open_ones.filter(enrollment_id__in=sorted(clear)).update(resolved_at=now)


def _overlap(
    one: tuple[dt.date, dt.date | None], other: tuple[dt.date, dt.date | None]
) -> tuple[dt.date, dt.date | None] | None:
    """The dates two spans share (an open end goes on), or None."""
    start = max(one[0], other[0])
    ends = [e for e in (one[1], other[1]) if e is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


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
