"""The whole state API, every operation added (import `api` from here, not from `base`:
django-ninja freezes an API once its URLs or document are read)."""

from statesync.state.api import endpoints, transfers
from statesync.state.api.base import api

__all__ = ["api", "endpoints", "transfers"]
