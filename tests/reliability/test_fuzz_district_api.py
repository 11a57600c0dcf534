"""Schemathesis against the district API's generated OpenAPI document: no 5xx, answers fit it."""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from schemathesis.specs.openapi.checks import positive_data_acceptance

from statesync.access.models import PersonalToken
from statesync.district.api import api
from tests.reliability.figures import record
from tests.reliability.fuzzing import FUZZ

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

PREFIX = "/api/district/v1"
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix=PREFIX))


@pytest.fixture
def token(dis, seeded):
    seeded()
    user = get_user_model().objects.create_superuser("fuzz", "fuzz@example.org", None)
    return PersonalToken.issue(user, "fuzz")[1]


@schema.parametrize()
@FUZZ
def test_district_api_survives_generated_requests(case, dis, token):
    response = case.call(base_url=dis.url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text[:500]
    # Object names are any string to the schema (the catalogue says which exist, case-blind),
    # so a well-formed request for an unknown object is a 400, not "positive data refused".
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    record("generated district API requests", 1)


def test_the_served_document_is_the_generated_one(client):
    served = client.get(f"{PREFIX}/openapi.json").json()
    assert served["paths"].keys() == api.get_openapi_schema(path_prefix=PREFIX)["paths"].keys()
    assert f"{PREFIX}/selective-sync" in served["paths"]
    run = served["components"]["schemas"]["RunOut"]
    assert {"run", "status", "objects", "school_year"} <= set(run["properties"])
