"""An Ed-Fi server that keeps nothing: lightbeam's own ceiling on this machine.

It answers the metadata a client reads (statesync's own, so lightbeam sends the same resources
in the same order), a token for any credentials, and 201 to every POST at once. lightbeam sends
the same sample to it right after the state: the rate it reaches here is what the client and
loopback allow, the floor beside the Ed-Fi door's row (docs/PERFORMANCE.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
from hypercorn.asyncio import serve
from hypercorn.config import Config

from statesync.state.edfi import openapi
from statesync.web.server import free_port

Message = dict[str, Any]
TOKEN = {"access_token": "nothing-is-kept", "expires_in": 1800, "token_type": "bearer"}


def documents(base: str) -> dict[str, Any]:
    """What a client GETs before it sends, by path (with and without the trailing slash)."""
    found = {
        "/edfi/": openapi.discovery(base),
        "/edfi/metadata/": openapi.metadata(base),
        "/edfi/metadata/data/v3/dependencies": openapi.dependencies(),
        "/edfi/metadata/data/v3/resources/swagger.json": openapi.resources_document(base),
        "/edfi/metadata/data/v3/descriptors/swagger.json": openapi.descriptors_document(base),
    }
    return {**found, "/edfi": found["/edfi/"], "/edfi/metadata": found["/edfi/metadata/"]}


def application(base: str) -> Callable[..., Coroutine[Any, Any, None]]:
    """The ASGI application: metadata, a token, 201 for a POST, an empty page for a GET."""
    bodies = {path: msgspec.json.encode(doc) for path, doc in documents(base).items()}
    token = msgspec.json.encode(TOKEN)

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        while (await receive()).get("more_body"):
            pass  # the body is read and dropped
        path, method = scope["path"], scope["method"]
        status, body = 200, bodies.get(path, b"[]")
        if path.endswith("/oauth/token"):
            body = token
        elif method == "POST":
            status, body = 201, b""
        headers = [(b"content-type", b"application/json")]
        if status == 201:
            headers.append((b"location", f"{base}{path}/00000000000000000000000000000000".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


class NullEdfi:
    """The server, on a free port in a thread of its own, for as long as the `with` lasts."""

    def __enter__(self) -> NullEdfi:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        config.loglevel = "WARNING"  # its "Running on" line is not the bench's to print
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            app = application(f"{self.url}/edfi")
            self._loop.run_until_complete(serve(app, config, shutdown_trigger=self._stop.wait))

        self._thread = threading.Thread(target=run, name="null-edfi", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # listening once a connection is taken
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"the null Ed-Fi server did not listen on port {port}")

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
