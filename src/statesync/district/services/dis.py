"""The district's DIS connection: which district this is, and a client for its state."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from statesync.core import catalog
from statesync.core.sync.client import (
    NotConfigured,
    RouterClient,
    StateClient,
    StateError,
    StateRefused,
    get_connection,
)
from statesync.district.models import Registration, Relay, Transfer, dis_model

log = logging.getLogger(__name__)


def get_district_number() -> str:
    """This district's state number, from its own District record."""
    number = (
        dis_model(catalog.ROOT)
        .objects.values_list(catalog.DISTRICT_NUMBER_FIELD, flat=True)
        .first()
    )
    if not number:
        raise StateRefused(
            "The district has no District record with a state district number, so the state "
            "cannot tell which district this is. Seed or enter the District first."
        )
    return number


def state_client(**options: Any) -> StateClient:
    """A client for this district's part of the state API (options as StateClient takes)."""
    connection = options.pop("connection", None) or get_connection()
    return StateClient(get_district_number(), connection, **options)


def dis_problem() -> str:
    """'' when DIS is configured, else why the tools cannot run."""
    try:
        get_connection()
    except NotConfigured as exc:
        return str(exc)
    return ""


def with_the_state(
    work: Callable[[StateClient], int], what: str, client: StateClient | None
) -> int:
    """`work` through `client` or the DIS connection; 0 when DIS is not configured or the
    state is down (logged: the worker's housekeeping tries again), so it never fails its
    caller."""
    if client is not None:
        return _quietly(lambda: work(client), what)
    return _quietly(lambda: _through(state_client, work), what)


def router_client(**options: Any) -> RouterClient:
    """A client for the National Records Exchange's router, as this district registered;
    NotConfigured (saying how) when it has not."""
    registration = Registration.current()
    if registration is None or registration.status != "registered":
        raise NotConfigured(
            "this district is not registered with the National Records Exchange: register on "
            "its page, or run 'statesync exchange register --router URL --token T --accept-terms'"
        )
    return RouterClient(
        registration.code, registration.router_url, registration.credential, **options
    )


def relay_client(transfer: Transfer, **options: Any) -> StateClient:
    """A client for whoever relays `transfer`: the state, or the router."""
    return router_client(**options) if transfer.relay == Relay.ROUTER else state_client(**options)


def with_the_router(work: Callable[[StateClient], int], what: str) -> int:
    """`work` through the router, as with_the_state: 0 when this district is not registered
    or the router is down (logged)."""
    return _quietly(lambda: _through(router_client, work), what)


def _through(make: Callable[..., StateClient], work: Callable[[StateClient], int]) -> int:
    with make(retries=0) as own:
        return work(own)


def _quietly(call: Callable[[], int], what: str) -> int:
    try:
        return call()
    except NotConfigured:
        return 0
    except StateError as exc:
        log.warning("could not %s (will retry): %s", what, exc)
        return 0
