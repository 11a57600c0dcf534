"""A bulk load leaves PostgreSQL's planner blind until statistics are gathered; without them a
resync's scoped reads joined every enrollment again for each page (docs/PERFORMANCE.md)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections

from statesync.core import catalog
from statesync.core.db import planner, sqlin
from statesync.core.db.routers import state_db
from statesync.district.models import Run, RunStatus
from statesync.district.services.resync import execute
from statesync.state.models import District


def test_seeding_gathers_the_planners_statistics_on_postgresql(seeded):
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("statistics matter to PostgreSQL's planner: CI's PostgreSQL pass runs this")
    seeded("small", defects=False)
    tables = [obj.district_table for obj in catalog.OBJECTS.values()]
    with connection.cursor() as cursor:
        # reltuples is -1 until a table is analysed (or vacuumed); COPY does not set it.
        cursor.execute("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)", [tables])
        estimated = dict(cursor.fetchall())
    assert sorted(estimated) == sorted(tables)
    assert all(estimated[table] > 0 for table in tables), estimated


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_batchs_key_lookups_use_the_key_on_postgresql(dis, seeded):
    """Two things keep a lookup of a batch's 2,000 keys off a scan of the district's whole
    copy: the table's first batch gives it statistics, and every session costs pages as
    cached. Without either, PostgreSQL scanned every person for each batch; with the cost set
    in the batch's transaction alone, the resolver's reads before its own transaction were
    still planned at a disk's cost (768 of the state's 7,124 ms of statements at seed scale;
    docs/PERFORMANCE.md)."""
    state = connections[state_db()]
    if state.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner's choice: CI's PostgreSQL pass runs this")
    planner.forget()
    seeded(27_646, defects=False)  # a tenth of the seed scale: 12,000 people
    run = execute(Run.plan(["District", catalog.PERSON], "force", False))
    assert run.status == RunStatus.SUCCEEDED, run.message
    tenant = District.objects.using(state_db()).get()
    person = catalog.get(catalog.PERSON)
    ids = list(range(5_000, 5_200))  # a batch's share of its copy: a sixtieth, as at seed scale
    ((condition, params),) = sqlin.matching(state, "record_id", ids)
    with state.cursor() as cursor:  # outside any batch's transaction, as the resolver reads
        cursor.execute(
            f"EXPLAIN SELECT record_id FROM {person.state_table} "
            f"WHERE tenant_id = %s AND {condition}",
            [tenant.id, *params],
        )
        plan = "\n".join(row[0][:120] for row in cursor.fetchall())
    assert "copy_personidentity_key" in plan, plan
    # The district's database too: its sync-down updates people by key.
    for connection in connections.all():
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            assert cursor.fetchone()[0] == settings.PAGE_COST, connection.alias
