"""The Ed-Fi door over real HTTP: OAuth2, upserts judged by the state's rules, reads, Change
Queries, tenancy and bad input (docs/EDFI.md)."""

from __future__ import annotations

import httpx
import pytest

from statesync.access.models import AuditEntry
from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.models import (
    District,
    EdfiChange,
    EdfiClient,
    EdfiDocument,
    ReceivedMessage,
    Rejection,
    copy_model,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

LEA_ID, SCHOOL_ID = 255901, 255901001
LEA = {
    "localEducationAgencyId": LEA_ID,
    "nameOfInstitution": "Grand Bend ISD",
    "localEducationAgencyCategoryDescriptor": "uri://ed-fi.org/LocalEducationAgencyCategoryDescriptor#Independent",
    "categories": [
        {
            "educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#Local Education Agency"
        }
    ],
}
SCHOOL = {
    "schoolId": SCHOOL_ID,
    "nameOfInstitution": "Grand Bend High School",
    "localEducationAgencyReference": {"localEducationAgencyId": LEA_ID},
    "educationOrganizationCategories": [
        {
            "educationOrganizationCategoryDescriptor": "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"
        }
    ],
    "gradeLevels": [
        {"gradeLevelDescriptor": f"uri://ed-fi.org/GradeLevelDescriptor#{g} grade"}
        for g in ("Ninth", "Tenth", "Eleventh", "Twelfth")
    ],
    "schoolCategories": [
        {"schoolCategoryDescriptor": "uri://ed-fi.org/SchoolCategoryDescriptor#High School"}
    ],
}
CALENDAR = {
    "calendarCode": "2011-GBHS",
    "schoolReference": {"schoolId": SCHOOL_ID},
    "schoolYearTypeReference": {"schoolYear": 2011},
    "calendarTypeDescriptor": "uri://ed-fi.org/CalendarTypeDescriptor#School",
}
STUDENT = {
    "studentUniqueId": "604822",
    "firstName": "Lisa",
    "lastSurname": "Woods",
    "birthDate": "1995-04-02",
}
SEOA = {
    "educationOrganizationReference": {"educationOrganizationId": LEA_ID},
    "studentReference": {"studentUniqueId": "604822"},
    "sexDescriptor": "uri://ed-fi.org/SexDescriptor#Female",
    "hispanicLatinoEthnicity": False,
    "races": [{"raceDescriptor": "uri://ed-fi.org/RaceDescriptor#White"}],
}
SSA = {
    "entryDate": "2010-08-23",
    "schoolReference": {"schoolId": SCHOOL_ID},
    "studentReference": {"studentUniqueId": "604822"},
    "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade",
}
SENT = (
    ("localEducationAgencies", LEA),
    ("schools", SCHOOL),
    ("calendars", CALENDAR),
    ("students", STUDENT),
    ("studentEducationOrganizationAssociations", SEOA),
    ("studentSchoolAssociations", SSA),
)


def credentials(district: District | None) -> tuple[str, str]:
    client, secret = EdfiClient.issue(district, "test")
    return client.key, secret


def connect(base: str, key: str, secret: str) -> httpx.Client:
    answer = httpx.post(
        f"{base}/edfi/oauth/token", data={"grant_type": "client_credentials"}, auth=(key, secret)
    )
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    return httpx.Client(
        base_url=f"{base}/edfi/data/v3/ed-fi",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


@pytest.fixture
def edfi(live_server, registered):
    district, _ = registered
    client = connect(live_server.url, *credentials(district))
    yield client
    client.close()


def send_all(edfi: httpx.Client) -> None:
    for resource, body in SENT:
        answer = edfi.post(f"/{resource}", json=body)
        assert answer.status_code == 201, (resource, answer.text)


def test_discovery_and_metadata_are_anonymous_and_say_where_things_are(live_server):
    root = httpx.get(f"{live_server.url}/edfi/").json()
    assert root["version"] == "7.2"  # below 7.3: no cursor paging, so clients page by offset
    assert root["urls"]["oauth"] == f"{live_server.url}/edfi/oauth/token"
    order = httpx.get(root["urls"]["dependencies"]).json()
    ranks = {item["resource"]: item["order"] for item in order}
    assert (
        ranks["/ed-fi/schools"]
        < ranks["/ed-fi/calendars"]
        < ranks["/ed-fi/studentSchoolAssociations"]
    )
    assert (
        "Create"
        not in next(i for i in order if i["resource"] == "/ed-fi/sexDescriptors")["operations"]
    )
    documents = httpx.get(root["urls"]["openApiMetadata"]).json()
    resources = httpx.get(
        next(d for d in documents if d["name"] == "Resources")["endpointUri"]
    ).json()
    school = resources["components"]["schemas"]["edFi_school"]
    assert school["properties"]["schoolId"]["x-Ed-Fi-isIdentity"] is True
    assert "nameOfInstitution" in school["required"]
    assert "/ed-fi/studentSchoolAssociations" in resources["paths"]


def test_oauth_refuses_wrong_secrets_and_grants(live_server, registered):
    key, secret = credentials(registered[0])
    url = f"{live_server.url}/edfi/oauth/token"
    wrong = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(key, "nope"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = httpx.post(url, data={"grant_type": "password"}, auth=(key, secret))
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    by_form = httpx.post(
        url, data={"grant_type": "client_credentials", "client_id": key, "client_secret": secret}
    )
    assert by_form.status_code == 200 and by_form.json()["token_type"] == "bearer"
    assert not EdfiClient.objects.filter(secret_hash=secret).exists()  # only its hash is kept
    bad = httpx.get(
        f"{live_server.url}/edfi/data/v3/ed-fi/schools", headers={"Authorization": "Bearer edfi_x"}
    )
    assert bad.status_code == 401
    assert bad.json()["type"] == "urn:ed-fi:api:security:authentication"


def test_records_sent_land_in_the_same_copy_with_201_then_200(edfi, registered):
    district, _ = registered
    send_all(edfi)
    using = state_db()
    assert copy_model("School").objects.using(using).filter(tenant=district).count() == 1
    enrollment = copy_model("Enrollment").objects.using(using).get(tenant=district)
    assert enrollment.grade == "09" and enrollment.service_type == "P"  # type: ignore[attr-defined]
    person = copy_model("PersonIdentity").objects.using(using).get(tenant=district)
    assert person.gender == "F" and person.race_codes == ["WH"]  # type: ignore[attr-defined]
    again = edfi.post("/schools", json=SCHOOL)
    assert again.status_code == 200
    renamed = edfi.post("/schools", json={**SCHOOL, "nameOfInstitution": "GBHS"})
    assert renamed.status_code == 200
    school = copy_model("School").objects.using(using).get(tenant=district)
    assert school.name == "GBHS"  # type: ignore[attr-defined]
    # Each request is a message in the state's Message History, through the Ed-Fi door.
    door = ReceivedMessage.objects.using(using).filter(district=district, origin="edfi")
    assert door.filter(object="School").count() == 3
    assert set(door.values_list("result", flat=True)) == {"accepted"}


def test_reads_page_count_find_by_example_and_by_id(edfi):
    send_all(edfi)
    counted = edfi.get("/schools", params={"limit": 0, "totalCount": "true"})
    assert counted.headers["Total-Count"] == "1" and counted.json() == []
    found = edfi.get("/studentSchoolAssociations", params={"schoolId": SCHOOL_ID}).json()
    assert len(found) == 1 and found[0]["entryDate"] == "2010-08-23"
    assert edfi.get("/studentSchoolAssociations", params={"schoolId": 1}).json() == []
    one = edfi.get(f"/studentSchoolAssociations/{found[0]['id']}").json()
    assert one["studentReference"] == {"studentUniqueId": "604822"}
    unknown = edfi.get("/schools", params={"color": "red"})
    assert unknown.status_code == 400 and "color" in unknown.json()["detail"]


def test_the_state_id_is_read_back_on_the_students_association(edfi, registered):
    send_all(edfi)
    from statesync.state.people import resolver

    resolver.resolve_all(state_db())
    found = edfi.get("/studentEducationOrganizationAssociations").json()
    codes = found[0]["studentIdentificationCodes"]
    state = [c for c in codes if c["studentIdentificationSystemDescriptor"].endswith("#State")]
    assert len(state) == 1 and len(state[0]["identificationCode"]) == 10


def test_a_rule_the_state_judges_gives_its_code_and_message_at_the_json_path(edfi, registered):
    send_all(edfi)
    ungraded = {
        **SSA,
        "entryDate": "2010-09-01",
        "entryGradeLevelDescriptor": "uri://ed-fi.org/GradeLevelDescriptor#Ungraded",
    }
    answer = edfi.post("/studentSchoolAssociations", json=ungraded)
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["type"] == "urn:ed-fi:api:bad-request:data-validation-failed"
    [message] = problem["validationErrors"]["$.entryGradeLevelDescriptor"]
    assert message.startswith("E-CODE: ")
    assert "errors" not in problem  # empty lists are left out
    rejection = Rejection.objects.using(state_db()).get(object="Enrollment")
    assert rejection.errors[0]["message"] in message  # the error log says the same
    assert not EdfiDocument.objects.filter(
        natural_key__contains="2010-09-01", body__isnull=False
    ).exists()


def test_a_missing_reference_is_409_and_an_unknown_descriptor_400(edfi):
    send_all(edfi)
    orphan = {**SSA, "studentReference": {"studentUniqueId": "nobody"}}
    answer = edfi.post("/studentSchoolAssociations", json=orphan)
    assert answer.status_code == 409
    assert answer.json()["type"] == "urn:ed-fi:api:data-conflict:unresolved-reference"
    assert "nobody" in answer.json()["errors"][0]
    made_up = {**SEOA, "sexDescriptor": "uri://ed-fi.org/SexDescriptor#Robot"}
    answer = edfi.post("/studentEducationOrganizationAssociations", json=made_up)
    assert answer.status_code == 400
    assert "Robot" in answer.json()["validationErrors"]["$.sexDescriptor"][0]


def test_a_charter_or_alternative_school_keeps_its_type_and_an_unknown_status_is_400(
    edfi, registered
):
    district, _ = registered
    assert edfi.post("/localEducationAgencies", json=LEA).status_code == 201
    charter = {**SCHOOL, "charterStatusDescriptor": "uri://ed-fi.org/CharterStatusDescriptor#Nope"}
    answer = edfi.post("/schools", json=charter)
    assert answer.status_code == 400
    assert "Nope" in answer.json()["validationErrors"]["$.charterStatusDescriptor"][0]
    charter["charterStatusDescriptor"] = "uri://ed-fi.org/CharterStatusDescriptor#School Charter"
    assert edfi.post("/schools", json=charter).status_code == 201
    alternative = {
        **SCHOOL,
        "schoolId": SCHOOL_ID + 1,
        "schoolTypeDescriptor": "uri://ed-fi.org/SchoolTypeDescriptor#Alternative",
    }
    assert edfi.post("/schools", json=alternative).status_code == 201
    held = copy_model("School").objects.using(state_db()).filter(tenant=district)
    assert sorted(held.values_list("school_type", flat=True)) == ["ALT", "CHTR"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b'{"schoolId": "ten", "nameOfInstitution": "x"}', "$.schoolId"),
        (b'{"schoolId": 7}', "$.nameOfInstitution"),
    ],
)
def test_malformed_bodies_are_specific_400s_and_store_nothing(edfi, body, path):
    answer = edfi.post("/schools", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    if path:
        assert path in answer.json()["validationErrors"]
    assert not EdfiDocument.objects.filter(resource="schools").exists()


def test_a_huge_body_is_413_and_a_resource_not_served_404(edfi):
    answer = edfi.post("/schools", content=b"{" + b" " * (30 * 2**20) + b"}")
    assert answer.status_code == 413
    missing = edfi.get("/gradebookEntries")
    assert missing.status_code == 404 and "gradebookEntries" in missing.json()["detail"]


def test_put_may_not_change_the_key_and_delete_is_204_and_listed_as_a_change(edfi):
    send_all(edfi)
    versions = edfi.get("/../../../changeQueries/v1/availableChangeVersions")
    newest = versions.json()["newestChangeVersion"]
    ssa = edfi.get("/studentSchoolAssociations").json()[0]
    moved = edfi.put(
        f"/studentSchoolAssociations/{ssa['id']}", json={**SSA, "entryDate": "2010-08-24"}
    )
    assert moved.status_code == 400
    assert moved.json()["type"].endswith("key-change-not-supported")
    held = edfi.delete(f"/calendars/{edfi.get('/calendars').json()[0]['id']}")
    assert held.status_code == 409  # an enrollment refers to it
    assert edfi.delete(f"/studentSchoolAssociations/{ssa['id']}").status_code == 204
    assert edfi.get(f"/studentSchoolAssociations/{ssa['id']}").status_code == 404
    gone = edfi.get("/studentSchoolAssociations/deletes", params={"minChangeVersion": newest + 1})
    assert gone.json()[0]["keyValues"]["studentUniqueId"] == "604822"
    assert not copy_model("Enrollment").objects.using(state_db()).exists()
    assert AuditEntry.objects.filter(action="state.edfi.delete").count() == 1


def test_a_district_never_reads_or_writes_another_districts_records(live_server, registered):
    first = connect(live_server.url, *credentials(registered[0]))
    send_all(first)
    other = District.register("0002", "Other")
    second = connect(live_server.url, *credentials(other))
    assert second.get("/schools").json() == []
    school_id = first.get("/schools").json()[0]["id"]
    assert second.get(f"/schools/{school_id}").status_code == 404
    assert second.delete(f"/schools/{school_id}").status_code == 404
    reader = connect(live_server.url, *credentials(None))
    assert len(reader.get("/schools", params={"localEducationAgencyId": LEA_ID}).json()) == 1
    assert reader.post("/schools", json=SCHOOL).status_code == 403
    assert copy_model(catalog.SCHOOL).objects.using(state_db()).count() == 1


def test_the_district_page_shows_the_door_and_issues_credentials_with_the_right(
    live_server, registered
):
    from django.test import Client

    from tests.support.users import make_user

    district = registered[0]
    page = Client()
    page.force_login(make_user("staff", [("state", "A"), ("state", "W")]))
    before = page.get(f"/state/districts/{district.number}/").content.decode()
    assert "Door: <strong>statesync</strong>" in before and "Issue Ed-Fi client" in before
    issued = page.post(
        f"/state/districts/{district.number}/edfi-client/", {"action": "issue", "label": "SIS"}
    ).content.decode()
    client = EdfiClient.objects.get(district=district)
    secret = issued.split('id="edfi-secret">', 1)[1].split("<", 1)[0]
    assert client.key in issued and client.secret_hash not in issued
    assert EdfiClient.authenticate(client.key, secret) is not None
    entry = AuditEntry.objects.get(action="state.edfi.client.issue")
    assert entry.via == "web" and secret not in str(entry.detail)
    after = page.get(f"/state/districts/{district.number}/").content.decode()
    assert "Door: <strong>Ed-Fi</strong>" in after and "no statesync worker" in after
    refused = page.post(
        f"/state/districts/{district.number}/request/",
        {"objects": ["School"], "mode": "differential"},
    )
    assert refused.status_code == 302 and not district.requests.exists()
    page.post(
        f"/state/districts/{district.number}/edfi-client/", {"action": "revoke", "key": client.key}
    )
    assert EdfiClient.authenticate(client.key, secret) is None
    reader = Client()
    reader.force_login(make_user("viewer", [("state", "R")]))
    assert (
        "Issue Ed-Fi client"
        not in reader.get(f"/state/districts/{district.number}/").content.decode()
    )
    denied = reader.post(f"/state/districts/{district.number}/edfi-client/", {"action": "issue"})
    assert denied.status_code == 403 and EdfiClient.objects.count() == 1


def test_an_expired_token_and_a_rotated_secret_stop_working_and_no_secret_is_logged(
    live_server, registered, caplog
):
    import datetime as dt

    from statesync.state.models import EdfiToken

    key, secret = credentials(registered[0])
    edfi = connect(live_server.url, key, secret)
    assert edfi.get("/schools").status_code == 200
    EdfiToken.objects.update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    expired = edfi.get("/schools")
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    client = EdfiClient.objects.get(key=key)
    client.rotate()
    old = httpx.post(
        f"{live_server.url}/edfi/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(key, secret),
    )
    assert old.status_code == 401
    assert secret not in caplog.text
    assert not AuditEntry.objects.filter(detail__icontains=secret).exists()


def test_posts_at_once_are_stored_together_and_a_refused_one_spares_the_rest(edfi, registered):
    from concurrent.futures import ThreadPoolExecutor

    send_all(edfi)
    students = [
        {**STUDENT, "studentUniqueId": f"7000{n:02d}", "firstName": f"Kid{n}"} for n in range(24)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda s: edfi.post("/students", json=s).status_code, students))
    assert answers == [201] * 24
    # Saved together, each document's change version is its own change's (matched by its ID).
    kept = EdfiDocument.objects.filter(resource="students", body__isnull=False)
    changes = EdfiChange.objects.filter(resource="students", deleted=False)
    change_of = dict(changes.values_list("id", "resource_id"))
    assert len(change_of) == kept.count() == 1 + 24
    assert [change_of[doc.change_version] for doc in kept] == [doc.resource_id for doc in kept]
    associations = [
        {**SEOA, "studentReference": {"studentUniqueId": s["studentUniqueId"]}} for s in students
    ]
    associations[5]["sexDescriptor"] = "uri://ed-fi.org/SexDescriptor#Not Selected"
    associations[9]["races"] = [{"raceDescriptor": "uri://ed-fi.org/RaceDescriptor#Other"}]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda a: edfi.post("/studentEducationOrganizationAssociations", json=a),
                associations,
            )
        )
    statuses = [a.status_code for a in answers]
    assert statuses[9] == 400 and "E-CODE" in str(answers[9].json()["validationErrors"])
    assert statuses[:9] + statuses[10:] == [201] * 23
    people = copy_model("PersonIdentity").objects.using(state_db())
    assert people.filter(tenant=registered[0]).count() == 1 + 23  # SEOA's student, and 23 of 24
    held = EdfiDocument.objects.filter(resource="studentEducationOrganizationAssociations")
    assert held.filter(body__isnull=False).count() == 1 + 23


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"limit": "ten"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"totalCount": "maybe"}, "totalCount"),
        ({"minChangeVersion": "x"}, "minChangeVersion"),
        ({"schoolId": "GBHS"}, "schoolId"),
    ],
)
def test_bad_paging_and_search_parameters_are_400s_that_name_them(edfi, query, named):
    answer = edfi.get("/schools", params=query)
    assert answer.status_code == 400 and named in answer.json()["detail"]
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_a_group_that_fails_to_store_leaves_the_district_open_to_the_next_post(edfi, monkeypatch):
    """A leader whose transaction fails answers its group's requests with the error, and the
    district's next POST gets a leader of its own (it waited for ever before)."""
    from django.db import OperationalError

    from statesync.state.edfi import groups

    stored = groups.GROUPS.store
    failures = []

    def fails_once(district, jobs):
        if not failures:
            failures.append(len(jobs))
            raise OperationalError("database is locked")
        stored(district, jobs)

    monkeypatch.setattr(groups.GROUPS, "store", fails_once)
    answer = edfi.post("/localEducationAgencies", json=LEA)
    assert answer.status_code == 503, answer.text
    assert edfi.post("/localEducationAgencies", json=LEA).status_code == 201
    assert failures == [1]


