"""The door in process: an ASGI conversation played against WholeRequests, with a WSGI app
that records what it was given (the served tests in tests/reliability do the same over TCP)."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.http import HttpResponse, StreamingHttpResponse

from statesync.web import whole_requests
from statesync.web.whole_requests import WholeRequests

pytestmark = pytest.mark.django_db(transaction=True)


def scope(path: str = "/api/state/v1/x", headers: dict[str, str] | None = None) -> dict:
    raw = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": b"",
        "headers": raw,
        "http_version": "1.1",
        "client": ("203.0.113.9", 4000),
        "server": ("127.0.0.1", 8000),
    }


def converse(app: WholeRequests, request: dict, messages: list[dict]) -> list[dict]:
    """Feed `messages` to the app as the client's, and return what it sent back."""
    sent: list[dict] = []
    queue = list(messages)

    async def receive() -> dict:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    # A thread of its own: a browser test before this one on the same worker can leave
    # Playwright's event loop running in this thread, where asyncio.run() refuses to start.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(request, receive, send)).result()
    return sent


class Recorder:
    """A WSGI app that keeps the body it was handed and answers 200 (or nothing, for HEAD)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict, start_response: Any):
        self.bodies.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [b"ok"]


def chunk(body: bytes, more: bool) -> dict:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_whole_body_reaches_the_app():
    app = WholeRequests(recorder := Recorder())
    headers = {"authorization": "Bearer x", "content-length": "6"}
    sent = converse(app, scope(headers=headers), [chunk(b"abc", True), chunk(b"def", False)])
    assert recorder.bodies == [b"abcdef"]
    assert sent[0]["status"] == 200 and sent[-1]["more_body"] is False


def test_a_body_cut_short_never_reaches_the_app_and_is_audited():
    from statesync.access.models import AuditEntry

    app = WholeRequests(recorder := Recorder())
    headers = {"authorization": "Bearer x", "content-length": "4000"}
    assert converse(app, scope(headers=headers), [chunk(b"x" * 199, True)]) == []
    assert recorder.bodies == []
    entry = AuditEntry.objects.get(action="request.refused")
    assert (entry.detail["received"], entry.detail["declared"]) == (199, 4000)
    assert entry.address == "203.0.113.9"


def test_an_oversized_body_is_413_without_the_app(settings):
    settings.API_MAX_BODY_BYTES = 10
    app = WholeRequests(recorder := Recorder())
    headers = {"authorization": "Bearer x", "content-length": "11"}
    sent = converse(app, scope(headers=headers), [chunk(b"x" * 11, False)])
    assert sent[0]["status"] == 413 and recorder.bodies == []
    chunked = converse(
        app,
        scope(headers={"authorization": "Bearer x"}),
        [chunk(b"x" * 11, True), chunk(b"", False)],
    )  # no Content-Length: refused once past the limit, the rest dropped, then answered
    assert chunked[0]["status"] == 413


def test_without_credentials_a_body_is_small_and_an_api_call_is_401(settings):
    settings.ANONYMOUS_MAX_BODY_BYTES = 10
    app = WholeRequests(Recorder())
    api = converse(app, scope(headers={"content-length": "11"}), [chunk(b"x" * 11, False)])
    assert api[0]["status"] == 401
    page = converse(app, scope("/login/", {"content-length": "11"}), [chunk(b"x" * 11, False)])
    assert page[0]["status"] == 413 and b"not signed in" in page[1]["body"]
    signed_in = {"content-length": "11", "cookie": f"{settings.SESSION_COOKIE_NAME}=abc"}
    assert converse(app, scope("/x/", signed_in), [chunk(b"x" * 11, False)])[0]["status"] == 200


def test_a_bad_content_length_is_400():
    app = WholeRequests(Recorder())
    sent = converse(app, scope(headers={"content-length": "lots"}), [chunk(b"", False)])
    assert sent[0]["status"] == 400 and b"is not a number" in sent[1]["body"]


def test_an_answer_without_a_body_is_sent_with_its_headers():
    app = WholeRequests(Recorder())
    head = {**scope("/static/x.css"), "method": "HEAD"}
    sent = converse(app, head, [chunk(b"", False)])
    assert sent[0] == {"type": "http.response.start", "status": 200, "headers": sent[0]["headers"]}
    assert sent[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


class DjangoAnswers:
    """A WSGI app answering as Django does: an HttpResponse (whole, `streaming` False) or a
    StreamingHttpResponse; it notes the thread each was closed on."""

    def __init__(self, streaming: bool) -> None:
        self.streaming, self.closed_on = streaming, ""

    def __call__(self, environ: dict, start_response: Any):
        start_response("200 OK", [("Content-Type", "text/plain")])
        if self.streaming:
            answer = StreamingHttpResponse(iter([b"one,", b"two"]))
        else:
            answer = HttpResponse(b"whole")
        answer._resource_closers.append(
            lambda: setattr(self, "closed_on", threading.current_thread().name)
        )
        return answer


def test_a_whole_answer_is_sent_at_once_and_closed_on_its_thread():
    app = DjangoAnswers(streaming=False)
    sent = converse(WholeRequests(app), scope(), [chunk(b"", False)])
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1] == {"type": "http.response.body", "body": b"whole", "more_body": False}
    assert app.closed_on.startswith("asyncio")  # the worker thread, where its connections are


def test_a_streamed_answer_is_sent_chunk_by_chunk():
    app = DjangoAnswers(streaming=True)
    sent = converse(WholeRequests(app), scope(), [chunk(b"", False)])
    assert [m.get("body") for m in sent[1:]] == [b"one,", b"two", b""]
    assert [m.get("more_body") for m in sent[1:]] == [True, True, False]
    assert app.closed_on.startswith("asyncio")


def test_lifespan_is_answered():
    app = WholeRequests(Recorder())
    sent = converse(
        app, {"type": "lifespan"}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    )
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_client_gone_while_a_refusal_drains_is_not_answered(settings):
    settings.API_MAX_BODY_BYTES = 10
    app = WholeRequests(Recorder())
    headers = {"authorization": "Bearer x", "content-length": "100"}
    assert converse(app, scope(headers=headers), []) == []  # gone while its rest was dropped
    assert whole_requests.DRAIN_FACTOR >= 1
