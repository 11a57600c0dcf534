"""Bad bytes never make a 500: invalid UTF-8 bodies, NUL characters nested in records and in
selective-sync IDs through the API (PostgreSQL's text and jsonb refuse NUL outright)."""

from __future__ import annotations

import httpx
import pytest
from django.contrib.auth import get_user_model

from statesync.access.models import PersonalToken
from statesync.core import catalog
from statesync.district.models import SelectiveSync

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

NOT_UTF8 = b'{"upserts": [{"id": 1, "name": "caf\xe9"}], "run": \xe9}'


def bearer_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def state_api(dis, registered):
    with bearer_client(f"{dis.url}/api/state/v1/districts/0001", registered[1]) as client:
        yield client


@pytest.fixture
def district_api(dis, seeded):
    seeded()
    user = get_user_model().objects.create_superuser("bytes", "b@example.org", None)
    with bearer_client(f"{dis.url}/api/district/v1", PersonalToken.issue(user, "b")[1]) as client:
        yield client


@pytest.mark.parametrize("path", ["/objects/District/batch", "/resync-requests/1/claim"])
def test_invalid_utf8_to_the_state_is_a_400_that_says_so(state_api, path):
    response = state_api.post(path, content=NOT_UTF8)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed JSON"
    assert "not valid UTF-8" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/resync", "/selective-sync"])
def test_invalid_utf8_to_the_district_api_is_a_400_that_says_so(district_api, path):
    response = district_api.post(
        path, content=NOT_UTF8, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "not valid UTF-8" in response.json()["detail"]


def test_malformed_json_to_the_district_api_says_json(district_api):
    response = district_api.post(
        "/resync", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "malformed JSON", "detail": "the body is not valid JSON"}


@pytest.mark.parametrize(
    ("name", "record", "field"),
    [
        (
            "TermSchedule",
            {
                "terms": [
                    {
                        "seq": 1,
                        "name": "S\x001",
                        "start_date": "2023-09-01",
                        "end_date": "2023-12-20",
                    }
                ]
            },
            "terms",
        ),
        (
            "PeriodSchedule",
            {"periods": [{"seq": 1, "name": "P\x00", "start_time": "08:00", "end_time": "08:50"}]},
            "periods",
        ),
        ("PersonIdentity", {"race_codes": ["WH\x00"]}, "race_codes"),
    ],
)
def test_nul_nested_in_a_record_is_a_rule_error(state_api, name, record, field):
    response = state_api.post(f"/objects/{name}/batch", json={"upserts": [{"id": 9, **record}]})
    assert response.status_code == 200, response.text
    errors = response.json()["rejected"][0]["errors"]
    assert {
        "code": "E-FORMAT",
        "field": field,
        "message": f"{catalog.field_label(field)} contains a NUL character",
    } in errors


def test_nul_in_ids_through_the_api_is_shown_back_not_stored(district_api):
    response = district_api.post(
        "/selective-sync", json={"object": "PersonIdentity", "ids": "4 a\x00b 5"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["synced"]) | {int(i) for i in body["rejected"]} == {4, 5}
    assert body["not_ids"] == ["a\u2400b"]
    assert SelectiveSync.objects.get(pk=body["id"]).not_ids == ["a\u2400b"]
