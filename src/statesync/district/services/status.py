"""What the batch tool and `statesync status` show per object: the latest resync of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from statesync.core import catalog
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
    """One object's line: the latest run that took it (`run_object`, perhaps still going or
    failed) and the latest result that finished (`done`), which stays in view meanwhile."""

    object: str
    depth: int
    light: str
    run_object: RunObject | None = None
    done: RunObject | None = None

    @property
    def last_resync(self) -> datetime | None:
        """When the object's latest resync finished (not when its run was queued)."""
        return self.done.finished_at if self.done else None

    @property
    def processed(self) -> int:
        return self.done.processed if self.done else 0

    @property
    def errors(self) -> int:
        return self.done.errors if self.done else 0

    @property
    def waiting(self) -> bool:
        """In a running run, not started yet: its turn comes after the objects before it."""
        ro = self.run_object
        return bool(ro and ro.run.status == RunStatus.RUNNING and ro.status == ObjectStatus.PENDING)

    @property
    def failure(self) -> str:
        """Why the latest run did not finish this object ('' unless it failed)."""
        if self.light != "red" or self.run_object is None:
            return ""
        return self.run_object.run.message or "The run did not finish."

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
            "failure": self.failure or None,
            "progress": {"done": ro.processed, "total": ro.total, "rate": round(ro.rate)}
            if ro and not self.waiting
            else None,
        }


def light_of(ro: RunObject) -> str:
    if ro.run.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return "blue"
    if ro.status == ObjectStatus.DONE:
        return "amber" if ro.errors else "green"
    return "red"


def object_states(school_year: int | None = None) -> list[ObjectState]:
    """Each object of the tree with its latest resync (of `school_year` if given; verify
    runs change nothing, so skip)."""
    recent = RunObject.objects.select_related("run")
    if school_year is not None:
        recent = recent.filter(run__school_year=school_year)
    recent = (
        recent.exclude(run__mode=Mode.VERIFY)
        .exclude(run__status=RunStatus.CANCELLED, status=ObjectStatus.SKIPPED)
        .order_by("-run_id")
    )
    states = []
    for node in catalog.flat_tree():
        ro = recent.filter(object=node.name).first()
        if ro is None:
            states.append(ObjectState(node.name, node.depth, "grey"))
            continue
        done = ro if ro.status == ObjectStatus.DONE else None
        if done is None:
            done = recent.filter(object=node.name, status=ObjectStatus.DONE).first()
        states.append(ObjectState(node.name, node.depth, light_of(ro), ro, done))
    return states
