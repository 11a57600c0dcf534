"""Django admin reads as people speak, and offers no Add for records of what happened."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def admin(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_objects_are_named_in_words(admin):
    index = admin.get(reverse("admin:index")).content.decode()
    assert "Person identities" in index and "Course sections" in index
    assert "PersonIdentitys" not in index


@pytest.mark.parametrize(
    "model", ["district_run", "district_errorlogentry", "state_rejection"], ids=str
)
def test_records_of_what_happened_cannot_be_added(admin, model):
    app, name = model.split("_", 1)
    assert admin.get(reverse(f"admin:{app}_{name}_add")).status_code == 403
    listing = admin.get(reverse(f"admin:{app}_{name}_changelist")).content.decode()
    assert reverse(f"admin:{app}_{name}_add") not in listing
