"""What the batch tool and `statesync status` show per object: the latest resync of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statesync import catalog
from statesync.district.models import Mode, ObjectStatus, RunObject, RunStatus

LEGEND = (
    ("grey", "Never resynced"),
    ("blue", "Queued or running"),
    ("green", "Done, no errors"),
    ("amber", "Done with errors"),
    ("red", "Failed: the run did not finish"),
)


@dataclass
class ObjectState:
    object: str
    depth: int
    light: str
    last_resync: datetime | None = None
    processed: int = 0
    errors: int = 0
    run_object: RunObject | None = None

    @property
    def label(self) -> str:
        return dict(LEGEND)[self.light]

    def as_dict(self) -> dict:
        ro = self.run_object
        return {
            "object": self.object,
            "status": self.light,
            "status_text": self.label,
            "last_resync": self.last_resync.isoformat() if self.last_resync else None,
            "processed": self.processed,
            "errors": self.errors,
            "run": ro.run_id if ro else None,
            "run_status": ro.run.status if ro else None,
            "progress": {"done": ro.processed, "total": ro.total, "rate": round(ro.rate)}
            if ro
            else None,
        }


def light_of(ro: RunObject) -> str:
    if ro.run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return "blue"
    if ro.status == ObjectStatus.DONE:
        return "amber" if ro.errors else "green"
    return "red"


def object_states() -> list[ObjectState]:
    """Each object of the tree with its latest resync (verify runs change nothing, so skip)."""
    recent = (
        RunObject.objects.select_related("run")
        .exclude(run__mode=Mode.VERIFY)
        .exclude(run__status=RunStatus.CANCELLED, status=ObjectStatus.SKIPPED)
        .order_by("-run_id")
    )
    latest = {name: recent.filter(object=name).first() for name in catalog.NAMES}
    states = []
    for node in catalog.flat_tree():
        ro = latest.get(node.name)
        if ro is None:
            states.append(ObjectState(node.name, node.depth, "grey"))
            continue
        when = ro.finished_at or ro.run.started_at or ro.run.created_at
        states.append(
            ObjectState(node.name, node.depth, light_of(ro), when, ro.processed, ro.errors, ro)
        )
    return states
