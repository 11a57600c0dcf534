"""`statesync demo` refuses a busy port before anything starts or a password is printed."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from statesync.tools.demo.editions import Editions
from statesync.web.server import free_port
from tests.support.vendors import sqlite_pass_only
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_a_busy_port_is_reported_before_anything_starts(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"port {port} on 127.0.0.1 is in use"):
            call_command("demo", "--port", str(port))
    assert "password" not in capsys.readouterr().out
    assert not get_user_model().objects.exists()  # no users made, nothing seeded


def test_the_demo_district_has_one_name_in_both_editions(seeded, monkeypatch, tmp_path):
    from statesync.district.models import dis_model
    from statesync.state.models import District
    from statesync.tools.management.commands.demo import Command

    seeded("small")
    monkeypatch.setattr("statesync.core.config.connection_file", lambda: tmp_path / "dis.json")
    Command()._connect_to_state("http://127.0.0.1:8000")
    own = dis_model("District").objects.get().name
    assert District.objects.get(number="0001").name == own


class Finished:
    """A child process that has already exited cleanly (what _serve waits on)."""

    started: list[tuple[list[str], dict | None]] = []

    def __init__(self, argv, env=None):
        Finished.started.append((argv, env))
        self.returncode = 0

    def poll(self) -> int:
        return 0

    def wait(self, timeout=None) -> int:
        return 0


def test_the_demos_worker_links_to_the_address_served(monkeypatch):
    from statesync.tools.management.commands import demo

    monkeypatch.setattr(demo.subprocess, "Popen", Finished)
    monkeypatch.setattr(demo.signal, "signal", lambda *args: None)  # keep pytest's handlers
    monkeypatch.setattr(demo, "wait_listening", lambda *args: None)  # no server really starts
    demo.Command()._serve("127.0.0.1", 8123)
    [env] = [e for argv, e in Finished.started if "worker" in argv]
    assert env["STATESYNC_BASE_URL"] == "http://127.0.0.1:8123"  # e-mail links point there


def test_the_demo_records_itself_once_its_databases_exist(monkeypatch, tmp_path):
    from statesync.access.models import AuditEntry
    from statesync.tools.management.commands import demo

    ran = []
    monkeypatch.setattr(demo, "call_command", lambda *args, **kw: ran.append(args[0]))
    monkeypatch.setattr(demo, "_check_free", lambda *args: None)
    monkeypatch.setattr(demo.Command, "_connect_to_state", lambda *args: None)
    monkeypatch.setattr(demo.Command, "_serve", lambda *args: None)
    call_command("demo", "--port", "8123")
    assert ran == ["migrate", "seed"]  # the test databases stand for what migrate makes
    [entry] = AuditEntry.objects.filter(action="command.demo")
    assert entry.via == "cli" and entry.username.endswith("(command line)")
    assert entry.detail == {"scale": "small", "port": 8123, "reseed": False}


def test_a_refused_demo_says_only_why(tmp_path):
    sqlite_pass_only()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        refused = subprocess.run(
            [sys.executable, "-m", "statesync", "demo", "--port", str(port)],
            env={**os.environ, "STATESYNC_HOME": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"CommandError: port {port} on 127.0.0.1 is in use (Address already in use): is another "
        f"statesync demo running? Stop it, or choose another port: make demo PORT={port + 1}"
    ]


@pytest.mark.slow
def test_the_demo_with_districts_runs_the_state_and_each_district_at_its_own_address(tmp_path):
    sqlite_pass_only()
    port = free_port(count=6)  # the state's, each district's; the other state's, its district's
    # and the router's (--router)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATESYNC_", "DATABASE_URL"))}
    env.pop("STATE_DATABASE_URL", None)
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        demo = subprocess.Popen(
            [
                *(sys.executable, "-m", "statesync", "demo", "--districts", "2", "--edfi"),
                "--router",
                *("--port", str(port)),
            ],
            env={**env, "STATESYNC_HOME": str(tmp_path / "home")},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        try:
            wait_for(lambda: "Press Ctrl-C" in log.read_text(), 120, "the demo to start")
            said = log.read_text()
            # The Ed-Fi district (--edfi): Grand Bend through the Ed-Fi door's intake.
            assert (
                "District 0090 Grand Bend ISD (Ed-Fi):" in said and "Ed-Fi records accepted" in said
            )
            for name, at in (
                ("State", port),
                ("District 0001", port + 1),
                ("District 0002", port + 2),
            ):
                assert f"{name}: http://127.0.0.1:{at}/" in said
                wait_for(lambda a=at: _answers(f"http://127.0.0.1:{a}/login/"), 60, f"{name}")
            # Each district edition has its own database, seeded, and its token for the state.
            for number in ("0001", "0002"):
                home = tmp_path / "home" / f"district-{number}"
                assert (home / "district.sqlite3").exists() and (home / "dis.json").exists()
            assert (tmp_path / "home" / "state" / "state.sqlite3").exists()
            # Every worker starts once its state listens: its first contact finds it.
            wait_for(
                lambda: (
                    log.read_text().count("keep_in_touch") >= 4
                ),  # each worker's, started and ended
                60,
                "both district workers' first contact with the state",
            )
            assert "Connection refused" not in log.read_text()
            # A mover's records, asked for by 0002, wait in 0001's inbox (routed at the state).
            # (Its own line: the national request, below, also waits in 0001's inbox.)
            waiting = "It waits in district 0001's inbox (its page"
            wait_for(lambda: waiting in log.read_text(), 180, "the request")
            state = tmp_path / "home" / "state" / "state.sqlite3"
            with sqlite3.connect(state) as db:
                routed = db.execute(
                    "SELECT r.number, f.number, t.status FROM state_transfer t "
                    "JOIN state_district r ON r.id = t.requesting_id "
                    "JOIN state_district f ON f.id = t.former_id"
                ).fetchall()
            assert routed == [("0002", "0001", "routed")]
            district = tmp_path / "home" / "district-0002" / "district.sqlite3"
            with sqlite3.connect(district) as db:
                audited = db.execute(
                    "SELECT COUNT(*) FROM access_audit WHERE action = 'transfer.request'"
                ).fetchone()
            assert audited == (1,)
            # --router: a district in the other state asks 0001 through the National Records
            # Exchange; the request waits in 0001's inbox, marked national.
            wait_for(
                lambda: "3 districts registered" in log.read_text(), 180, "the national request"
            )
            assert "District 0101 (WI): http://127.0.0.1:" in log.read_text()
            with sqlite3.connect(tmp_path / "home" / "router" / "router.sqlite3") as db:
                relayed = db.execute(
                    "SELECT r.state, f.state, f.name, t.status FROM router_transfer t "
                    "JOIN router_member r ON r.id = t.requesting_id "
                    "JOIN router_member f ON f.id = t.former_id"
                ).fetchall()
            assert relayed == [("WI", "IL", "Demo District 0001", "routed")]
            # 0001's inbox, as its people see it (the page and the command line ask the router).
            district = {**env, "STATESYNC_HOME": str(tmp_path / "home" / "district-0001")}
            inbox = subprocess.run(
                [sys.executable, "-m", "statesync", "transfer", "inbox", "--json"],
                env={**district, "STATESYNC_ROLE": "district"},
                capture_output=True,
                text=True,
                check=True,
            )
            assert inbox.stdout.startswith("["), inbox.stdout[:2000] + inbox.stderr[-2000:]
            national = [t for t in json.loads(inbox.stdout) if t["is_national"]]
            assert [(t["ref"], t["status"], t["other_district"][:3]) for t in national] == [
                ("N1", "routed", "WI-")
            ]
        except AssertionError as exc:  # what the demo said so far says where it stuck
            os.killpg(demo.pid, signal.SIGUSR1)  # every process's threads: where they wait
            time.sleep(2)
            raise AssertionError(f"{exc}; the demo said:\n{log.read_text()[-40000:]}") from None
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(30)
    assert "was not audited" not in log.read_text()  # each step is, in its own edition


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_a_demo_step_that_runs_too_long_is_stopped_saying_where_it_waited(tmp_path):
    editions = Editions(tmp_path, "127.0.0.1", free_port())
    sleeping = "import time; time.sleep(120)"
    with pytest.raises(CommandError) as stopped:
        editions.cli(editions.state_env(), "shell", "--no-imports", "-c", sleeping, timeout=5)
    said = str(stopped.value)
    assert said.startswith("statesync shell --no-imports was still running after 5 s: ")
    assert 'File "<string>", line 1 in <module>' in said, said  # its stack, as it waited