def test_an_id_that_is_not_one_is_404_and_a_busy_database_503_with_retry_after(edfi, monkeypatch):
    from django.db import OperationalError

    from statesync.state.edfi import intake

    assert edfi.get("/schools/not-a-uuid").status_code == 404

    def busy(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(intake, "upsert", busy)
    answer = edfi.post("/localEducationAgencies", json=LEA)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert answer.json()["type"] == "urn:ed-fi:api:service-unavailable"


def test_a_groups_document_rows_are_found_or_made_in_a_statement_or_two(registered):
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from statesync.state.edfi.store import Documents

    docs = Documents(registered[0], state_db())
    held = docs.slot("students", ["1"])
    docs.save(held, {"studentUniqueId": "1"})
    unheld = docs.slot("students", ["2"])  # a row, never held (a refused first POST)
    keys = [("students", ["3"]), ("students", ["1"]), ("students", ["2"]), ("students", ["4"])]
    with CaptureQueriesContext(connections[state_db()]) as statements:
        slots = docs.slots(keys)
    assert len(statements) == 2  # the rows there, then the missing made: whatever their number
    assert [doc.natural_key for doc in slots] == ['["3"]', '["1"]', '["2"]', '["4"]']
    assert (slots[1].pk, slots[1].body) == (held.pk, {"studentUniqueId": "1"})
    assert (slots[2].pk, slots[2].body) == (unheld.pk, None)
    made = EdfiDocument.objects.filter(pk__in=[slots[0].pk, slots[3].pk])
    assert sorted((d.natural_key, d.resource_id, d.body) for d in made) == sorted(
        (d.natural_key, d.resource_id, None) for d in (slots[0], slots[3])
    )
    assert docs.slots(keys) == slots  # the same rows, found
