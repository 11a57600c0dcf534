"""Pages fit the window people use: nothing scrolls sideways at 1280 px."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from statesync.core import catalog
from statesync.district.models import Run
from statesync.district.services.resync import execute
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, databases="__all__")]


def test_the_states_districts_table_fits_1280_px(page, dis, seeded):
    seeded("small")
    execute(Run.plan(catalog.NAMES))
    get_user_model().objects.create_superuser("admin", "admin@example.org", "pw")
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "admin")
    for url in (
        "/state/districts/",
        "/state/districts/0001/",
        "/district/batch/",
        "/district/errors/",
    ):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1280, f"{url} is {width} px wide"
