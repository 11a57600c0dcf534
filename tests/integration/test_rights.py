"""Tool rights on every surface: pages, form actions, htmx partials, the district API.

For each endpoint: a user holding exactly the right it needs gets through; a user holding
every other right gets a 403 naming the missing one; a form posted without its CSRF token is
refused; and each audited action leaves exactly one audit row (none when refused).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from statesync.access.models import AuditEntry, PersonalToken
from statesync.access.rights import TOOLS, has_right
from statesync.core.hashedtokens import LAST_USE_EVERY
from statesync.core.tokens import hash_token
from statesync.district.models import ErrorLogEntry, Run, SelectiveSync
from statesync.state.models import District, MatchHold
from tests.support.users import make_user

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@dataclass(frozen=True)
class Surface:
    name: str
    method: str
    url: str
    right: tuple[str, str]  # (tool slug, letter) or ("security", "role")
    kind: str  # page | action | partial | api
    data: dict | None = None
    audited: str = ""  # the audit action it records when allowed

    def __str__(self) -> str:
        return self.name


def surfaces(run_id: int, sync_id: int, hold_id: int) -> list[Surface]:
    r = reverse
    return [
        Surface("batch page", "GET", r("district:batch"), ("batch", "R"), "page"),
        Surface(
            "batch run",
            "POST",
            r("district:batch"),
            ("batch", "R"),
            "action",
            {"objects": ["District"], "mode": "verify", "check_dependencies": "on"},
            "resync.start",
        ),
        Surface("batch rows", "GET", r("district:batch-rows"), ("batch", "R"), "partial"),
        Surface(
            "batch plan",
            "GET",
            r("district:batch-plan") + "?objects=Day",
            ("batch", "R"),
            "partial",
        ),
        Surface("run page", "GET", r("district:run", args=[run_id]), ("batch", "R"), "page"),
        Surface(
            "run cancel",
            "POST",
            r("district:run-cancel", args=[run_id]),
            ("batch", "R"),
            "action",
            {},
            "resync.cancel",
        ),
        Surface("error log", "GET", r("district:errors"), ("errorlog", "R"), "page"),
        Surface(
            "error report",
            "GET",
            r("district:errors-report"),
            ("errorlog", "R"),
            "page",
            None,
            "errorlog.export",
        ),
        Surface("error clear form", "GET", r("district:errors-clear"), ("errorlog", "D"), "page"),
        Surface(
            "error clear",
            "POST",
            r("district:errors-clear"),
            ("errorlog", "D"),
            "action",
            # Clear Log clears only the count its confirmation showed: every current entry here.
            {"confirm": "yes", "expected": str(ErrorLogEntry.objects.filter(current=True).count())},
            "errorlog.clear",
        ),
        Surface("selective page", "GET", r("district:selective"), ("selective", "R"), "page"),
        Surface(
            "selective sync",
            "POST",
            r("district:selective"),
            ("selective", "W"),
            "action",
            {"object": "PersonIdentity", "ids": "1, 2 x"},
            "selective.sync",
        ),
        Surface(
            "selective result",
            "GET",
            r("district:selective-result", args=[sync_id]),
            ("selective", "R"),
            "partial",
        ),
        Surface(
            "history delete",
            "POST",
            r("district:selective-delete"),
            ("selective", "D"),
            "action",
            {"entries": [str(sync_id)], "confirm": "yes"},
            "selective.history.delete",
        ),
        Surface("state districts", "GET", r("state:districts"), ("state", "R"), "page"),
        Surface(
            "state district", "GET", r("state:district", args=["0001"]), ("state", "R"), "page"
        ),
        Surface(
            "state request",
            "POST",
            r("state:request-resync", args=["0001"]),
            ("state", "W"),
            "action",
            {"objects": ["School"], "mode": "differential"},
            "state.request_resync",
        ),
        Surface(
            "state Ed-Fi client",
            "POST",
            r("state:edfi-client", args=["0001"]),
            ("state", "A"),
            "action",
            {"action": "issue", "label": "SIS"},
            "state.edfi.client.issue",
        ),
        Surface("year rollover", "GET", r("district:rollover"), ("rollover", "R"), "page"),
        # Refused (no end-of-year resync yet): allowed, but nothing changed to audit.
        Surface(
            "year rollover run", "POST", r("district:rollover"), ("rollover", "W"), "action", {}
        ),
        Surface("verification", "GET", r("district:verification"), ("verification", "R"), "page"),
        Surface(
            "verification report",
            "GET",
            r("district:verification") + "?format=csv",
            ("verification", "R"),
            "page",
            None,
            "verification.export",
        ),
        Surface(
            "verification verify",
            "POST",
            r("district:verification"),
            ("verification", "W"),
            "action",
            {},
            "resync.start",
        ),
        Surface("year status", "GET", r("state:years"), ("yearstatus", "R"), "page"),
        Surface(
            "year status request",
            "POST",
            r("state:years-request"),
            ("yearstatus", "W"),
            "action",
            {"year": "2024"},
            "state.request_year_resyncs",
        ),
        Surface(
            "year close",
            "POST",
            r("state:years-close"),
            ("yearstatus", "W"),
            "action",
            {"year": "2020", "action": "close"},
            "state.year_close",
        ),
        Surface(
            "state verification",
            "GET",
            r("state:verification-summary"),
            ("stateverification", "R"),
            "page",
        ),
        Surface(
            "state verification report",
            "GET",
            r("state:verification-summary") + "?format=csv",
            ("stateverification", "R"),
            "page",
            None,
            "verification.export",
        ),
        Surface(
            "state verification request",
            "POST",
            r("state:verification-summary-request"),
            ("stateverification", "W"),
            "action",
            {"year": "2024", "district": "0001"},
            "state.request_resync",
        ),
        Surface("person matching", "GET", r("state:matching"), ("personmatching", "R"), "page"),
        # Refused (the state holds no such record yet): allowed, but nothing changed to audit.
        Surface(
            "matching decide",
            "POST",
            r("state:matching-decide", args=[hold_id]),
            ("personmatching", "W"),
            "action",
            {"state_id": ""},
        ),
        Surface("field settings", "GET", r("state:field-settings"), ("fieldsettings", "R"), "page"),
        Surface(
            "field settings change",
            "POST",
            r("state:field-settings-change"),
            ("fieldsettings", "W"),
            "action",
            {"object": "School", "field": "name", "owner": "state"},
            "state.field_owner",
        ),
        Surface(
            "state-owned value",
            "POST",
            r("state:district-value", args=["0001"]),
            ("fieldsettings", "W"),
            "action",
            {"field": "PersonIdentity.state_id", "record_id": "1", "value": ""},
        ),
        Surface("conflicts", "GET", r("state:conflicts"), ("conflicts", "R"), "page"),
        Surface("tool rights", "GET", r("tool-rights"), ("security", "role"), "page"),
        Surface(
            "tool rights save",
            "POST",
            r("tool-rights"),
            ("security", "role"),
            "action",
            {"group": "", "user": "__viewer__", "rights": ["batch_r"]},
            "rights.change",
        ),
        Surface("audit log", "GET", r("audit-log"), ("security", "role"), "page"),
        Surface(
            "api resync",
            "POST",
            "/api/district/v1/resync",
            ("batch", "R"),
            "api",
            {"objects": ["District"], "mode": "verify"},
            "resync.start",
        ),
        Surface("api run", "GET", f"/api/district/v1/runs/{run_id}", ("batch", "R"), "api"),
        Surface(
            "api run errors",
            "GET",
            f"/api/district/v1/runs/{run_id}/errors",
            ("errorlog", "R"),
            "api",
        ),
        Surface(
            "api selective",
            "POST",
            "/api/district/v1/selective-sync",
            ("selective", "W"),
            "api",
            {"object": "PersonIdentity", "ids": [1, 2]},
            "selective.sync",
        ),
        Surface(
            "api selective status",
            "GET",
            f"/api/district/v1/selective-sync/{sync_id}",
            ("selective", "R"),
            "api",
        ),
    ]


ALL_RIGHTS = [(t.slug, letter) for t in TOOLS for letter in t.rights]


@pytest.fixture
def world(dis, seeded):
    seeded("small")
    viewer = make_user("viewer", [])
    run = Run.plan(["District"], "verify", requested_by=viewer)
    sync = SelectiveSync.objects.create(object="PersonIdentity", ids_asked=[1])
    ErrorLogEntry.objects.create(
        source="state", object="School", record_id=1, code="E-CODE", message="m"
    )
    hold = MatchHold.objects.create(
        district=District.objects.get(number="0001"),
        record_id=1,
        record={"last_name": "Doe", "first_name": "Jo", "birth_date": "2010-01-01"},
        candidates=[],
    )
    return {"run": run.pk, "sync": sync.pk, "viewer": viewer, "hold": hold.pk}


def call(client: Client, surface: Surface, token: str | None = None, viewer_pk: int = 0):
    data = dict(surface.data or {})
    if data.get("user") == "__viewer__":
        data["user"] = str(viewer_pk)
    if surface.kind == "api":
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if surface.method == "GET":
            return client.get(surface.url, headers=headers)
        return client.post(surface.url, data, content_type="application/json", headers=headers)
    headers = {"HX-Request": "true"} if surface.kind == "partial" else {}
    if surface.method == "GET":
        return client.get(surface.url, headers=headers)
    return client.post(surface.url, data, headers=headers)


def holder_of(right: tuple[str, str], name: str):
    if right == ("security", "role"):
        return make_user(name, [], superuser=True), make_user(name + "-not", ALL_RIGHTS)
    slug, letter = right
    # Every right of other tools; of this tool, the ones that do not include `letter`.
    others = [r for r in ALL_RIGHTS if r[0] != slug or (letter != "R" and r[1] not in (letter,))]
    if letter == "R":
        others = [r for r in others if r[0] != slug]
    return make_user(name, [right]), make_user(name + "-not", others)


@pytest.mark.slow
def test_every_surface_allows_its_right_and_denies_without_it(world):
    checked = 0
    for i, surface in enumerate(surfaces(world["run"], world["sync"], world["hold"])):
        allowed, denied = holder_of(surface.right, f"u{i}")
        for user, expect_allowed in ((allowed, True), (denied, False)):
            client = Client()
            token = None
            if surface.kind == "api":
                token = PersonalToken.issue(user, "test")[1]
            else:
                client.force_login(user)
            if surface.audited == "resync.cancel":  # Batch R, and being the run's starter
                Run.objects.filter(pk=world["run"]).update(requested_by=user)
            before = AuditEntry.objects.count()
            response = call(client, surface, token, world["viewer"].pk)
            after = AuditEntry.objects.count()
            label = f"{surface} as {'holder' if expect_allowed else 'non-holder'}"
            if expect_allowed:
                assert response.status_code in (200, 202, 302), (label, response.status_code)
                if surface.audited:
                    assert after - before == 1, label
                    assert AuditEntry.objects.order_by("-id")[0].action == surface.audited, label
                    assert AuditEntry.objects.order_by("-id")[0].username == user.username
                else:
                    assert after == before, label
            else:
                assert response.status_code == 403, (label, response.status_code)
                assert after == before, label
                body = html.unescape(response.content.decode())
                if surface.right == ("security", "role"):
                    assert "product security role" in body, label
                else:
                    slug, letter = surface.right
                    tool = next(t for t in TOOLS if t.slug == slug)
                    assert f"{letter} ({tool.rights[letter]}) on {tool.name}" in body, label
            checked += 1
        # Recreate what a destructive action consumed, for the next surfaces.
        if not SelectiveSync.objects.filter(pk=world["sync"]).exists():
            SelectiveSync.objects.create(pk=world["sync"], object="PersonIdentity", ids_asked=[1])
    assert checked == 2 * len(surfaces(0, 0, 0))


def test_anonymous_users_are_sent_to_log_in(world):
    client = Client()
    for surface in surfaces(world["run"], world["sync"], world["hold"]):
        response = call(client, surface)
        if surface.kind == "api":
            assert response.status_code == 401, surface
            assert response.json()["error"] == "missing token"
        else:
            assert response.status_code == 302, surface
            assert response["Location"].startswith("/login/"), surface


def test_forms_without_csrf_token_are_refused(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("admin", [], superuser=True))
    forms = [s for s in surfaces(world["run"], world["sync"], world["hold"]) if s.kind == "action"]
    forms.append(Surface("logout", "POST", reverse("logout"), ("security", "role"), "action", {}))
    forms.append(
        Surface(
            "token create",
            "POST",
            reverse("profile"),
            ("security", "role"),
            "action",
            {"label": "x"},
        )
    )
    for surface in forms:
        before = AuditEntry.objects.count()
        response = call(strict, surface, viewer_pk=world["viewer"].pk)
        assert response.status_code == 403, surface
        assert b"CSRF" in response.content, surface
        assert AuditEntry.objects.count() == before, surface
    assert SelectiveSync.objects.filter(pk=world["sync"]).exists()
    assert ErrorLogEntry.objects.exists()


def test_na_rights_do_not_exist():
    codenames = set(
        Permission.objects.filter(content_type__model="toolright").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {
        "batch_r",
        "selective_r",
        "selective_w",
        "selective_d",
        "errorlog_r",
        "errorlog_d",
        "state_r",
        "state_w",
        "state_a",
        "rollover_r",
        "rollover_w",
        "verification_r",
        "verification_w",
        "yearstatus_r",
        "yearstatus_w",
        "stateverification_r",
        "stateverification_w",
        "personmatching_r",
        "personmatching_w",
        "fieldsettings_r",
        "fieldsettings_w",
        "conflicts_r",
        "messages_r",
        "messages_w",
        "datatool_r",
        "datatool_w",
        "recorddeleter_r",
        "recorddeleter_d",
        "statemessages_r",
        "transfers_r",
        "transfers_w",
        "transfers_d",
        "statetransfers_r",
        "exchange_r",
        "exchange_w",
        "router_r",
        "router_w",
    }


def test_home_lists_only_tools_the_user_may_read(world):
    clerk = make_user("clerk", [("selective", "R"), ("selective", "W")])
    client = Client()
    client.force_login(clerk)
    page = client.get("/").content.decode()
    assert "Resync State Data - Selective Sync" in page
    assert "Resync State Data - Batch" not in page
    assert "Error Log" not in page


def test_revoked_personal_token_is_refused(world):
    user = make_user("bot", [("batch", "R")])
    token, secret = PersonalToken.issue(user, "nightly")
    client = Client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/district/v1/runs/{world['run']}", headers=headers).status_code == 200
    token.revoke()
    response = client.get(f"/api/district/v1/runs/{world['run']}", headers=headers)
    assert response.status_code == 401
    assert PersonalToken.objects.filter(token_hash=hash_token(secret)).exists()
    assert not PersonalToken.objects.filter(token_hash=secret).exists()


def test_a_personal_tokens_last_use_is_kept_to_the_minute_without_a_write_per_call(world):
    user = make_user("bot", [("batch", "R")])
    token, secret = PersonalToken.issue(user, "nightly")
    client = Client(headers={"Authorization": f"Bearer {secret}"})
    url = f"/api/district/v1/runs/{world['run']}"
    assert client.get(url).status_code == 200
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert client.get(url).status_code == 200  # within the minute: no write
    token.refresh_from_db()
    assert token.last_used_at == first
    PersonalToken.objects.filter(pk=token.pk).update(last_used_at=first - LAST_USE_EVERY * 2)
    assert client.get(url).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at > first


def test_changing_rights_is_audited_with_what_changed(world):
    admin = make_user("root", [], superuser=True)
    client = Client()
    client.force_login(admin)
    viewer = world["viewer"]
    client.post(reverse("tool-rights"), {"user": viewer.pk, "rights": ["errorlog_r", "errorlog_d"]})
    entry = AuditEntry.objects.get(action="rights.change")
    assert entry.detail == {"granted": ["errorlog_d", "errorlog_r"], "revoked": []}
    assert entry.address == "127.0.0.1"
    client.post(reverse("tool-rights"), {"user": viewer.pk, "rights": ["errorlog_r"]})
    assert AuditEntry.objects.filter(action="rights.change").count() == 2
    assert AuditEntry.objects.order_by("-id")[0].detail["revoked"] == ["errorlog_d"]
    fresh = get_user_model().objects.get(pk=viewer.pk)
    assert fresh.has_perm("access.errorlog_r")
    assert not fresh.has_perm("access.errorlog_d")


def test_tool_rights_shows_the_r_that_w_a_and_d_include(world):
    admin = make_user("root2", [], superuser=True)
    client = Client()
    client.force_login(admin)
    viewer = world["viewer"]
    client.post(reverse("tool-rights"), {"user": viewer.pk, "rights": ["errorlog_d"]})
    page = client.get(reverse("tool-rights"), {"user": viewer.pk}).content.decode()
    row = page.split("<td>Error Log</td>")[1].split("</tr>")[0]
    assert "(held through D)" in row  # R, unticked, is held all the same
    assert get_user_model().objects.get(pk=viewer.pk).has_perm("access.errorlog_r") is False
    assert has_right(get_user_model().objects.get(pk=viewer.pk), "errorlog", "R")
