"""Every page, partial and report, fed generated query parameters: never a server error.

Runs on whichever database the pass uses (SQLite, then PostgreSQL in CI), where NUL characters
and odd Unicode in a filter reach real queries. A NUL is refused with a 400 naming the field.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statesync.district.models import Run, SelectiveSync
from statesync.state.models import District
from tests.reliability.figures import record

pytestmark = pytest.mark.django_db(databases="__all__")

# Every query parameter any page reads, and a few it does not.
PARAMETERS = [
    "run", "object", "school", "code", "q", "page", "objects", "check_dependencies",
    "next", "action", "user", "group", "entries", "mode", "zzz",
]  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
QUERIES = st.dictionaries(st.sampled_from(PARAMETERS), st.one_of(TEXT, st.just("\x00")), max_size=4)


@pytest.fixture
def pages(db):
    District.register("0001", "Fuzz District")
    run = Run.plan(["District"])
    sync = SelectiveSync.objects.create(object="PersonIdentity", ids_asked=[1])
    return [
        reverse("home"),
        reverse("profile"),
        reverse("audit-log"),
        reverse("tool-rights"),
        reverse("district:batch"),
        reverse("district:batch-rows"),
        reverse("district:batch-plan"),
        reverse("district:run", args=[run.pk]),
        reverse("district:errors"),
        reverse("district:errors-report"),
        reverse("district:errors-clear"),
        reverse("district:selective"),
        reverse("district:selective-result", args=[sync.pk]),
        reverse("district:selective-delete"),
        reverse("district:notifications"),
        reverse("state:districts"),
        reverse("state:district", args=["0001"]),
    ]


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=QUERIES, which=st.integers(min_value=0))
def test_no_query_parameters_make_any_page_fail(admin_client, pages, query, which):
    url = pages[which % len(pages)]
    response = admin_client.get(url, query)
    if response.streaming:
        b"".join(response.streaming_content)  # a report fails while it streams, if at all
    assert response.status_code < 500, (url, query)
    if any("\x00" in k or "\x00" in v for k, v in query.items()):
        assert response.status_code == 400
        assert b"contains a NUL character" in response.content
    record("generated page requests", 1)


def test_every_page_refuses_a_nul_by_naming_it(admin_client, pages):
    for url in pages:
        response = admin_client.get(url, {"q": "a\x00b"})
        assert response.status_code == 400, url
        assert b"the query parameter 'q' contains a NUL character" in response.content, url
