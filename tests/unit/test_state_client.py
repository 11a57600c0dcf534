"""The district's client of the state API."""

from __future__ import annotations

import httpx

from statesync.core.config import DisConnection
from statesync.core.sync.client import (
    FIRST_DIGEST_PAGE,
    RECONNECT_EVERY,
    StateClient,
    tls_context,
)


def test_every_client_shares_the_processs_tls_context():
    # Making the context loads the CA bundle (28 ms); httpx would make one per client.
    connection = DisConnection("https://state.example", "sst_token")
    with StateClient("0001", connection) as first, StateClient("0002", connection) as second:
        contexts = {id(c.http._transport._pool._ssl_context) for c in (first, second)}
    assert contexts == {id(tls_context())}


def test_a_comparison_asks_a_small_first_page_of_digests_then_full_ones():
    asked = []

    def state(request: httpx.Request) -> httpx.Response:
        after, limit = int(request.url.params["after"]), int(request.url.params["limit"])
        asked.append(limit)
        ids = [i for i in range(after + 1, 100_001)][:limit]
        more = ids[-1] if ids and ids[-1] < 100_000 else None
        return httpx.Response(200, json={"items": [[i, "d"] for i in ids], "next_after": more})

    with StateClient("0001", DisConnection("http://state.example", "sst_token")) as client:
        client.http = httpx.Client(
            base_url=client.http.base_url, transport=httpx.MockTransport(state)
        )
        pages = list(client.digest_pages("PersonIdentity", 2026))
    assert asked == [FIRST_DIGEST_PAGE, 50_000, 50_000]
    assert sum(len(p) for p in pages) == 100_000 and pages[-1][-1] == (100_000, "d")


def test_every_few_batches_the_client_asks_for_a_new_connection():
    # So a district's batches do not stay with one of the state's server processes all run.
    closing = []

    def state(request: httpx.Request) -> httpx.Response:
        closing.append(request.headers.get("connection") == "close")
        return httpx.Response(200, json={"object": "School"})

    with StateClient("0001", DisConnection("http://state.example", "sst_token")) as client:
        client.http = httpx.Client(
            base_url=client.http.base_url, transport=httpx.MockTransport(state)
        )
        for _ in range(3 * RECONNECT_EVERY):
            client.send_batch("School", [])
    assert closing == ([False] * (RECONNECT_EVERY - 1) + [True]) * 3
