"""Nothing escapes the audit: every management command and every view is accounted for.

A command either only reads (statesync.access.door.READ_ONLY), records what it did itself (proved in
test_cli_audit), or is recorded at the door by the `statesync` script. A view either changes
data and is audited (proved in test_rights and the tests named below), is one of the few
deliberately left out (with why), or only reads — which posting to it proves.
"""

from __future__ import annotations

import getpass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import get_commands, load_command_class
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from statesync import cli
from statesync.access import door
from statesync.access.models import AuditEntry, PersonalToken
from statesync.core import catalog
from statesync.district.models import ErrorLogEntry, Notification, Run, SelectiveSync
from statesync.state.models import (
    ApiToken,
    District,
    DownChange,
    FieldSetting,
    MatchHold,
    ResyncRequest,
    StatePerson,
)

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# The commands that audit themselves, each proved in test_cli_audit.py.
# (`year`: its rollover row in test_school_years; `transfer`: test_transfers; `demo_mover`:
# test_demo, the demo's request; `demo`: test_demo; `exchange` and `router`: test_exchange.)
AUDITS_ITSELF = {
    "cancel",
    "demo",
    "demo_mover",
    "dis",
    "edfi_sample",
    "exchange",
    "messages",
    "record",
    "resync",
    "router",
    "seed",
    "selective_sync",
    "state",
    "transfer",
    "year",
}

# Views that change data, with the audit action each records and the test that proves it.
AUDITED_VIEWS = {
    "login": "login (test_hardening)",
    "logout": "logout (below)",
    "profile": "token.create (test_hardening)",
    "token-revoke": "token.revoke (test_hardening)",
    "tool-rights": "rights.change (test_rights)",
    "batch": "resync.start (test_rights)",
    "run-cancel": "resync.cancel (test_rights)",
    "errors-report": "errorlog.export (test_rights)",
    "errors-clear": "errorlog.clear (test_rights)",
    "selective": "selective.sync (test_rights)",
    "selective-delete": "selective.history.delete (test_rights)",
    "request-resync": "state.request (test_rights)",
    "start_resync": "resync.start (test_rights, district API)",
    "selective_sync": "selective.sync (test_rights, district API)",
    "rollover": "year.rollover (test_school_years; refused: none, test_rights)",
    "verification": "verification.export, resync.start (test_rights)",
    "years-request": "state.request_year_resyncs (test_rights)",
    "years-close": "state.year_close (test_rights)",
    "verification-summary": "verification.export (test_rights)",
    "verification-summary-request": "state.request_resync (test_rights)",
    "matching-decide": "state.person_match, state.person_new (test_state_owned_pages)",
    "field-settings-change": "state.field_owner (test_rights)",
    "district-value": "state.value_set (test_state_owned_pages)",
    "item": "state.edfi.delete (test_edfi); PUT as collection's POST",
    "edfi-client": "state.edfi.client.issue, .rotate, .revoke (test_rights, test_edfi)",
    "messages-report": "messages.export (test_message_history)",
    "message-resend": "messages.resend (test_message_history)",
    "received-messages-report": "statemessages.export (test_state_message_history)",
    "record-deleter": "records.remove (test_record_deleter)",
    "data-tool-sync": "datatool.sync (test_data_tool)",
    "record-sync": "state.request_record (test_state_message_history)",
    "transfer-request": "transfer.request (test_transfers)",
    "transfer-action": "transfer.attach, .release, .decline, .receive, .choose (test_transfers)",
    "transfer-delete": "transfer.delete (test_transfers)",
    "transfer-document": "transfer.download (test_transfers)",
    "api-transfer-request": "transfer.request at the state (test_transfers)",
    "api-transfer-route": "transfer.route at the state",
    "api-transfer-release": "transfer.release at the state (test_transfers)",
    "api-transfer-decline": "transfer.decline at the state (test_transfers)",
    "api-transfer-packet": "transfer.fetch at the state (test_transfers)",
    "api-transfer-received": "transfer.received at the state (test_transfers)",
    "api-transfer-cancel": "transfer.cancel at the state",
    "transfer_request": "transfer.request (district API)",
    "transfer_release": "transfer.release (district API)",
    "transfer_decline": "transfer.decline (test_transfers, district API)",
    "transfer_receive": "transfer.receive (district API)",
    "exchange-register": "exchange.register (test_exchange)",
    "exchange-change": "exchange.update, .rotate, .withdraw (test_exchange)",
    "exchange-request": "transfer.request, national (test_exchange)",
    "district-add": "router.add-district (test_exchange)",
    "district-revoke": "router.revoke (test_exchange)",
    "router-register": "exchange.register at the router (test_exchange)",
    "router-registration-update": "exchange.update at the router (test_exchange)",
    "router-withdraw": "exchange.withdraw at the router (test_exchange)",
    "router-rotate": "exchange.rotate at the router (test_exchange)",
    "router-transfers": "transfer.request at the router (test_exchange)",
    "router-transfer-release": "transfer.release at the router (test_exchange)",
    "router-transfer-decline": "transfer.decline at the router (test_exchange)",
    "router-transfer-packet": "transfer.fetch at the router (test_exchange)",
    "router-transfer-received": "transfer.received at the router (test_exchange)",
    "router-transfer-cancel": "transfer.cancel at the router",
}
# Deliberately not audited, and why.
NOT_AUDITED = {
    "notification": "marks the user's own notification read",
    "notifications-read": "marks the user's own notifications read",
    **{
        f"api-batch-{name}": "the data flow itself; the run or save behind it is audited in the "
        "district"
        for name in catalog.NAMES
    },
    "api-resync-claim": "a district's worker taking the state's request (the request is audited)",
    "api-year-report": "a district reporting its own runs and rollover (audited in the district)",
    "api-down-changes-applied": "a district's worker saying what it applied (each change it "
    "applied is audited in the district)",
    "collection": "an Ed-Fi district's data flow, like api-batch: every change is in the Ed-Fi "
    "change log (EdfiChange) with its district, and the client's issue is audited",
    "token": "an OAuth2 access token for a client whose issue, rotation and revocation are audited",
}


