from statesync.state.models.copies import (
    COPY_MODELS,
    Rejection,
    StateCopy,
    Tombstone,
    copy_model,
    copy_rows,
)
from statesync.state.models.edfi import EdfiChange, EdfiClient, EdfiDocument, EdfiToken
from statesync.state.models.identity import IdentityWork
from statesync.state.models.messages import ReceivedBucket, ReceivedMessage
from statesync.state.models.ownership import Conflict, DownChange, FieldSetting, Owner
from statesync.state.models.people import MatchHold, StatePerson
from statesync.state.models.registry import ApiToken, District
from statesync.state.models.removals import Removal
from statesync.state.models.requests import ResyncRequest
from statesync.state.models.transfers import Transfer, TransferPacket
from statesync.state.models.years import DistrictYear, StateYear

__all__ = [
    "COPY_MODELS",
    "ApiToken",
    "Conflict",
    "District",
    "DistrictYear",
    "DownChange",
    "EdfiChange",
    "EdfiClient",
    "EdfiDocument",
    "EdfiToken",
    "FieldSetting",
    "IdentityWork",
    "MatchHold",
    "Owner",
    "ReceivedBucket",
    "ReceivedMessage",
    "Rejection",
    "Removal",
    "ResyncRequest",
    "StateCopy",
    "StatePerson",
    "StateYear",
    "Tombstone",
    "Transfer",
    "TransferPacket",
    "copy_model",
    "copy_rows",
]
