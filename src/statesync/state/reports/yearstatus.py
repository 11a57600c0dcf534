"""Year Status and the state's Verification Summary: what each district reported of a year."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statesync.core import catalog
from statesync.core.modes import COMPARISON
from statesync.state.models import District, DistrictYear, ResyncRequest

COMPARED = tuple(key for key, _ in COMPARISON)


@dataclass
class DistrictStatus:
    """One district's mandatory resyncs around school year `year` (it ends `year - 1`'s)."""

    district: District
    year: int
    scoped: int | None = None  # the district's scoped year, as it last reported
    end_of_year: dict[str, Any] | None = None  # of year - 1
    start_of_year: dict[str, Any] | None = None  # of year
    last_verify: dict[str, Any] | None = None  # of year
    pending: list[ResyncRequest] = field(default_factory=list)

    @property
    def end_done(self) -> bool:
        return self.end_of_year is not None

    @property
    def start_done(self) -> bool:
        return self.start_of_year is not None

    @property
    def late(self) -> bool:
        return not (self.end_done and self.start_done)

    @property
    def drift(self) -> int | None:
        if self.last_verify is None:
            return None
        return sum(
            o.get("missing", 0) + o.get("different", 0) + o.get("extra", 0)
            for o in self.last_verify["objects"]
        )

    def missing(self) -> list[int]:
        """The school years whose mandatory resync this district still owes."""
        owed = [] if self.end_done else [self.year - 1]
        return owed + ([] if self.start_done else [self.year])


def year_status(year: int) -> list[DistrictStatus]:
    """Every district's end-of-year resync of `year - 1`, start-of-year resync and last
    verify of `year`, and the resync requests it has not picked up yet."""
    rows = {d.pk: DistrictStatus(d, year) for d in District.objects.all()}
    for reported in DistrictYear.objects.filter(school_year__in=[year - 1, year]):
        row = rows.get(reported.district_id)
        if row is None:
            continue
        if reported.school_year == year - 1:
            row.end_of_year = reported.end_of_year
        else:
            row.start_of_year = reported.start_of_year
            row.last_verify = reported.last_verify
    for scoped in DistrictYear.objects.filter(scoped=True):
        if scoped.district_id in rows:
            rows[scoped.district_id].scoped = scoped.school_year
    pending = ResyncRequest.objects.filter(
        claimed_at__isnull=True, school_year__in=[year - 1, year]
    ).order_by("pk")
    for request in pending:
        rows[request.district_id].pending.append(request)
    return list(rows.values())


def request_missing(row: DistrictStatus, by: str) -> list[ResyncRequest]:
    """Ask `row`'s district for each mandatory resync it owes (not asked for already)."""
    asked = {r.school_year for r in row.pending if r.mode != "verify"}
    return [
        ResyncRequest.ask(row.district, list(catalog.NAMES), "differential", by, school_year=y)
        for y in row.missing()
        if y not in asked
    ]


@dataclass
class VerifiedDistrict:
    district: District
    verify: dict[str, Any] | None
    figures: dict[str, dict[str, int]]  # object → comparison
    totals: dict[str, int]


def verification(year: int) -> tuple[list[VerifiedDistrict], dict[str, dict[str, int]]]:
    """Each district's latest verify of `year` per object, and totals per object across all."""
    reported = {
        y.district_id: y.last_verify
        for y in DistrictYear.objects.filter(school_year=year, last_verify__isnull=False)
    }
    across = {name: dict.fromkeys(COMPARED, 0) for name in catalog.NAMES}
    rows = []
    for district in District.objects.all():
        verify = reported.get(district.pk)
        figures: dict[str, dict[str, int]] = {}
        totals = dict.fromkeys(COMPARED, 0)
        for item in (verify or {}).get("objects", []):
            figures[item["object"]] = {k: item.get(k) or 0 for k in COMPARED}
            for key in COMPARED:
                totals[key] += figures[item["object"]][key]
                if item["object"] in across:
                    across[item["object"]][key] += figures[item["object"]][key]
        rows.append(VerifiedDistrict(district, verify, figures, totals))
    return rows, across
