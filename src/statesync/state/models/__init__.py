from statesync.state.models.copies import COPY_MODELS, Rejection, StateCopy, Tombstone
from statesync.state.models.registry import ApiToken, District
from statesync.state.models.requests import ResyncRequest

globals().update({m.__name__: m for m in COPY_MODELS.values()})

__all__ = [
    "COPY_MODELS",
    "ApiToken",
    "District",
    "Rejection",
    "ResyncRequest",
    "StateCopy",
    "Tombstone",
]
