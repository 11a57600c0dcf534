"""The door every HTTP request comes through: Django sees a request only once it is whole.

hypercorn's own WSGI bridge hands the application whatever part of a body had arrived when the
client went silent or hung up, as if it were the whole body (a batch cut at 199 of 4,000 bytes
was applied), buffers every body in memory before looking at its size, and answers 500 to a
response without a body (a 304 or a HEAD for a static file). This ASGI application stands in
its place in front of Django's WSGI application:

- a body is read to its end — all of what Content-Length declared, or the last chunk — before
  Django is called; a client that goes away first has nothing carried out, and the refusal is
  audited;
- a body larger than its limit is refused with 413 from its Content-Length, before a byte of it
  is read (or as soon as a chunked one passes the limit), and a request that carries no
  credentials at all (no session cookie, no Authorization header) may send only a small one;
- what is read is spooled to a private temporary file past SPOOL_BYTES, so memory per
  connection stays small however many clients send at once (docs/RELIABILITY.md).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from collections.abc import Callable, Coroutine, Iterable
from typing import IO, Any

import msgspec
from django.conf import settings

from statesync.access.audit import record_refused_request
from statesync.core import wire
from statesync.state.edfi.problems import CONTENT_TYPE, Problem

log = logging.getLogger(__name__)

Message = dict[str, Any]
Receive = Callable[[], Coroutine[Any, Any, Message]]
Send = Callable[[Message], Coroutine[Any, Any, None]]

SPOOL_BYTES = 2**20  # a body beyond this waits in a temporary file (a batch of 2,000 is less)
DRAIN_FACTOR = 4  # an oversized body is read and dropped up to this times its limit


class Refusal(Exception):
    """A request answered before Django sees it: status, a short error, why, and how much of
    its body had been read."""

    def __init__(self, status: int, error: str, detail: str, received: int = 0):
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail
        self.received = received


class ClientGone(Exception):
    """The client closed or went silent before its request was whole."""

    def __init__(self, received: int, declared: int | None):
        super().__init__(f"{received} of {declared if declared is not None else '?'} bytes")
        self.received, self.declared = received, declared


def get_body_limit(path: str, credentials: bool) -> int:
    """The most bytes a request to `path` may send: what the product's largest input needs."""
    if not credentials:
        return settings.ANONYMOUS_MAX_BODY_BYTES
    if path.startswith("/api/"):
        return settings.API_MAX_BODY_BYTES
    if path.startswith("/edfi/"):
        return settings.EDFI_MAX_BODY_BYTES
    return settings.PAGE_MAX_BODY_BYTES


def has_credentials(headers: dict[str, str]) -> bool:
    """Whether the request names someone (a session cookie or a bearer token), checked or not."""
    cookie = f"{settings.SESSION_COOKIE_NAME}="
    return bool(headers.get("authorization")) or any(
        part.strip().startswith(cookie) for part in headers.get("cookie", "").split(";")
    )


