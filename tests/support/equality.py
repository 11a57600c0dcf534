"""The end of every fault and race test: district and state hold the same records."""

from __future__ import annotations

from django.db import connections

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.district.models import Difference, Run, RunStatus
from statesync.district.services.resync import execute
from tests.reliability.figures import record

PEOPLE = ["District", "School", "PersonIdentity", "Calendar", "Enrollment"]


def assert_state_equals_district(names=PEOPLE) -> None:
    """Verify finds nothing to do, and the state holds each record exactly once."""
    verify = execute(Run.plan(names, "verify"))
    assert verify.status == RunStatus.SUCCEEDED, verify.message
    assert not Difference.objects.filter(run=verify).exists()
    with connections[state_db()].cursor() as cursor:
        for name in names:
            table = catalog.OBJECTS[name].state_table
            cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT record_id) FROM {table}")
            total, distinct = cursor.fetchone()
            assert total == distinct, f"{name}: {total - distinct} duplicated records"
    record("verify runs after faults: differences found", 0)
    record("records lost", 0)
