"""Telling the state where each school year stands (state Year Status, Verification Summary)."""

from __future__ import annotations

import logging

from statesync.core.sync.client import StateClient
from statesync.district.models import SchoolYear
from statesync.district.services.dis import with_the_state

log = logging.getLogger(__name__)


def report_years(client: StateClient) -> int:
    """Send the state each year whose latest summary it lacks; how many were sent."""
    sent = 0
    for year in SchoolYear.objects.filter(reported=False).order_by("end_year"):
        # Marked first: a run that ends while this one is on the wire marks it due again.
        SchoolYear.objects.filter(pk=year.pk).update(reported=True)
        try:
            client.report_year(year.summary())
        except BaseException:
            SchoolYear.objects.filter(pk=year.pk).update(reported=False)
            raise
        sent += 1
    return sent


def report_years_now(client: StateClient | None = None) -> int:
    """report_years through `client` or the DIS connection, never failing its caller."""
    return with_the_state(report_years, "report school years to the state", client)
