"""What the state hands a district's worker: resync requests to claim, and the values it
owns to write into the district's database (the sync down). Both editions use these structs."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from statesync.core.wire import ID, INT64


class ResyncRequestItem(msgspec.Struct):
    """The state asking a district to resync, as the district's worker reads it."""

    id: int
    objects: list[str]
    mode: str
    check_dependencies: bool
    requested_by: str
    created_at: str
    claimed_at: str | None
    # The school year to resync (end year); None means the district's scoped year.
    school_year: int | None = None
    # Records of the one object to send now (the state's Data Tool), instead of a run.
    ids: list[int] | None = None


class Claim(msgspec.Struct):
    """A district's worker taking a resync request, naming the run it made of it."""

    run: INT64 | None = None


# Changes a district fetches at most at once: a first resync brings one per person, and each
# fetch and acknowledgement is a round trip (1,000 a page cost 1.3 s more than 5,000 at seed
# scale).
MAX_DOWN_CHANGES = 5_000


class DownChangeItem(msgspec.Struct):
    """A value the state owns, for the district to write into its own database; with an
    empty `field`, a notice for the district's people (a cross-district conflict)."""

    id: int
    object: str
    record_id: int
    field: str
    value: Any
    reason: str
    created_at: str


class DownChanges(msgspec.Struct):
    """What the state has for a district: changes not yet applied, oldest first, and the
    fields the state owns now (read-only in the district)."""

    items: list[DownChangeItem]
    state_owned: list[list[str]]
    # The district's records the state's identity resolver has yet to settle, counted before
    # the page was read: 0 on an empty page means every state ID decided is in the pages.
    awaiting_identity: int = 0


class Applied(msgspec.Struct, forbid_unknown_fields=True):
    """The district applied every change up to and including `through`; or, with `ids`,
    exactly those. A change queued in a transaction that committed after the district read
    its page can carry a lower ID than `through`: only `ids` leaves it waiting."""

    through: ID
    ids: Annotated[list[ID], msgspec.Meta(max_length=MAX_DOWN_CHANGES)] | None = None


class AppliedResult(msgspec.Struct):
    applied: int
