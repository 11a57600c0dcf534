"""Only whole requests are carried out, oversized ones are refused before they are read, and
memory stays bounded whatever anonymous clients send (`statesync serve`, as production runs it).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from statesync.access.models import AuditEntry
from statesync.state.models import copy_model
from statesync.web.server import free_port
from tests.integration.test_state_api import DISTRICT, SCHOOL
from tests.reliability.figures import record
from tests.support.servers import Served
from tests.support.workers import wait_for

SchoolCopy = copy_model("School")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """One `statesync serve` for the module (each start costs seconds): it reads the test
    databases live, so each test's own rows are what it sees."""
    with django_db_blocker.unblock():
        server = Served(free_port(), STATESYNC_READ_TIMEOUT="1").start()
    yield server
    server.stop()


@pytest.fixture
def served(server, registered):
    return server


def batch(number: str, name: str, upserts: list[dict]) -> bytes:
    return json.dumps({"run": None, "upserts": upserts, "deletes": []}).encode()


def send_raw(port: int, head: bytes, body: bytes, then: str) -> bytes:
    """Send `head` and `body`, then stall (until the server's read timeout) or half-close."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head + body)
        if then == "half-close":
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
        return answer


def request_head(path: str, token: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: statesync\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n{extra}\r\n"
    ).encode()


@pytest.mark.parametrize("then", ["stall", "half-close"])
def test_a_batch_cut_short_is_not_applied_and_is_audited(served, registered, then):
    token = registered[1]
    path = "/api/state/v1/districts/0001/objects/{}/batch"
    with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.post(path.format("District"), content=batch("0001", "", [DISTRICT])).is_success
        assert api.post(path.format("School"), content=batch("0001", "", [SCHOOL])).is_success
    renamed = batch("0001", "", [{**SCHOOL, "name": "Renamed"}])
    declared = len(renamed) + 3800  # the client says more is coming and never sends it
    answer = send_raw(
        served.port, request_head(path.format("School"), token, declared), renamed, then
    )

    # Nothing answered, or hypercorn's own 400 for a half-closed body: never carried out.
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400"), answer[:40]
    assert SchoolCopy.objects.get(record_id=10).name == "Lincoln Elementary"
    # Audited once the server saw the client go (the socket may close before the row is in).
    refused = wait_for(
        lambda: AuditEntry.objects.filter(action="request.refused").first(),
        10,
        "the refusal to be audited",
    )
    assert refused.target == "POST " + path.format("School")
    assert refused.detail["received"] == len(renamed)
    assert refused.detail["declared"] == declared
    assert refused.via == "api"


def test_a_page_form_cut_short_is_not_carried_out(served):
    login = b"username=admin&password=whatever&csrfmiddlewaretoken=x"
    head = (
        "POST /login/ HTTP/1.1\r\nHost: statesync\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(login) + 100}\r\n\r\n"
    ).encode()
    assert send_raw(served.port, head, login, "stall") == b""
    entry = wait_for(
        lambda: AuditEntry.objects.filter(action="request.refused").first(),
        10,
        "the refusal to be audited",
    )
    assert (entry.target, entry.via) == ("POST /login/", "web")
    assert not AuditEntry.objects.filter(action="login.failed").exists()


def test_an_oversized_batch_gets_413_before_it_is_read(served, registered):
    token = registered[1]
    url = f"{served.url}/api/state/v1/districts/0001/objects/School/batch"
    big = b" " * (21 * 1024 * 1024)
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as api:
        declared = api.post(url, content=big)
        assert declared.status_code == 413, declared.text
        assert "the limit is 20971520 bytes" in declared.json()["detail"]
        chunked = api.post(url, content=iter([big[: 2**20]] * 21))  # no Content-Length
        assert chunked.status_code == 413, chunked.text


def test_anonymous_bodies_are_refused_small(served):
    with httpx.Client(timeout=30, base_url=served.url) as client:
        login = client.post("/login/", content=b"a" * 100_000)
        assert login.status_code == 413
        assert "not signed in may send at most 65536 bytes" in login.text
        api = client.post(
            "/api/state/v1/districts/0001/objects/School/batch", content=b"a" * 70_000
        )
        assert api.status_code == 401
        assert api.json()["error"] == "missing token"


def test_static_files_answer_conditional_and_head_requests(served):
    with httpx.Client(timeout=30, base_url=served.url) as client:
        page = client.get("/login/").text
        static = next(part.split('"')[0] for part in page.split('src="/static/')[1:])
        first = client.get(f"/static/{static}")
        assert first.status_code == 200
        again = client.get(f"/static/{static}", headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert client.head(f"/static/{static}").status_code == 200


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )
        todo += [int(c) for c in children]
    return total / 1024


def test_memory_stays_bounded_while_forty_clients_send_big_bodies_and_stall(served):
    """Forty connections each send nearly 20 MB with a (made-up) token and stall: the bodies wait
    in temporary files, not in the server's memory."""
    before = _tree_rss_mb(served.process.pid)
    declared = 20 * 1024 * 1024
    sockets: list[socket.socket] = []
    sent = threading.Event()

    def hold() -> None:
        conn = socket.create_connection(("127.0.0.1", served.port), timeout=30)
        sockets.append(conn)
        conn.sendall(
            request_head("/api/state/v1/districts/0001/objects/School/batch", "x", declared)
        )
        chunk = b" " * 2**20
        for _ in range(19):
            conn.sendall(chunk)

    threads = [threading.Thread(target=hold) for _ in range(40)]
    peak = before
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        sent.set()
        for _ in range(5):
            peak = max(peak, _tree_rss_mb(served.process.pid))
            time.sleep(0.1)
    finally:
        for conn in sockets:
            conn.close()
    time.sleep(1)
    peak = max(peak, _tree_rss_mb(served.process.pid))
    record("MB the server grew while 40 clients held 19 MB bodies", round(peak - before))
    assert peak - before < 150, f"server grew from {before:.0f} MB to {peak:.0f} MB"
    assert os.path.exists(f"/proc/{served.process.pid}")
