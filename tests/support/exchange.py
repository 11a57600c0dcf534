"""Districts in other states for the National Records Exchange's tests: registered with the
router through its API, with credentials of their own, as their editions would be."""

from __future__ import annotations

import httpx

from statesync.core.exchange import TERMS_VERSION
from statesync.router import registry


def router_api(base: str, credential: str) -> httpx.Client:
    """The router's API as a district edition calls it, with `credential`."""
    return httpx.Client(
        base_url=f"{base}/api/router/v1",
        headers={"Authorization": f"Bearer {credential}"},
        timeout=30,
    )


def registered_elsewhere(base: str, name: str, state: str, city: str, zip_code: str):
    """A district in another state, added at the router and registered through its API: the
    member, and a client holding its credential."""
    member, token = registry.invite(name, state, "router operator")
    with router_api(base, token) as client:
        answer = client.post(
            "/registration",
            json={
                "accept_terms": True,
                "terms_version": TERMS_VERSION,
                "registered_by": f"admin of {name}",
                "places": [{"city": city, "zip_code": zip_code, "share": 1.0}],
            },
        )
    assert answer.status_code == 200, answer.text
    return member, router_api(base, answer.json()["credential"])
