"""The state ingest API over real HTTP: auth, tenancy, bad input, idempotence, rules."""

from __future__ import annotations

import datetime as dt
import json
from datetime import timedelta

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from statesync.access.models import PersonalToken
from statesync.core import catalog, wire
from statesync.core.db.routers import state_db
from statesync.state.ingest import apply as ingest
from statesync.state.models import ApiToken, District, DownChange, Rejection, copy_model
from statesync.state.rules import Context

CalendarCopy = copy_model("Calendar")
DistrictCopy = copy_model("District")
SchoolCopy = copy_model("School")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

SCHOOL = {
    "id": 10,
    "district_id": 1,
    "state_school_number": "0420",
    "name": "Lincoln Elementary",
    "grade_low": "KG",
    "grade_high": "05",
    "school_type": "ELEM",
}
DISTRICT = {"id": 1, "state_district_number": "0001", "name": "Demo"}
CALENDAR = {
    "id": 7,
    "school_id": 10,
    "school_year": 2024,
    "name": "c",
    "start_date": "2023-08-20",
    "end_date": "2024-05-30",
    "is_summer": False,
}


@pytest.fixture
def api(live_server, registered):
    _district, token = registered
    client = httpx.Client(
        base_url=f"{live_server.url}/api/state/v1/districts/0001",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    yield client
    client.close()


def post(api, name, upserts=(), deletes=(), run=None, **kwargs):
    return api.post(
        f"/objects/{name}/batch",
        json={"run": run, "upserts": list(upserts), "deletes": list(deletes)},
        **kwargs,
    )


def test_batch_inserts_then_is_idempotent(api):
    assert post(api, "District", [DISTRICT]).json()["inserted"] == 1
    first = post(api, "School", [SCHOOL]).json()
    assert (first["inserted"], first["updated"], first["rejected"]) == (1, 0, [])
    again = post(api, "School", [SCHOOL]).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 1)
    changed = post(api, "School", [{**SCHOOL, "name": "Lincoln Elem"}]).json()
    assert changed["updated"] == 1
    assert SchoolCopy.objects.get(record_id=10).name == "Lincoln Elem"


def test_digests_list_accepted_records_in_id_order(api):
    post(api, "District", [DISTRICT])
    post(api, "School", [{**SCHOOL, "id": i, "state_school_number": f"{i:04d}"} for i in (5, 3, 9)])
    page = api.get("/objects/School/digest", params={"limit": 2}).json()
    assert [i for i, _ in page["items"]] == [3, 5]
    assert page["next_after"] == 5
    rest = api.get("/objects/School/digest", params={"after": 5}).json()
    assert [i for i, _ in rest["items"]] == [9] and rest["next_after"] is None
    assert all(len(d) == 32 for _, d in page["items"])


def test_rejections_name_code_field_and_value(api):
    post(api, "District", [DISTRICT])
    bad = {**SCHOOL, "state_school_number": "12A", "grade_low": "13"}
    answer = post(api, "School", [bad]).json()
    assert answer["inserted"] == 0
    [rejected] = answer["rejected"]
    errors = {(e["code"], e["field"]): e["message"] for e in rejected["errors"]}
    assert errors[("E-FORMAT", "state_school_number")] == (
        "State School Number '12A' is not 4 digits"  # the field by its label, the value quoted
    )
    assert "'13'" in errors[("E-CODE", "grade_low")]
    assert Rejection.objects.filter(object="School", record_id=10).exists()
    assert not SchoolCopy.objects.exists()


def test_child_of_rejected_parent_gets_e_parent_naming_why(api):
    post(api, "District", [DISTRICT])
    post(api, "School", [{**SCHOOL, "state_school_number": None}])
    calendar = {
        "id": 7,
        "school_id": 10,
        "school_year": 2024,
        "name": "2023-24",
        "start_date": "2023-08-20",
        "end_date": "2024-05-30",
        "is_summer": False,
    }
    [rejected] = post(api, "Calendar", [calendar]).json()["rejected"]
    [error] = rejected["errors"]
    assert error["code"] == "E-PARENT"
    assert error["message"].startswith("School 10 was rejected (E-REQUIRED state_school_number")
    [missing] = post(api, "Calendar", [{**calendar, "school_id": 99}]).json()["rejected"]
    assert missing["errors"][0]["message"] == "School 99 is not at the state"


