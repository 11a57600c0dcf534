"""The district's HTTP client for the state edition's API."""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Self

import httpx
import msgspec

from statesync.core import config, handoff, wire
from statesync.core import transfers as transfer_wire
from statesync.core.sync.source import Outgoing


class StateError(Exception):
    """The state could not be used; the message says what happened and what to do."""


class StateUnavailable(StateError):
    """The state did not answer (down, unreachable, overloaded): worth retrying later."""


class StateRefused(StateError):
    """The state answered no (bad token, another district, bad request): retrying won't help."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


CONFLICT = 409
FIRST_DIGEST_PAGE = 5_000  # digests in the first page of a comparison (the rest: 50,000)
# Every this many batches, the client asks the state to close the connection after answering:
# the next batch opens a new one, which the state's least busy server process accepts. Kept
# alive, a connection pinned a district to one process for its whole run (ten districts at
# once: nine on one of two processes, the tenth at 2.4 times their rate; docs/PERFORMANCE.md).
RECONNECT_EVERY = 4


@dataclass
class Trace:
    """What happened to one request: the body as sent, when, how many tries, and the answer's
    bytes. Filled as it goes, so a request that failed still says what it tried."""

    body: bytes = b""
    sent_at: float | None = None  # time.time() of the first try
    answered_at: float | None = None
    attempts: int = 0
    answer: bytes = b""


class NotConfigured(StateError):
    pass


def get_connection() -> config.DisConnection:
    """The DIS connection, or NotConfigured saying how to set one up."""
    connection = config.get_dis_connection()
    if connection is None:
        raise NotConfigured(
            "DIS is not enabled: no state URL and token are configured. Set STATESYNC_STATE_URL "
            "and STATESYNC_STATE_TOKEN, or run 'statesync dis configure --url URL --token TOKEN'."
        )
    return connection


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings httpx would make (its CA bundle, or SSL_CERT_FILE / SSL_CERT_DIR), made
    once per process: httpx makes them for every client, 28 ms of loading certificates, which
    was half of a selective sync."""
    return httpx.create_ssl_context()


def batch_body(
    upserts: Sequence[Outgoing],
    deletes: Sequence[int] = (),
    run: int | None = None,
    school_year: int | None = None,
    deleted_as_of: int | None = None,
) -> bytes:
    """A batch as the state's API takes it (wire.Batch), from records already encoded."""
    # Each record was encoded once, for its digest; those bytes are spliced in as they are.
    stamped = all(r.version is not None for r in upserts)
    body = b'{"run":%s,"school_year":%s,"upserts":[%s],"versions":%s,"deletes":%s,' % (
        wire.encode(run),
        wire.encode(school_year),
        b",".join(r.data for r in upserts),
        wire.encode([r.version for r in upserts] if stamped else []),
        wire.encode(list(deletes)),
    )
    return body + b'"deleted_as_of":%s}' % wire.encode(deleted_as_of)


