from statesync.core.modes import MODE_HELP, Mode
from statesync.district.models.errors import (
    DIFFERENCE_OF,
    Difference,
    DifferenceKind,
    ErrorLogEntry,
    ErrorSource,
)
from statesync.district.models.exchange import Registration
from statesync.district.models.locks import RunLock
from statesync.district.models.messages import (
    Action,
    Item,
    Message,
    MessageBucket,
    MessageTally,
    Origin,
    Result,
    SentBody,
)
from statesync.district.models.notifications import Notification
from statesync.district.models.objects import DIS_MODELS, DisRecord, dis_model
from statesync.district.models.outbox import OutboxEntry
from statesync.district.models.runs import COUNTERS, ObjectStatus, Run, RunObject, RunStatus
from statesync.district.models.selective import SelectiveSync
from statesync.district.models.stateowned import AppliedChange, StateOwnedField
from statesync.district.models.transfers import (
    PriorEnrollment,
    Relay,
    Side,
    Transfer,
    TransferDocument,
    TransferSettings,
)
from statesync.district.models.years import SchoolYear

__all__ = [
    "COUNTERS",
    "DIFFERENCE_OF",
    "DIS_MODELS",
    "MODE_HELP",
    "Action",
    "AppliedChange",
    "Difference",
    "DifferenceKind",
    "DisRecord",
    "ErrorLogEntry",
    "ErrorSource",
    "Item",
    "Message",
    "MessageBucket",
    "MessageTally",
    "Mode",
    "Notification",
    "ObjectStatus",
    "Origin",
    "OutboxEntry",
    "PriorEnrollment",
    "Registration",
    "Relay",
    "Result",
    "Run",
    "RunLock",
    "RunObject",
    "RunStatus",
    "SchoolYear",
    "SelectiveSync",
    "SentBody",
    "Side",
    "StateOwnedField",
    "Transfer",
    "TransferDocument",
    "TransferSettings",
    "dis_model",
]