def test_wrong_type_in_one_record_rejects_only_that_record(api):
    post(api, "District", [DISTRICT])
    good = {**SCHOOL, "id": 1, "state_school_number": "0001"}
    bad = {**SCHOOL, "id": 2, "state_school_number": 1234}
    answer = post(api, "School", [good, bad]).json()
    assert answer["inserted"] == 1
    [rejected] = answer["rejected"]
    assert rejected["id"] == 2
    assert rejected["errors"][0]["code"] == "E-FORMAT"
    assert rejected["errors"][0]["field"] == "state_school_number"


def test_deletes_cascade_to_children(api):
    post(api, "District", [DISTRICT])
    post(api, "School", [SCHOOL])
    assert post(api, "Calendar", [CALENDAR]).json()["inserted"] == 1
    assert post(api, "School", deletes=[10]).json()["deleted"] == 1
    assert api.get("/objects/Calendar/digest").json()["items"] == []


def test_a_batch_reads_each_parent_once_and_its_own_object_fresh(api, registered):
    post(api, "District", [DISTRICT])
    post(api, "School", [SCHOOL])
    post(api, "Calendar", [CALENDAR])
    tenant, _ = registered
    copies = catalog.get("Calendar")
    asked = [(), ("start_date", "end_date"), (catalog.YEAR_FIELD,)]  # as a day's rules ask

    def reads(batch_object: str) -> tuple[list[dict], list[int]]:
        ctx = Context(tenant.id, tenant.number, state_db(), batch_object=batch_object)
        with CaptureQueriesContext(connections[state_db()]) as seen:
            answers = [ctx.fetch(copies, [7, 8], columns) for columns in asked]
            ctx.fetch(copies, [8], ())  # not held: known absent, not read again
        return answers, [q["sql"].count(copies.state_table) for q in seen.captured_queries]

    reads("Day")  # the columns asked of calendars are learned on a process's first batch
    answers, queries = reads("Day")
    assert answers == [
        {7: ()},
        {7: (dt.date(2023, 8, 20), dt.date(2024, 5, 30))},
        {7: (2024,)},
    ]
    assert queries == [1]
    _, fresh = reads("Calendar")  # a batch of calendars reads its own rows every time
    assert fresh == [1, 1, 1, 1]


def test_deleting_a_district_deletes_its_copies_and_no_one_elses(api, registered):
    # The copy tables carry no foreign key in the database (an upsert's per-row check):
    # Django's cascade does the deleting.
    post(api, "District", [DISTRICT])
    post(api, "School", [SCHOOL])
    other = District.register("0002", "Other")
    SchoolCopy.objects.create(
        tenant=other, record_id=10, digest=b"0" * 16, accepted_at=dt.datetime.now(dt.UTC)
    )
    tenant, _ = registered
    for district in (tenant, other):  # down changes carry no foreign key in the database either
        DownChange.objects.create(
            district=district, object="School", record_id=10, field="name", value="x", reason="r"
        )
    tenant.delete()
    assert list(SchoolCopy.objects.values_list("tenant_id", flat=True)) == [other.pk]
    assert list(DownChange.objects.values_list("district_id", flat=True)) == [other.pk]


