"""A mover between two districts at the state, for Student Records Transfer's tests: district
0001 (the edition under test) synced, and district 0002 holding at the state a copy of one of
0001's students, enrolled there — the district the student moved to, or came from."""

from __future__ import annotations

import base64

import httpx

from statesync.core import catalog
from statesync.district.models import Run, dis_model
from statesync.district.services.resync import execute
from statesync.state.models import District, copy_model

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def make_world(base_url: str, seeded) -> dict:
    seeded("small", defects=False)
    assert execute(Run.plan(catalog.NAMES)).status == "succeeded"
    one = District.objects.get(number="0001")
    two, three = District.register("0002", "New District"), District.register("0003", "Other")
    person = dis_model(catalog.PERSON).objects.exclude(state_id=None).order_by("pk").first()
    copy_of(catalog.PERSON, one, two, person.pk, 900001)
    enrollment = dis_model(catalog.ENROLLMENT).objects.filter(person=person).first()
    copy_of(catalog.ENROLLMENT, one, two, enrollment.pk, 900002, person_id=900001)
    clients = {d.number: api(base_url, d) for d in (two, three)}
    return {"person": person, "one": one, "two": two, "api": clients, "base": base_url}


def copy_of(name, source, target, record_id, new_id, **changes) -> None:
    row = copy_model(name).objects.get(tenant=source, record_id=record_id)
    row.pk, row.tenant, row.record_id = None, target, new_id
    for field, value in changes.items():
        setattr(row, field, value)
    row.save()


def api(base: str, district: District) -> httpx.Client:
    """The state API as district `district`'s edition calls it, with a token of its own."""
    return httpx.Client(
        base_url=f"{base}/api/state/v1/districts/{district.number}",
        headers={"Authorization": f"Bearer {district.issue_token()}"},
        timeout=30,
    )


def ask(world, person_id=900001, state_id=None) -> httpx.Response:
    """District 0002 asks for the mover's records."""
    person = world["person"]
    return world["api"]["0002"].post(
        "/transfers",
        json={
            "state_id": state_id or person.state_id,
            "person_id": person_id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": person.birth_date.isoformat(),
            "requested_by": "registrar at 0002",
        },
    )


def packet_of(person, school: str = "Old School") -> dict:
    """What district 0002 releases of the mover: one enrollment there, and a health record."""
    return {
        "released_by": "records clerk",
        "person": {
            "state_id": person.state_id,
            "last_name": person.last_name,
            "first_name": person.first_name,
            "middle_name": None,
            "suffix": None,
            "birth_date": person.birth_date.isoformat(),
            "gender": person.gender,
            "hispanic": person.hispanic,
            "race_codes": person.race_codes,
        },
        "enrollments": [
            {
                "school": school,
                "school_number": "0999",
                "school_year": 2023,
                "grade": "05",
                "service_type": "P",
                "start_date": "2022-08-20",
                "start_status": "E1",
                "end_date": "2023-06-01",
                "end_status": "W1",
            }
        ],
        "documents": [
            {
                "kind": "health",
                "label": "Immunizations",
                "content_type": "image/png",
                "content": base64.b64encode(PNG).decode(),
            }
        ],
    }