class StateClient:
    """Talks to one district's part of the state API, retrying what can be retried."""

    relay = "state"  # who relays its records transfers (district.models.Relay)
    peer = "The state edition"

    def __init__(
        self,
        district_number: str,
        connection: config.DisConnection | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.connection = connection or get_connection()
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=self.connection.api_url,
            headers={
                "Authorization": f"Bearer {self.connection.token}",
                "Content-Type": "application/json",
            },
            timeout=httpx.Timeout(timeout, connect=10.0),
            verify=tls_context(),
        )
        self.district_number = district_number
        self.batches_sent = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _url(self, path: str) -> str:
        return f"/districts/{self.district_number}{path}"

    ADVICE = {
        401: "Check the token (STATESYNC_STATE_TOKEN or 'statesync dis configure').",
        403: "The token belongs to another district: use this district's token.",
        404: "Check the state URL; it should be the state edition's base address.",
        413: "A batch was larger than the state accepts; lower the batch size.",
    }

    def refusal(self, response: httpx.Response) -> str:
        """What a 4xx answer says, and what to do about it."""
        advice = self.ADVICE.get(response.status_code, "")
        status = response.status_code
        return f"{self.peer} refused the request: {status} {_detail(response)}. {advice}".strip()

    def _request(
        self,
        method: str,
        path: str,
        absolute: bool = False,
        trace: Trace | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        url = path if absolute else self._url(path)
        trace = trace or Trace()
        trace.sent_at = trace.sent_at or time.time()
        attempt = 0
        while True:
            attempt += 1
            trace.attempts = attempt
            try:
                response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
                if attempt > self.retries:
                    raise StateUnavailable(
                        f"{self.peer} at {self.connection.state_url} did not answer after "
                        f"{attempt} tries ({problem}). Check that it is running and reachable, "
                        "then run again: nothing sent so far is lost."
                    ) from exc
            else:
                if response.status_code < 400:
                    trace.answered_at, trace.answer = time.time(), response.content
                    return response
                if response.status_code in (429, 502, 503, 504) or response.status_code >= 500:
                    if attempt > self.retries:
                        raise StateUnavailable(
                            f"{self.peer} answered {response.status_code} "
                            f"{_detail(response)} after {attempt} tries. Try again later."
                        )
                else:
                    trace.answered_at, trace.answer = time.time(), response.content
                    raise StateRefused(self.refusal(response), response.status_code)
            self.sleep(min(self.backoff * 2 ** (attempt - 1), 30.0))

    def send_batch(
        self,
        name: str,
        upserts: Sequence[Outgoing],
        deletes: Sequence[int] = (),
        run: int | None = None,
        school_year: int | None = None,
        deleted_as_of: int | None = None,
        trace: Trace | None = None,
    ) -> wire.BatchResult:
        """Send records (source.Outgoing, already encoded, with their versions) and deletions
        of one object; `deleted_as_of` is the district's clock when the deleted were gone.
        `trace` keeps the body, the times and the tries, for the Message History."""
        body = batch_body(upserts, deletes, run, school_year, deleted_as_of)
        if trace is not None:
            trace.body = body
        self.batches_sent += 1
        last = self.batches_sent % RECONNECT_EVERY == 0
        response = self._request(
            "POST",
            f"/objects/{name}/batch",
            content=body,
            trace=trace,
            headers={"Connection": "close"} if last else None,
        )
        return msgspec.json.decode(response.content, type=wire.BatchResult)

    def digest_pages(
        self, name: str, school_year: int | None, after: int = 0, limit: int = 50_000
    ) -> Iterator[list[tuple[int, str]]]:
        """Pages of (ID, digest) the state accepted for `name`, in ID order, after `after`.

        The first page is small: comparing waits for it, and starts while the state reads the
        rest."""
        size = min(limit, FIRST_DIGEST_PAGE)
        while True:
            params: dict[str, Any] = {"after": after, "limit": size}
            if school_year is not None:
                params["school_year"] = school_year
            response = self._request("GET", f"/objects/{name}/digest", params=params)
            page = msgspec.json.decode(response.content, type=wire.DigestPage)
            yield page.items
            if page.next_after is None:
                return
            after, size = page.next_after, limit

    def records(self, name: str, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The state's accepted copies of `ids` of `name`: ID → {column: value}."""
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), wire.MAX_RECORDS):
            part = ",".join(str(i) for i in ids[start : start + wire.MAX_RECORDS])
            response = self._request("GET", f"/objects/{name}/records", params={"ids": part})
            page = msgspec.json.decode(response.content, type=wire.RecordPage)
            found.update((item["id"], item) for item in page.items)
        return found

    def answers(self) -> None:
        """Raise StateError unless a statesync state answers at this address (its API's
        document, which needs no token)."""
        self._request("GET", "/openapi.json", absolute=True)

    def whoami(self) -> wire.WhoAmI:
        return msgspec.json.decode(self._request("GET", "/").content, type=wire.WhoAmI)

    def resync_requests(self) -> list[handoff.ResyncRequestItem]:
        """Resync requests the state made of this district that nobody has picked up."""
        response = self._request("GET", "/resync-requests")
        return msgspec.json.decode(response.content, type=list[handoff.ResyncRequestItem])

    def report_year(self, report: dict[str, Any]) -> None:
        """Tell the state where one school year stands (district.models.SchoolYear.summary)."""
        self._request("PUT", f"/years/{report['school_year']}", content=msgspec.json.encode(report))

    def down_changes(self, after: int = 0) -> handoff.DownChanges:
        """The state's values for this district not yet applied (after change `after`), and
        the fields it owns."""
        response = self._request("GET", "/changes", params={"after": after})
        return msgspec.json.decode(response.content, type=handoff.DownChanges)

    def changes_applied(self, ids: list[int]) -> int:
        """Tell the state these changes are applied; how many that marked."""
        response = self._request(
            "POST", "/changes/applied", content=wire.encode(handoff.Applied(max(ids), ids))
        )
        return msgspec.json.decode(response.content, type=handoff.AppliedResult).applied

    def transfers(self) -> list[transfer_wire.Item]:
        """The district's records transfers: those it asked for and those routed to it."""
        response = self._request("GET", "/transfers")
        return msgspec.json.decode(response.content, type=list[transfer_wire.Item])

    def transfer(self, path: str, body: msgspec.Struct | None = None) -> transfer_wire.Item:
        """POST `body` to `/transfers{path}`; the transfer as the state then tells it."""
        content = wire.encode(body) if body is not None else None
        response = self._request("POST", f"/transfers{path}", content=content)
        return msgspec.json.decode(response.content, type=transfer_wire.Item)

    def transfer_packet(self, transfer_id: int) -> transfer_wire.Packet:
        """The packet released for request `transfer_id`, documents included."""
        response = self._request("GET", f"/transfers/{transfer_id}/packet")
        return msgspec.json.decode(response.content, type=transfer_wire.Packet)

    def claim_resync_request(self, request_id: int, run: int | None) -> bool:
        """Take a request for `run` (None: records sent at once); False if another worker
        took it first."""
        try:
            self._request(
                "POST",
                f"/resync-requests/{request_id}/claim",
                content=wire.encode(handoff.Claim(run)),
            )
        except StateRefused as exc:
            if exc.status == CONFLICT:
                return False
            raise
        return True


