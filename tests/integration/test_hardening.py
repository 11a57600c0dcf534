"""Tokens the state can list, revoke and rotate; logins throttled and audited; who may cancel
a run; deleting sync history asks first and deletes what was asked."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.urls import reverse

from statesync.access.models import AuditEntry
from statesync.district.models import Run, RunStatus, SelectiveSync, dis_model
from statesync.state.models import ApiToken
from tests.support.users import make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def run(*args: str, capsys) -> str:
    call_command("state", *args)
    return capsys.readouterr().out


def test_tokens_are_listed_with_last_use_and_revoked_by_prefix(client, registered, capsys):
    _district, token = registered
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/state/v1/districts/0001/", headers=headers).status_code == 200
    listing = run("tokens", capsys=capsys)
    prefix = token[:10]
    line = next(row for row in listing.splitlines() if prefix in row)
    assert "live" in line and "never" not in line  # its last use is shown

    assert f"Revoked token {prefix}" in run("revoke-token", prefix, capsys=capsys)
    assert client.get("/api/state/v1/districts/0001/", headers=headers).status_code == 401
    assert "revoked" in run("tokens", "--number", "0001", capsys=capsys)
    entry = AuditEntry.objects.get(action="state.token.revoke")
    assert entry.via == "cli" and "(command line)" in entry.username
    assert entry.detail["prefix"] == prefix


def test_revoking_what_does_not_exist_says_so(registered):
    with pytest.raises(CommandError, match="no live token starts 'sst_nope'"):
        call_command("state", "revoke-token", "sst_nope")


def test_rotation_leaves_only_the_new_token_working(client, registered, capsys):
    district, old = registered
    district.issue_token("spare")
    new = run("issue-token", "--number", "0001", "--rotate", capsys=capsys).strip()
    for token, status in ((old, 401), (new, 200)):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/state/v1/districts/0001/", headers=headers).status_code == status
    assert ApiToken.objects.filter(district=district, revoked_at__isnull=True).count() == 1
    assert AuditEntry.objects.get(action="state.token.issue").detail["rotated"] == 2


def test_failed_logins_lock_the_user_and_address_out_and_are_audited(client, settings):
    get_user_model().objects.create_user("clerk", "c@example.org", "right-password")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200  # the form again, with its error
    last = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert last.status_code == 429  # the limit reached: locked out
    locked = client.post(reverse("login"), {"username": "clerk", "password": "right-password"})
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session
    failed = AuditEntry.objects.filter(action="login.failed")
    assert failed.count() >= settings.AXES_FAILURE_LIMIT
    assert failed.first().detail == {"username": "clerk"}
    assert not AuditEntry.objects.filter(action="login").exists()


def test_a_stranger_behind_the_proxy_cannot_lock_a_user_out_for_everyone(client, settings):
    """Behind the TLS terminator every peer is the terminator: the lockout keys on the client's
    own address from X-Forwarded-For, so the user still signs in from elsewhere."""
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    get_user_model().objects.create_user("admin2", "a@example.org", "right-password")
    stranger = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "admin2", "password": "wrong"}, **stranger)
    locked = client.post(
        reverse("login"), {"username": "admin2", "password": "right-password"}, **stranger
    )
    assert locked.status_code == 429
    assert AuditEntry.objects.filter(action="login.failed").first().address == "203.0.113.9"
    owner = {"HTTP_X_FORWARDED_FOR": "198.51.100.7, 127.0.0.1"}  # through two proxies
    signed_in = client.post(
        reverse("login"), {"username": "admin2", "password": "right-password"}, **owner
    )
    assert signed_in.status_code == 302
    assert AuditEntry.objects.get(action="login").address == "198.51.100.7"


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client, settings):
    settings.TRUSTED_PROXIES = frozenset()
    get_user_model().objects.create_user("viewer2", "v@example.org", "pw-123456")
    client.post(
        reverse("login"),
        {"username": "viewer2", "password": "pw-123456"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",  # anyone can send the header
    )
    assert AuditEntry.objects.get(action="login").address == "127.0.0.1"


def test_a_login_is_audited_with_its_door(client):
    get_user_model().objects.create_user("viewer", "v@example.org", "pw-123456")
    response = client.post(reverse("login"), {"username": "viewer", "password": "pw-123456"})
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="login")
    assert entry.username == "viewer" and entry.via == "web" and entry.address == "127.0.0.1"


def test_a_rows_delete_deletes_that_row_only_and_asks_first(admin_client):
    first, second = (
        SelectiveSync.objects.create(object="PersonIdentity", ids_asked=[i]) for i in (1, 2)
    )
    url = reverse("district:selective-delete")
    asked = admin_client.get(url, {"entries": first.pk})
    assert asked.status_code == 200 and b"Delete 1 sync history entry?" in asked.content
    assert SelectiveSync.objects.count() == 2  # asking deletes nothing
    unconfirmed = admin_client.post(url, {"entries": [first.pk]})
    assert unconfirmed.status_code == 200 and SelectiveSync.objects.count() == 2
    admin_client.post(url, {"entries": [first.pk], "confirm": "yes"})
    assert list(SelectiveSync.objects.values_list("pk", flat=True)) == [second.pk]


def test_batch_r_may_start_a_run_but_cancel_only_its_own(client, dis, seeded):
    viewer = make_user("viewer", [("batch", "R")])
    other = make_user("other", [("batch", "R")])
    mine = Run.plan(["District"], requested_by=viewer)
    theirs = Run.plan(["District"], requested_by=other)
    from_state = Run.plan(["District"], requested_from="state")
    client.force_login(viewer)
    for run in (theirs, from_state):
        refused = client.post(reverse("district:run-cancel", args=[run.pk]))
        assert refused.status_code == 403
        assert b"security role, or to be the run&#x27;s starter" in refused.content
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED
    page = client.get(reverse("district:batch-rows"))
    assert page.content.count(b"Cancel</button>") == 1  # only on the viewer's own run
    assert client.post(reverse("district:run-cancel", args=[mine.pk])).status_code == 302
    mine.refresh_from_db()
    assert mine.status == RunStatus.CANCELLED
    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "pw")
    client.force_login(admin)
    client.post(reverse("district:run-cancel", args=[from_state.pk]))
    from_state.refresh_from_db()
    assert from_state.status == RunStatus.CANCELLED


def test_rights_and_data_changed_in_django_admin_are_audited(admin_client, seeded):
    seeded()
    viewers = Group.objects.create(name="Viewers")
    batch_r = Permission.objects.get(content_type__app_label="access", codename="batch_r")
    response = admin_client.post(
        reverse("admin:auth_group_change", args=[viewers.pk]),
        {"name": "Viewers", "permissions": [batch_r.pk]},
    )
    assert response.status_code == 302, response.content[:500]
    entry = AuditEntry.objects.get(action="admin.change")
    assert entry.via == "admin" and entry.username == "admin"
    assert entry.target == f"Group {viewers.pk}" and entry.detail["rights"] is True

    school = dis_model("School").objects.get(pk=1)
    form = {f: getattr(school, f) for f in ("state_school_number", "grade_low", "grade_high")}
    form |= {"district": 1, "name": "Renamed in admin", "school_type": school.school_type}
    response = admin_client.post(reverse("admin:district_school_change", args=[1]), form)
    assert response.status_code == 302, response.content[:500]
    changed = AuditEntry.objects.filter(action="admin.change").latest("id")
    assert changed.target == "School 1" and changed.detail["rights"] is False
    # An enrollment's form asks for its person's ID, not a list of every person.
    enrollment = dis_model("Enrollment").objects.first()
    page = admin_client.get(reverse("admin:district_enrollment_change", args=[enrollment.pk]))
    assert page.status_code == 200
    assert b'class="vForeignKeyRawIdAdminField"' in page.content
    assert page.content.count(b"<option") < 50
    assert "Name" in changed.detail["changed"] or "name" in changed.detail["changed"]