def commands_by_kind() -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {"read": set(), "itself": set(), "door": set()}
    for name, app in get_commands().items():
        command = load_command_class(app, name)
        if name in door.READ_ONLY:
            kinds["read"].add(name)
        elif getattr(command, "audits_itself", False):
            kinds["itself"].add(name)
        else:
            assert door.audited_at_the_door(command), name
            kinds["door"].add(name)
    return kinds


def test_every_command_is_read_only_audits_itself_or_is_audited_at_the_door():
    kinds = commands_by_kind()
    assert kinds["itself"] == AUDITS_ITSELF  # a new one: prove its row in test_cli_audit
    assert {"createsuperuser", "changepassword", "flush", "shell", "loaddata"} <= kinds["door"]
    assert {"migrate", "worker", "serve", "drain", "errors", "dumpdata"} <= kinds["door"]


def door_entry(name: str) -> AuditEntry:
    [entry] = AuditEntry.objects.filter(action=f"command.{name}")
    assert entry.via == "cli" and entry.username.endswith("(command line)")
    return entry


def test_commands_at_the_door_are_audited_as_the_operating_system_user(monkeypatch):
    cli.main(["clearsessions"])
    assert door_entry("clearsessions").detail == {"argv": []}

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long and secret password")
    cli.main(["createsuperuser", "--noinput", "--username", "root2", "--email", "r@example.org"])
    assert door_entry("createsuperuser").detail["argv"][:3] == ["--noinput", "--username", "root2"]
    assert get_user_model().objects.get(username="root2").is_superuser

    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "another long secret")
    cli.main(["changepassword", "root2"])
    assert door_entry("changepassword").detail == {"argv": ["root2"]}

    cli.main(["check"])  # reads only
    assert not AuditEntry.objects.filter(action="command.check").exists()


