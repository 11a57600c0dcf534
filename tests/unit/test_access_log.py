"""The web server's access line (web/server.py): hypercorn's own, made cheaper."""

from __future__ import annotations

import time

import pytest
from hypercorn.logging import AccessLogAtoms

from statesync.web.server import ACCESS_LOG_FORMAT, access_line_values

GET = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/edfi/data/v3/ed-fi/students",
    "query_string": b"a=1",
    "client": ("127.0.0.1", 50123),
    "headers": [
        (b"Host", b"127.0.0.1:8000"),
        (b"User-Agent", b"python-requests/2.32"),
        (b"Referer", b"http://127.0.0.1:8000/edfi/"),
        (b"Authorization", b"Bearer secret"),
    ],
}
ANSWERED = {
    "status": 201,
    "headers": [(b"Content-Type", b"application/json"), (b"Content-Length", b"2")],
}


@pytest.mark.parametrize(
    ("request_", "response"),
    [
        (GET, ANSWERED),
        ({**GET, "headers": [], "client": None}, {"status": 204, "headers": []}),
        ({**GET, "client": ("/tmp/socket",)}, None),  # no answer (a closed connection)
        ({**GET, "type": "websocket"}, ANSWERED),
    ],
)
def test_the_access_line_is_hypercorns_own(monkeypatch, request_, response):
    monkeypatch.setattr(time, "strftime", lambda form: "[07/Dec/2026:21:00:00 +0000]")
    ours = ACCESS_LOG_FORMAT % access_line_values(request_, response, 0.0123)
    theirs = ACCESS_LOG_FORMAT % AccessLogAtoms(request_, response, 0.0123)
    assert ours == theirs
    assert "secret" not in ours  # only what the line prints is read


def test_a_value_the_format_does_not_know_is_a_dash():
    assert access_line_values(GET, ANSWERED, 1.0)["D"] == "-"