def test_a_batch_of_new_records_is_written_straight_in_and_a_later_one_merged(api, registered):
    """A first resync's batch (nothing held) needs no merge: on PostgreSQL it is copied
    straight into the copy table; a batch that replaces copies goes through the merge."""
    post(api, "District", [DISTRICT])
    tenant, _ = registered
    school = catalog.get("School")

    def batch(*upserts: dict) -> tuple:
        body = json.dumps({"run": None, "upserts": list(upserts), "deletes": []}).encode()
        envelope, records, _failures = wire.decode_batch("School", body)
        return tenant, school, envelope, records

    state = connections[state_db()]
    with CaptureQueriesContext(state) as fresh:
        ingest.apply_batch(
            *batch({**SCHOOL, "id": 10}, {**SCHOOL, "id": 11, "state_school_number": "0421"})
        )
    with CaptureQueriesContext(state) as merged:
        result = ingest.apply_batch(*batch({**SCHOOL, "id": 10, "name": "Renamed"}))
    assert result.updated == 1
    assert dict(SchoolCopy.objects.values_list("record_id", "name")) == {
        10: "Renamed",
        11: "Lincoln Elementary",
    }
    if state.vendor == "postgresql":
        assert not any("ON CONFLICT" in q["sql"] for q in fresh.captured_queries)
        assert any("ON CONFLICT" in q["sql"] for q in merged.captured_queries)


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 401, "missing token"),
        ({"Authorization": "Bearer sst_nope"}, 401, "invalid token"),
        ({"Authorization": "Basic dXNlcjpwdw=="}, 401, "missing token"),
    ],
)
def test_bad_tokens_are_refused_and_nothing_written(
    live_server, registered, headers, status, error
):
    url = f"{live_server.url}/api/state/v1/districts/0001/objects/District/batch"
    response = httpx.post(url, json={"upserts": [DISTRICT]}, headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert District.objects.get(number="0001").last_realtime_at is None


def test_revoked_token_is_refused(api, registered):
    district, _ = registered
    district.tokens.get().revoke()
    assert post(api, "District", [DISTRICT]).status_code == 401


def test_a_tokens_last_use_is_kept_to_the_minute_without_a_write_per_call(api, registered):
    district, _ = registered
    token = district.tokens.get()
    assert token.last_used_at is None
    assert api.get("/").status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert api.get("/resync-requests").status_code == 200  # a read stays a read
    token.refresh_from_db()
    assert token.last_used_at == first
    type(token).objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    assert api.get("/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first


def test_token_of_one_district_cannot_touch_another(live_server, registered):
    other = District.register("0002", "Other District")
    other_token = other.issue_token()
    base = f"{live_server.url}/api/state/v1/districts"
    # B writes a school of its own.
    httpx.post(
        f"{base}/0002/objects/District/batch",
        json={"upserts": [{**DISTRICT, "state_district_number": "0002"}]},
        headers={"Authorization": f"Bearer {other_token}"},
    ).raise_for_status()
    _, token_a = registered
    headers = {"Authorization": f"Bearer {token_a}"}
    write = httpx.post(
        f"{base}/0002/objects/District/batch",
        json={"upserts": [{**DISTRICT, "name": "hijacked"}], "deletes": [1]},
        headers=headers,
    )
    assert write.status_code == 403
    assert "belongs to district 0001, not district 0002" in write.json()["detail"]
    read = httpx.get(f"{base}/0002/objects/District/digest", headers=headers)
    assert read.status_code == 403

    assert list(DistrictCopy.objects.values_list("tenant__number", "name")) == [("0002", "Demo")]


def test_a_district_record_must_carry_the_tokens_number(api):
    [rejected] = post(api, "District", [{**DISTRICT, "state_district_number": "0002"}]).json()[
        "rejected"
    ]
    assert rejected["errors"][0]["code"] == "E-CODE"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b'{"upserts": {"a": 1}}', 400, "invalid batch"),
        (b'{"upserts": [], "surprise": 1}', 400, "invalid batch"),
        (b'{"upserts": [{"name": "no id"}]}', 400, "invalid batch"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid batch"),
        (b'{"deletes": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "invalid batch"),
        (b'{"upserts": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}", 400, "invalid batch"),
        (b'{"upserts": [{"id": 1, "name": "\\ud800"}]}', 400, "malformed JSON"),
        (b"\xff\xfe not utf-8", 400, "malformed JSON"),
    ],
)
def test_malformed_bodies_get_a_clear_400(api, body, status, error):
    response = api.post("/objects/School/batch", content=body)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["detail"]


def test_unknown_object_is_404(api):
    response = post(api, "Student", [])
    assert response.status_code == 404
    assert "Student" in response.json()["detail"]


def test_oversize_body_is_413_before_parsing(api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = api.post("/objects/School/batch", content=b"x" * 5000)
    assert response.status_code == 413
    assert "limit is 1000 bytes" in response.json()["detail"]


def test_wrong_method_is_405(api):
    response = api.get("/objects/School/batch")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    # As JSON, like every other refusal of the API (ninja's own 405 is plain text).
    assert response.json() == {"error": "method not allowed", "detail": "use POST on this URL"}


def test_the_district_api_refuses_a_wrong_method_as_json_too(client):
    response = client.delete("/api/district/v1/resync")
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert response.json()["error"] == "method not allowed"


def test_a_resync_request_id_past_a_bigint_is_a_400_not_a_database_error(api):
    answer = api.post(f"/resync-requests/{2**63}/claim", content=b"{}")
    assert answer.status_code == 400 and answer.json()["error"] == "invalid request"


@pytest.mark.parametrize("params", [{"after": "x"}, {"limit": "0"}, {"school_year": "1800"}])
def test_bad_digest_parameters_are_400(api, params):
    response = api.get("/objects/School/digest", params=params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_state_numbers_are_ascii_digits(api):
    post(api, "District", [DISTRICT])
    bad = {**SCHOOL, "state_school_number": "\u0661\u0662\u0663\u0664"}
    [rejected] = post(api, "School", [bad]).json()["rejected"]
    assert rejected["errors"][0]["code"] == "E-FORMAT"


@pytest.mark.parametrize(
    "name",
    [
        "Zoë O\u2019Brien-Nguyễn",  # typographic apostrophe
        "مدرسة الأمل",  # right-to-left
        "e\u0301cole",  # combining accent
        "zero\u200bwidth",
        "🏫 School of 🚀",
        "'; DROP TABLE state_copy_school;--",
        "<script>alert(1)</script>",
    ],
)
def test_unicode_and_hostile_text_is_stored_verbatim(api, name):
    post(api, "District", [DISTRICT])
    assert post(api, "School", [{**SCHOOL, "name": name}]).json()["inserted"] == 1
    assert SchoolCopy.objects.get(record_id=10).name == name


def test_nul_character_is_rejected_not_a_server_error(api):
    post(api, "District", [DISTRICT])
    [rejected] = post(api, "School", [{**SCHOOL, "name": "a\u0000b"}]).json()["rejected"]
    assert rejected["errors"][0]["message"] == "Name contains a NUL character"


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_refused_clearly(api, value):
    post(api, "District", [DISTRICT])
    answer = post(api, "School", [{**SCHOOL, "id": 11}, {**SCHOOL, "id": value}])
    assert answer.status_code == 400
    assert "no integer id" in answer.json()["detail"]
    response = api.post("/objects/School/batch", json={"upserts": [], "deletes": [value]})
    assert response.status_code == 400
    big_field = post(api, "CourseSection", [{"id": 1, "calendar_id": 1, "max_students": value}])
    [rejected] = big_field.json()["rejected"]
    assert any(e["field"] == "max_students" for e in rejected["errors"])


def test_sql_injection_text_is_stored_verbatim(api):
    post(api, "District", [DISTRICT])
    name = "Robert'); DROP TABLE state_copy_school;--"
    assert post(api, "School", [{**SCHOOL, "name": name}]).json()["inserted"] == 1
    assert SchoolCopy.objects.get(record_id=10).name == name


def send(api, name, body: dict) -> httpx.Response:
    return api.post(f"/objects/{name}/batch", json=body)


def test_an_older_version_is_stale_and_a_deletion_spares_a_newer_copy(api):
    post(api, "District", [DISTRICT])
    assert send(api, "School", {"upserts": [SCHOOL], "versions": [5]}).json()["inserted"] == 1
    older = send(api, "School", {"upserts": [{**SCHOOL, "name": "Old"}], "versions": [4]}).json()
    assert (older["stale"], older["updated"]) == (1, 0)
    assert SchoolCopy.objects.get(record_id=10).name == "Lincoln Elementary"
    again = send(api, "School", {"upserts": [SCHOOL], "versions": [5]}).json()
    assert (again["unchanged"], again["stale"]) == (1, 0)  # the same version: idempotent

    spared = send(api, "School", {"deletes": [10], "deleted_as_of": 4}).json()
    assert spared["deleted"] == 0  # gone as of 4, but the state holds version 5
    gone = send(api, "School", {"deletes": [10], "deleted_as_of": 6}).json()
    assert gone["deleted"] == 1
    late = send(api, "School", {"upserts": [SCHOOL], "versions": [6]}).json()
    assert (late["stale"], late["inserted"]) == (1, 0)  # no newer than its deletion
    back = send(api, "School", {"upserts": [SCHOOL], "versions": [7]}).json()
    assert back["inserted"] == 1  # made again after it was deleted


def test_versions_must_match_the_upserts(api):
    post(api, "District", [DISTRICT])
    answer = send(api, "School", {"upserts": [SCHOOL], "versions": [1, 2]})
    assert answer.status_code == 400
    assert "versions has 2 entries for 1 upserts" in answer.json()["detail"]
    negative = send(api, "School", {"upserts": [SCHOOL], "versions": [-1]})
    assert negative.status_code == 400
    assert not SchoolCopy.objects.exists()


def test_records_returns_the_states_copies_for_this_district_only(api, live_server, registered):
    post(api, "District", [DISTRICT])
    post(api, "School", [SCHOOL, {**SCHOOL, "id": 11, "state_school_number": "0421"}])
    page = api.get("/objects/School/records", params={"ids": "11,10,99"}).json()
    assert [item["id"] for item in page["items"]] == [10, 11]  # 99 is not held
    assert page["items"][0]["state_school_number"] == "0420"
    assert page["items"][0]["grade_low"] == "KG"
    for bad in ("", "1,x", "0", ",".join(["1"] * 1001)):
        answer = api.get("/objects/School/records", params={"ids": bad})
        assert answer.status_code == 400, bad
    other = District.register("0002", "Other").issue_token()
    foreign = httpx.get(
        f"{live_server.url}/api/state/v1/districts/0001/objects/School/records",
        params={"ids": "10"},
        headers={"Authorization": f"Bearer {other}"},
    )
    assert foreign.status_code == 403


def test_deleting_a_parent_spares_a_closed_years_records_and_buries_its_children(live_server):
    """Deleting a school (not of a year) took its closed year's calendars with it, without
    E-YEAR-CLOSED and without tombstones, so an older copy of a calendar could come back."""
    from statesync.state.models import StateYear, Tombstone
    from tests.support.districts import SendingDistrict

    district = SendingDistrict(live_server.url, "0009")  # a school with a 2023-24 calendar
    StateYear.close(2024, "state")

    def delete_school(as_of: int) -> dict:
        body = {"upserts": [], "deletes": [1], "deleted_as_of": as_of}
        return district.http.post(f"/objects/{catalog.SCHOOL}/batch", json=body).json()

    refused = delete_school(10)
    assert refused["deleted"] == 0
    (error,) = refused["rejected"][0]["errors"]
    assert error["code"] == wire.RuleCode.YEAR_CLOSED
    assert "School 1 has Calendar records of a closed year under it" in error["message"]
    assert CalendarCopy.objects.filter(tenant__number="0009").exists()

    StateYear.reopen(2024)
    assert delete_school(10)["deleted"] == 1
    assert not CalendarCopy.objects.filter(tenant__number="0009").exists()
    assert Tombstone.objects.filter(object="Calendar", record_id=1, version=10).exists()


def test_a_copy_sent_without_a_version_does_not_replace_one_that_has_one(api):
    post(api, "District", [DISTRICT])
    send(api, "School", {"upserts": [SCHOOL], "versions": [5]})
    unversioned = post(api, "School", [{**SCHOOL, "name": "From nowhere"}]).json()
    assert (unversioned["stale"], unversioned["updated"]) == (1, 0)
    copy = SchoolCopy.objects.get(record_id=10)
    assert (copy.name, copy.version) == ("Lincoln Elementary", 5)  # its version kept


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_token_read_in_plain_sql_is_what_the_orm_reads(registered):
    district, secret = registered
    token = district.tokens.get()
    token.record_use()  # a date in each of its date columns, as the database gives it back
    found = ApiToken.authenticate(secret)
    orm = ApiToken.objects.select_related("district").get(pk=token.pk)
    assert _fields(found) == _fields(orm)
    assert _fields(found.district) == _fields(orm.district)
    assert found.last_used_at.tzinfo is not None
    assert found._state.db == found.district._state.db == state_db()
    token.revoke()
    assert ApiToken.authenticate(secret) is None


def test_a_personal_tokens_user_read_in_plain_sql_is_what_the_orm_reads(transactional_db):
    user = get_user_model().objects.create_user("reader", last_login=timezone.now())
    secret = PersonalToken.issue(user, "nightly")[1]
    assert _fields(PersonalToken.authenticate(secret)) == _fields(
        get_user_model().objects.get(pk=user.pk)
    )
    assert PersonalToken.live_with(secret, "user").user.last_login.tzinfo is not None
    user.is_active = False
    user.save()
    assert PersonalToken.authenticate(secret) is None