class WholeRequests:
    """ASGI in front of a WSGI application, which it calls on worker threads with whole bodies."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]):
        self.wsgi_app = wsgi_app

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http":
            await self.handle_http(scope, receive, send)

    async def handle_http(self, scope: Message, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        loop = asyncio.get_running_loop()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as body:
            try:
                await _read_body(scope, headers, receive, body)
            except Refusal as refusal:
                # The rest is read and dropped before the answer: hypercorn closes a connection
                # whose request is unfinished once the answer is out, and a client still sending
                # then sees a reset, not the answer. Past DRAIN_FACTOR times the limit, no more.
                limit = get_body_limit(scope["path"], has_credentials(headers))
                if await _drain(receive, limit * DRAIN_FACTOR - refusal.received):
                    await _refuse(scope, refusal, send)
                return
            except ClientGone as gone:
                await loop.run_in_executor(None, audit_incomplete, scope, gone)
                return
            body.seek(0)
            environ = _environ(scope, headers, body)

            def send_soon(message: Message) -> None:
                asyncio.run_coroutine_threadsafe(send(message), loop).result()

            whole = await loop.run_in_executor(None, self.run_app, environ, send_soon)
            if whole is not None:
                start, content = whole
                await send(start)
                await send({"type": "http.response.body", "body": content, "more_body": False})

    def run_app(
        self, environ: dict[str, Any], send: Callable[[Message], None]
    ) -> tuple[Message, bytes] | None:
        """Call the WSGI application. An answer already whole in memory (Django's HttpResponse)
        is returned for the event loop to send; a streamed one (a CSV report, a static file) is
        sent chunk by chunk through `send`, each chunk a wait on the event loop, and None is
        returned. Every request paid three such waits before (a third of a small request's
        CPU, profiled)."""
        started: dict[str, Any] = {"type": "http.response.start"}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
            started["status"] = int(status.split(" ", 1)[0])
            started["headers"] = [
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
            ]

        result = self.wsgi_app(environ, start_response)
        try:
            if getattr(result, "streaming", True) is False:
                return started, b"".join(result)
            head_sent = False
            for chunk in result:
                if not head_sent:
                    send(started)
                    head_sent = True
                if chunk:
                    send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not head_sent:  # a 304, a HEAD, an empty answer: headers alone
                send(started)
            send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            # On this thread, where Django's request_finished closes its connections.
            if hasattr(result, "close"):
                result.close()
        return None


def audit_incomplete(scope: Message, gone: ClientGone) -> None:
    """Record a request refused because its body never arrived whole (nothing was carried out)."""
    address = (scope.get("client") or ("", 0))[0] or None
    try:
        record_refused_request(
            method=scope["method"],
            path=scope["path"],
            address=address,
            reason="the client closed or went silent before its request was whole",
            received=gone.received,
            declared=gone.declared,
            via="api" if scope["path"].startswith("/api/") else "web",
        )
    except Exception:  # the database being away must not take the door down with it
        log.exception("could not audit a refused request to %s", scope["path"])


async def _read_body(scope: Message, headers: dict[str, str], receive: Receive, body: IO) -> None:
    """Read the whole body into `body`, or raise Refusal (too big) or ClientGone."""
    credentials = has_credentials(headers)
    limit = get_body_limit(scope["path"], credentials)
    declared = _declared_length(headers)
    if declared is not None and declared > limit:
        raise _too_large(scope["path"], declared, limit, credentials)
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone(received, declared)
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:
            refusal = _too_large(scope["path"], received, limit, credentials)
            refusal.received = received
            raise refusal
        body.write(chunk)
        if not message.get("more_body"):
            break
    if declared is not None and received != declared:
        detail = f"{received} of {declared} declared bytes arrived"
        raise Refusal(400, "incomplete body", detail, received)


def _declared_length(headers: dict[str, str]) -> int | None:
    raw = headers.get("content-length")
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Refusal(
            400, "bad Content-Length", f"Content-Length {raw!r} is not a number"
        ) from None
    if value < 0:
        raise Refusal(400, "bad Content-Length", f"Content-Length {value} is negative")
    return value


def _too_large(path: str, size: int, limit: int, credentials: bool) -> Refusal:
    if not credentials and path.startswith("/api/"):
        detail = "send 'Authorization: Bearer <token>'; without one a request may send at most"
        return Refusal(401, "missing token", f"{detail} {limit} bytes")
    if not credentials:
        detail = f"a request from someone not signed in may send at most {limit} bytes"
        return Refusal(413, "payload too large", f"{size} bytes; {detail}")
    return Refusal(413, "payload too large", f"{size} bytes; the limit is {limit} bytes")


async def _refuse(scope: Message, refusal: Refusal, send: Send) -> None:
    if scope["path"].startswith("/api/"):
        body = wire.encode(wire.ApiError(refusal.error, refusal.detail))
        kind = b"application/json"
    elif scope["path"].startswith("/edfi/"):
        # Ed-Fi clients read problem details, whatever refused the request.
        problem = Problem(
            refusal.status, "urn:ed-fi:api:bad-request", refusal.error, refusal.detail
        )
        body, kind = msgspec.json.encode(problem.as_dict()), CONTENT_TYPE.encode()
    else:
        body = f"{refusal.error.capitalize()}: {refusal.detail}.".encode()
        kind = b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    if refusal.status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="statesync"'))
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _drain(receive: Receive, most: int) -> bool:
    """Read and drop what the client still sends, up to `most` bytes (memory stays flat);
    whether the client is still there to be answered."""
    dropped = 0
    while dropped <= most:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        if not message.get("more_body"):
            return True
        dropped += len(message.get("body", b""))
    return True


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _headers(scope: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return headers


def _environ(scope: Message, headers: dict[str, str], body: IO) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    root = scope.get("root_path", "")
    path = scope["path"].removeprefix(root) or "/"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf8").decode("latin1"),
        "PATH_INFO": path.encode("utf8").decode("latin1"),
        "QUERY_STRING": scope["query_string"].decode("ascii", "replace"),
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"] = scope["client"][0]
    for name, value in headers.items():
        if name == "content-length":
            environ["CONTENT_LENGTH"] = value
        elif name == "content-type":
            environ["CONTENT_TYPE"] = value
        else:
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ
