"""Deployment promises: private files, the HTTPS switch, server errors that can be found."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from statesync.core import config
from statesync.state.ingest import apply as ingest
from tests.support.vendors import sqlite_pass_only

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def statesync(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess:
    # A process of its own: its own data folder, not the tests' databases or async switches.
    skip = ("DATABASE_URL", "STATE_DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environ = {k: v for k, v in os.environ.items() if k not in skip}
    environ.update(STATESYNC_HOME=str(home), **env)
    return subprocess.run(
        [sys.executable, "-m", "statesync", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_and_everything_in_it_is_private(tmp_path):
    sqlite_pass_only()
    home = tmp_path / "home"
    done = statesync("migrate", "-v0", home=home)
    assert done.returncode == 0, done.stderr
    assert mode(home) == 0o700
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".sqlite3") for p in files)
    assert {p.name: oct(mode(p)) for p in files if mode(p) & 0o077} == {}


def test_looser_modes_are_tightened_at_start_with_a_warning(tmp_path):
    sqlite_pass_only()
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    leaked = home / "district.sqlite3"
    leaked.write_bytes(b"")
    leaked.chmod(0o644)
    done = statesync("check", home=home)
    assert done.returncode == 0, done.stderr
    assert mode(home) == 0o700
    assert mode(leaked) == 0o600
    assert "district.sqlite3" in done.stderr and "0644" in done.stderr


def test_tightening_names_nothing_when_all_is_private(tmp_path):
    sqlite_pass_only()
    home = tmp_path / "home"
    assert config.prepare_home(home) == []
    (home / "x").write_text("")
    (home / "x").chmod(0o600)
    assert config.prepare_home(home) == []


def test_the_https_switch_passes_djangos_deployment_checks(tmp_path):
    sqlite_pass_only()
    home = tmp_path / "home"
    plain = statesync("check", "--deploy", "--fail-level", "WARNING", home=home)
    assert plain.returncode != 0  # without it, the checks say what is missing
    assert "SECURE_SSL_REDIRECT" in plain.stderr or "SECURE_SSL_REDIRECT" in plain.stdout
    checks = ("check", "--deploy", "--fail-level", "WARNING")
    secure = statesync(
        *checks, home=home, STATESYNC_HTTPS="1", STATESYNC_ALLOWED_HOSTS="sis.example"
    )
    assert secure.returncode == 0, secure.stdout + secure.stderr
    assert "no issues" in secure.stdout
    # Behind TLS the host names must be named: '*' would answer a forged Host header.
    for hosts in ("", "*"):
        anyone = statesync(*checks, home=home, STATESYNC_HTTPS="1", STATESYNC_ALLOWED_HOSTS=hosts)
        assert anyone.returncode != 0
        assert anyone.stderr.startswith("statesync: STATESYNC_HTTPS=1 needs STATESYNC_ALLOWED")


def test_a_page_error_is_logged_with_the_id_the_page_shows(client, admin_user, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a planted failure")

    monkeypatch.setattr("statesync.district.views.batch.object_states", broken)
    client.raise_request_exception = False
    client.force_login(admin_user)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get(reverse("district:batch"))
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert request_id.encode() in response.content
    logged = [r for r in caplog.records if getattr(r, "request_id", "") == request_id]
    assert logged and logged[0].exc_info and "a planted failure" in str(logged[0].exc_info[1])


def test_an_api_error_answers_json_with_the_id_in_the_log(client, registered, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a planted failure")

    monkeypatch.setattr(ingest, "apply_batch", broken)
    client.raise_request_exception = False
    _, token = registered
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post(
            "/api/state/v1/districts/0001/objects/District/batch",
            b'{"upserts": [], "deletes": []}',
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal error"
    assert body["request_id"] == response["X-Request-ID"]
    assert body["request_id"] in body["detail"]
    assert any(getattr(r, "request_id", "") == body["request_id"] for r in caplog.records)


def test_a_client_request_id_is_kept_when_it_is_sane(client):
    response = client.get("/login/", headers={"X-Request-ID": "lb-1234-abcd"})
    assert response["X-Request-ID"] == "lb-1234-abcd"
    hostile = client.get("/login/", headers={"X-Request-ID": "x" * 300 + "\n"})
    assert hostile["X-Request-ID"] != "x" * 300
    assert len(hostile["X-Request-ID"]) <= 64


def test_each_edition_names_its_cookies_apart(tmp_path, monkeypatch):
    """The demo's editions share one host: with one cookie name, signing in to one signed you
    out of another (browsers keep cookies by host, not port)."""
    names = set()
    for role, home in (("state", "a"), ("district", "b"), ("district", "c")):
        monkeypatch.setenv("STATESYNC_ROLE", role)
        monkeypatch.setenv("STATESYNC_HOME", str(tmp_path / home))
        names.add(config.cookie_prefix())
    assert len(names) == 3
    monkeypatch.setenv("STATESYNC_COOKIE_PREFIX", "sis")
    assert config.cookie_prefix() == "sis"
