"""A district edition's part of the state API, played by a test: records sent as JSON with the
district's own token, as its worker would send them."""

from __future__ import annotations

import httpx

from statesync.core import catalog
from statesync.core.db.routers import state_db
from statesync.state.models import District
from statesync.state.people import resolver


def settle() -> list[resolver.Resolved]:
    """Settle, in this thread, what waits for the state's identity resolver now (as the
    resolver beside `statesync serve` would moments later)."""
    return resolver.resolve_all(state_db())


class SendingDistrict:
    """A district sending to the state as its edition would: records as JSON, its token."""

    def __init__(self, url: str, number: str):
        self.number = number
        district = District.register(number, f"District {number}")
        self.http = httpx.Client(
            base_url=f"{url}/api/state/v1/districts/{number}",
            headers={"Authorization": f"Bearer {district.issue_token()}"},
        )
        self.send(catalog.ROOT, [{"id": 1, "state_district_number": number, "name": "X"}])
        self.send(
            catalog.SCHOOL,
            [
                {
                    "id": 1,
                    "district_id": 1,
                    "state_school_number": f"{number[-3:]}9",
                    "name": "High",
                    "grade_low": "09",
                    "grade_high": "12",
                    "school_type": "HIGH",
                }
            ],
        )
        self.send(
            catalog.YEAR_ANCHOR,
            [
                {
                    "id": 1,
                    "school_id": 1,
                    "school_year": 2024,
                    "name": "2023-24",
                    "start_date": "2023-08-20",
                    "end_date": "2024-05-30",
                    "is_summer": False,
                }
            ],
        )

    def send(self, name: str, records: list[dict]) -> dict:
        response = self.http.post(f"/objects/{name}/batch", json={"upserts": records})
        assert response.status_code == 200, response.text
        return response.json()

    def person(self, record_id: int, **person) -> dict:
        values = {"id": record_id, "district_id": 1, "state_id": None, "middle_name": None}
        values |= {"suffix": None, "hispanic": False, "race_codes": ["WH"]}
        return self.send(catalog.PERSON, [values | person])

    def enroll(self, record_id: int, person_id: int, start: str, end: str | None = None) -> dict:
        enrollment = {
            "id": record_id,
            "person_id": person_id,
            "calendar_id": 1,
            "grade": "10",
            "service_type": "P",
            "start_date": start,
            "start_status": "E1",
            "end_date": end,
            "end_status": "W1" if end else None,
        }
        return self.send(catalog.ENROLLMENT, [enrollment])

    def changes(self) -> list[dict]:
        """The state's changes for this district, once its identity resolver has settled
        what this district sent."""
        settle()
        return self.http.get("/changes").json()["items"]
