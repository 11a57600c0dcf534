"""Telling the state where each school year stands (state Year Status, Verification Summary)."""

from __future__ import annotations

import logging

from statesync.district.dis import state_client
from statesync.district.models import SchoolYear
from statesync.sync.client import NotConfigured, StateClient, StateError

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
    """report_years through `client` or the district's DIS connection; a state that is down
    is tried again by the worker's housekeeping, so this never fails its caller."""
    try:
        if client is not None:
            return report_years(client)
        with state_client(retries=0) as own:
            return report_years(own)
    except NotConfigured:
        return 0
    except StateError as exc:
        log.warning("could not report school years to the state (will retry): %s", exc)
        return 0