def _detail(response: httpx.Response) -> str:
    try:
        error = msgspec.json.decode(response.content, type=wire.ApiError)
        return f"({error.error}: {error.detail})" if error.detail else f"({error.error})"
    except (msgspec.DecodeError, msgspec.ValidationError):
        return f"({response.text[:200]!r})"


@dataclass(frozen=True)
class RouterConnection(config.DisConnection):
    """Where the National Records Exchange's router is, and this district's credential."""

    @property
    def api_url(self) -> str:
        return self.state_url.rstrip("/") + "/api/router/v1"


class RouterClient(StateClient):
    """Talks to the National Records Exchange's router (docs/EXCHANGE.md) as a registered
    district (`code`): the same records-transfer calls as the state's, from the API's root."""

    relay = "router"
    peer = "The National Records Exchange router"
    ADVICE = {
        401: "The credential is unknown or revoked: register again with a new registration "
        "token from the router's people ('statesync exchange register').",
        404: "No such request at the router, or the router URL is not the router's address.",
    }

    def __init__(self, code: str, router_url: str, credential: str, **options: Any):
        super().__init__(code, RouterConnection(router_url, credential), **options)

    def _url(self, path: str) -> str:
        return path

    def call(
        self, method: str, path: str, body: msgspec.Struct | None = None, **kwargs: Any
    ) -> Any:
        """`method` on `path` with `body` as JSON; the answer's decoded JSON."""
        content = msgspec.json.encode(body) if body is not None else None
        response = self._request(method, path, content=content, **kwargs)
        return msgspec.json.decode(response.content)
