"""The district's client of the state API."""

from __future__ import annotations

from statesync.core.config import DisConnection
from statesync.core.sync.client import StateClient, tls_context


def test_every_client_shares_the_processs_tls_context():
    # Making the context loads the CA bundle (28 ms); httpx would make one per client.
    connection = DisConnection("https://state.example", "sst_token")
    with StateClient("0001", connection) as first, StateClient("0002", connection) as second:
        contexts = {id(c.http._transport._pool._ssl_context) for c in (first, second)}
    assert contexts == {id(tls_context())}
