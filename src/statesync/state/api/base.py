"""The state API itself — one district's token, one district's data — and what its operations
share: the district number in the path, the errors each can give, reading a JSON body.
`endpoints.py` and `transfers.py` add their operations to it."""

from __future__ import annotations

from typing import Any

from ninja import Path

from statesync.core import catalog, handoff, transfers, wire
from statesync.core.http.api import ApiProblem, decoded, decoding  # noqa: F401  (the operations')
from statesync.core.http.jsonapi import JsonApi, json_answer, ref
from statesync.state.api.auth import DistrictToken

MAX_ID = 2**63 - 1
# Records are documented as objects; the same record may also be sent as an array in the
# object's column order (what the district sends), which each batch's description gives.
BATCH_TYPES = {name: wire.typed_batch(name, rows=False) for name in catalog.NAMES}

api = JsonApi(
    title="statesync state ingest API",
    version="1",
    description="District → state sync. Bearer tokens belong to one district. "
    "Integers are JSON integer literals (7, not 7.0).",
    auth=DistrictToken(),
    token_name="token",
    urls_namespace="state-api",
    docs_url=None,
    structs=[
        *BATCH_TYPES.values(),
        wire.BatchResult,
        wire.DigestPage,
        wire.RecordPage,
        wire.ApiError,
        handoff.ResyncRequestItem,
        handoff.Claim,
        wire.WhoAmI,
        wire.YearReport,
        handoff.DownChanges,
        handoff.Applied,
        handoff.AppliedResult,
        transfers.Ask,
        transfers.Route,
        transfers.Decline,
        transfers.Item,
        transfers.Packet,
    ],
)
NUMBER = Path(..., description="The district's 4-digit state number; the token's district.")
ERRORS = {
    400: "Malformed JSON or an invalid batch or parameter",
    401: "Missing, unknown or revoked token",
    403: "The token belongs to another district",
    404: "No such route or record",
    409: "Already claimed, or refused as the detail says",
    413: "Body over the size limit",
}


def answers(ok: str, schema: dict[str, Any], *codes: int) -> dict[str, Any]:
    """The responses of an operation: its 200 and the errors it can give, for openapi_extra
    (keyed by number, as ninja keys the 200 it documents itself)."""
    error = ref("ApiError")
    return {
        "responses": {
            200: json_answer(ok, schema),
            **{code: json_answer(ERRORS[code], error) for code in (401, 403, *codes)},
        }
    }