def test_secrets_in_arguments_are_masked():
    assert door.masked(["configure", "--token", "s3cret", "--url", "http://x"]) == [
        "configure",
        "--token",
        "***",
        "--url",
        "http://x",
    ]
    assert door.masked(["--password=hunter2", "--name=x"]) == ["--password=***", "--name=x"]
    # Code for `shell -c` may set a password: kept by its length and digest, never its text.
    code = "u = User.objects.get(username='admin'); u.set_password('hunter2'); u.save()"
    for args in (["-c", code], [f"--command={code}"]):
        shown = " ".join(door.masked(args))
        assert "hunter2" not in shown and f"<{len(code)} characters, sha256 " in shown


def test_commands_started_by_django_admin_are_audited_too():
    """The door is Django's own way into a command (run_from_argv), not only the statesync
    script's: `django-admin shell -c` leaves its row, its code kept by length and digest."""
    from django.core.management import ManagementUtility

    code = "print('the secret is hunter2')"
    ManagementUtility(["django-admin", "shell", "-c", code]).execute()
    (entry,) = AuditEntry.objects.filter(action="command.shell")
    assert entry.via == "cli" and "hunter2" not in str(entry.detail)
    assert entry.detail["argv"][0] == "-c" and entry.detail["argv"][1].startswith("<30 characters")


def url_names(patterns=None, namespace: str = "") -> dict[str, str]:
    """Every named view (admin aside): name → the name `reverse()` takes."""
    names: dict[str, str] = {}
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":  # every admin change: AuditedAdmin, test_hardening
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names[pattern.name] = namespace + pattern.name
    return names


def counts() -> dict[str, int]:
    models = (
        AuditEntry,
        PersonalToken,
        Run,
        SelectiveSync,
        ErrorLogEntry,
        Notification,
        District,
        ApiToken,
        ResyncRequest,
        FieldSetting,
        MatchHold,
        DownChange,
        StatePerson,
        Group,
        get_user_model(),
    )
    return {m.__name__: m.objects.count() for m in models}


def read_only_urls() -> list[str]:
    """Every view not known to change data, by URL (with arguments that resolve)."""
    args = {"run": [1], "selective-result": [1], "district": ["0001"], "run_status": [1]}
    args |= {"message": [1], "record": ["0001"], "received-messages": ["0001"]}
    args |= {"received-message": ["0001", 1], "api-transfers": ["0001"], "transfer": [1]}
    args |= {"run_errors": [1], "selective_status": [1], "api-whoami": ["0001"]}
    args |= {"api-resync-requests": ["0001"], "api-year-report": ["0001", 2024]}
    args |= {"api-down-changes": ["0001"], "deletes": ["schools"], "not-served": ["nothing"]}
    args |= {f"api-{kind}-{n}": ["0001"] for kind in ("digest", "records") for n in catalog.NAMES}
    names = url_names()
    return [
        reverse(names[name], args=args.get(name, []))
        for name in sorted(set(names) - set(AUDITED_VIEWS) - set(NOT_AUDITED))
    ]


def test_every_view_is_audited_deliberately_not_or_changes_nothing(admin_user, registered):
    everything = set(url_names())
    assert set(AUDITED_VIEWS) <= everything and set(NOT_AUDITED) <= everything
    client = Client()  # CSRF checks off: prove the view itself changes nothing
    client.force_login(admin_user)
    token = registered[1]
    before = counts()
    for url in read_only_urls():
        answer = client.post(url, {"objects": ["School"]}, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code < 500, url
        assert counts() == before, f"POST {url} changed data without an audit row"


def test_logout_is_audited(admin_user):
    client = Client()
    client.force_login(admin_user)
    client.post(reverse("logout"))
    [entry] = AuditEntry.objects.filter(action="logout")
    assert entry.username == admin_user.get_username() and entry.via == "web"


def test_every_model_in_django_admin_is_audited():
    """django-axes's lockouts included: deleting one lifted a lockout without a trace."""
    from django.contrib import admin

    from statesync.access.admin import AuditedAdmin

    plain = [
        m._meta.label for m, a in admin.site._registry.items() if not isinstance(a, AuditedAdmin)
    ]
    assert plain == []
    assert any(m._meta.app_label == "axes" for m in admin.site._registry)
