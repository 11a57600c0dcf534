"""Real-time sync: saves through the application reach the state, even after it was down."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from statesync.district.models import OutboxEntry, Run, dis_model
from statesync.district.services import realtime
from statesync.district.services.resync import execute
from statesync.state.models import copy_model
from tests.support.proxy import Proxy

SchoolCopy = copy_model("School")

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def proxied_state(live_server, registered, monkeypatch):
    host, port = live_server.thread.host, live_server.thread.port
    proxy = Proxy(host, port)
    proxy.up()
    monkeypatch.setenv("STATESYNC_STATE_URL", proxy.url)
    monkeypatch.setenv("STATESYNC_STATE_TOKEN", registered[1])
    yield proxy
    proxy.down()


def test_admin_save_while_state_is_down_arrives_after_it_returns(proxied_state, seeded, client):
    seeded("small", defects=False)
    assert execute(Run.plan(["District", "School"])).status == "succeeded"
    proxied_state.down()

    admin = get_user_model().objects.create_superuser("admin", "a@example.org", "pw")
    client.force_login(admin)
    School = dis_model("School")
    school = School.objects.get(pk=1)
    form = {
        "district": school.district_id,
        "state_school_number": school.state_school_number,
        "name": "Renamed While Down",
        "grade_low": school.grade_low,
        "grade_high": school.grade_high,
        "school_type": school.school_type,
    }
    response = client.post(reverse("admin:district_school_change", args=[1]), form)
    assert response.status_code == 302, response.content[:2000]
    assert OutboxEntry.objects.filter(object="School", record_id=1).count() == 1

    failed = realtime.drain()
    assert "did not answer" in failed.error
    assert OutboxEntry.objects.get(record_id=1).attempts == 1
    assert SchoolCopy.objects.get(record_id=1).name != "Renamed While Down"

    proxied_state.up()
    done = realtime.drain()
    assert done.error == "" and done.sent == 1
    assert SchoolCopy.objects.get(record_id=1).name == "Renamed While Down"
    assert not OutboxEntry.objects.exists()


def test_sql_change_is_invisible_until_resync(proxied_state, seeded):
    seeded("small", defects=False)
    execute(Run.plan(["District", "School"]))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE district_school SET name = 'By SQL' WHERE id = 2")
    assert not OutboxEntry.objects.exists()
    realtime.drain()
    assert SchoolCopy.objects.get(record_id=2).name != "By SQL"
    execute(Run.plan(["School"]))
    assert SchoolCopy.objects.get(record_id=2).name == "By SQL"


def test_delete_and_repeated_saves_collapse_in_order(proxied_state, seeded):
    seeded("small", defects=False)
    execute(Run.plan(["District", "School", "Calendar"]))
    School = dis_model("School")
    school = School.objects.get(pk=3)
    for n in range(3):
        school.name = f"Save {n}"
        school.save()
    School.objects.get(pk=4).delete()  # cascades to its calendars, each queued too
    result = realtime.drain()
    assert result.error == ""
    assert SchoolCopy.objects.get(record_id=3).name == "Save 2"
    assert not SchoolCopy.objects.filter(record_id=4).exists()
    assert not OutboxEntry.objects.exists()
