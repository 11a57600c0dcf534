"""The command-line actions not covered elsewhere: queueing, runs, cancel, drain, DIS, registry."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from huey.contrib.djhuey import HUEY

from statesync.core import config
from statesync.district.models import Run, RunStatus
from statesync.district.services.resync import execute
from statesync.state.models import ApiToken, District
from statesync.web.management.commands import worker
from statesync.web.server import free_port
from tests.support.servers import Served
from tests.support.vendors import sqlite_pass_only
from tests.support.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture(autouse=True)
def _empty_queue():
    HUEY.flush()
    yield
    HUEY.flush()


def test_resync_without_wait_queues_and_runs_lists_it(dis, seeded, capsys):
    seeded("small")
    call_command("resync", "--objects", "School", "--check-dependencies")
    out = capsys.readouterr().out
    run = Run.objects.get()
    assert f"Run {run.pk} queued (position 1)" in out
    assert run.status == RunStatus.QUEUED
    assert len(HUEY.pending()) == 1
    call_command("runs", "--json")
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["run"] == run.pk
    assert listed["queue_position"] == 1
    assert [o["object"] for o in listed["objects"]] == ["District", "School"]


def test_resync_of_a_year_the_district_does_not_have_is_refused(dis, seeded):
    seeded("small", defects=False)
    with pytest.raises(CommandError, match=r"no school year 1999 \(1998-1999\): its years are"):
        call_command("resync", "--all", "--year", "1999")
    assert not Run.objects.exists()  # nothing recorded as that year's end-of-year resync


def test_cancel_says_what_happened(dis, seeded, capsys):
    seeded("small")
    queued = Run.plan(["District"])
    call_command("cancel", str(queued.pk))
    assert "cancelled before it started" in capsys.readouterr().out
    queued.refresh_from_db()
    assert queued.status == RunStatus.CANCELLED
    with pytest.raises(CommandError, match=f"run {queued.pk} has already ended"):
        call_command("cancel", str(queued.pk))
    with pytest.raises(CommandError, match="there is no run 999"):
        call_command("cancel", "999")
    done = execute(Run.plan(["District"]))
    with pytest.raises(CommandError, match="already ended"):
        call_command("cancel", str(done.pk))


def test_drain_sends_the_outbox(dis, seeded, capsys):
    seeded("small", defects=False)
    execute(Run.plan(["District", "School"]))
    from statesync.district.models import dis_model

    school = dis_model("School").objects.get(pk=1)
    school.name = "Drained"
    school.save()
    call_command("drain")
    assert "Sent 1 record, deleted 0" in capsys.readouterr().out  # the noun agrees


def test_state_registry_and_dis_connection(
    live_server, transactional_db, capsys, monkeypatch, tmp_path
):
    monkeypatch.setattr(config, "connection_file", lambda: tmp_path / "dis.json")
    call_command("state", "add-district", "--number", "0007", "--name", "Seventh")
    token = capsys.readouterr().out.strip()
    district = District.objects.get(number="0007")
    stored = ApiToken.objects.get(district=district)
    assert token.startswith("sst_")
    assert stored.token_hash != token  # only the hash is kept
    with pytest.raises(CommandError, match="already registered"):
        call_command("state", "add-district", "--number", "0007", "--name", "Again")
    with pytest.raises(CommandError, match="must be 4 digits"):
        call_command("state", "add-district", "--number", "7", "--name", "Short")
    with pytest.raises(CommandError, match="not registered"):
        call_command("state", "issue-token", "--number", "0008")

    call_command("dis", "configure", "--url", live_server.url, "--token", token)
    assert (tmp_path / "dis.json").stat().st_mode & 0o077 == 0  # a secret: owner only
    assert "the token is checked once the District is entered" in capsys.readouterr().out
    from statesync.district.models import dis_model

    dis_model("District").objects.create(id=1, state_district_number="0007", name="Seventh")
    call_command("dis", "check")
    assert "district 0007 Seventh" in capsys.readouterr().out
    # What the state would refuse is not saved: the connection that works stays.
    saved = (tmp_path / "dis.json").read_text()
    refused = [
        (live_server.url, "sst_wrongwrongwrong", "401"),
        ("state.example", token, "is not the state's web address"),
        (live_server.url, "hunter2", "a state token starts with 'sst_'"),
        ("http://127.0.0.1:9", token, "--no-check saves it anyway"),  # nobody listens there
    ]
    for url, secret, said in refused:
        with pytest.raises(CommandError, match=re.escape(said)):
            call_command("dis", "configure", "--url", url, "--token", secret)
        assert (tmp_path / "dis.json").read_text() == saved
    call_command("dis", "configure", "--url", live_server.url, "--token", token)
    assert "the token acts for district 0007 Seventh" in capsys.readouterr().out
    call_command(
        "dis", "configure", "--url", live_server.url, "--token", "sst_wrongwrongwrong", "--no-check"
    )
    with pytest.raises(CommandError, match="401"):
        call_command("dis", "check")


def test_resync_refuses_without_dis(registered, monkeypatch, tmp_path):
    monkeypatch.setattr(config, "connection_file", lambda: tmp_path / "none.json")
    with pytest.raises(CommandError, match="DIS is not enabled"):
        call_command("resync", "--all")


def test_migrate_prepares_every_database_of_the_role(tmp_path):
    sqlite_pass_only()
    env = {
        **os.environ,
        "STATESYNC_HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'district.sqlite3'}",
        "STATE_DATABASE_URL": f"sqlite:///{tmp_path / 'state.sqlite3'}",
    }
    statesync = [sys.executable, "-m", "statesync"]
    migrated = subprocess.run([*statesync, "migrate"], env=env, capture_output=True, text=True)
    assert migrated.returncode == 0, migrated.stderr
    assert "Database 'default':" in migrated.stdout and "Database 'state':" in migrated.stdout
    added = subprocess.run(
        [*statesync, "state", "add-district", "--number", "0007", "--name", "Seven"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr  # the state's tables exist: no "no such table"


def test_help_lists_statesyncs_own_commands(capsys):
    from statesync import cli

    assert cli.main(["--help"]) == 0
    # SIGPIPE stays ignored: reset to its default, a process died without a word at its next
    # write to a socket its peer had closed (a test worker, or a resync talking to the state).
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN
    shown = capsys.readouterr().out
    assert "  selective-sync  " in shown and "  resync  " in shown and "  serve  " in shown
    assert "squashmigrations" not in shown and "statesync help --all" in shown


def test_tables_have_headers_and_aligned_columns(dis, seeded, capsys):
    seeded("small")
    run = execute(Run.plan(["District", "School"]))
    call_command("runs")
    header, line = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[:3] == ["run", "queued", "at"]
    rejected = sum(ro.errors for ro in run.run_objects.all())
    assert line.rstrip().endswith(f"{rejected:>9,}")
    call_command("errors", "--run", str(run.pk))
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["run", "object", "record", "rule", "message"]
    assert rows and all(r[:6].strip() == str(run.pk) for r in rows)
    assert len({r.index(" E-") for r in rows}) == 1  # the rule column lines up
    # A verify shows the records the state rejects, as its page does, in a verify's words.
    verify = execute(Run.plan(["District", "School"], "verify"))
    call_command("runs", "--limit", "1")
    line = capsys.readouterr().out.splitlines()[1]
    known = sum(ro.rejected_known for ro in verify.run_objects.all())
    assert known and line.rstrip().endswith(f"{known:>9,}")
    from statesync.district.services.progress import ProgressPrinter

    table = ProgressPrinter.table(verify)
    assert "matching" in table and "updated" not in table and "inserted" not in table


def test_the_worker_polls_an_idle_queue_at_least_every_half_second(monkeypatch):
    # Huey's consumer polls an idle SQLite queue less and less often, by default up to every
    # 10 s: a save after a quiet spell would wait that long to go up.
    consumed = {}
    monkeypatch.setattr(worker, "call_command", lambda name, **opts: consumed.update(opts))
    call_command("worker", threads=2)
    assert consumed["max_delay"] == worker.MAX_POLL_SECONDS == 0.5
    assert consumed["workers"] == 2 and consumed["periodic"]


def test_a_state_edition_lists_its_commands_and_seed_says_it_is_a_districts(tmp_path):
    env = {**os.environ, "STATESYNC_ROLE": "state", "STATESYNC_HOME": str(tmp_path)}
    statesync = [sys.executable, "-m", "statesync"]
    listed = subprocess.run(statesync, env=env, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr  # it once crashed importing district models
    assert "  state  " in listed.stdout and "  serve  " in listed.stdout
    seeded = subprocess.run([*statesync, "seed"], env=env, capture_output=True, text=True)
    assert seeded.returncode != 0
    assert "seed fills a district edition's database" in seeded.stderr
    assert "Traceback" not in seeded.stderr


def test_a_reader_that_stops_early_ends_the_command_quietly():
    # `statesync … | head -c 10` with more output than a pipe holds: the reader goes away,
    # the command ends at once, with no traceback.
    script = (
        "import sys; from statesync import cli; "
        "cli._main = lambda argv: [print('x' * 99) for _ in range(20_000)] and 0; "
        "sys.exit(cli.main())"
    )
    piped = subprocess.run(
        f'{sys.executable} -c "{script}" | head -c 10; exit ${{PIPESTATUS[0]}}',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert piped.stdout == "x" * 10
    assert piped.returncode == 1 and piped.stderr == ""


def test_the_console_script_keeps_sigpipe_ignored():
    script = (
        "import signal, sys; from statesync.cli import main; sys.argv = ['statesync', '--help']; "
        "main(); print(signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.strip().splitlines()[-1] == "True", shown.stderr


def test_a_command_that_seems_stuck_says_where_on_sigusr1_and_goes_on(tmp_path):
    # `kill -USR1 PID`: every thread's stack on standard error, and the command carries on.
    env = {**os.environ, "STATESYNC_ROLE": "district", "STATESYNC_HOME": str(tmp_path)}
    waiting = "import sys, time; print('waiting', flush=True); sys.stdin.readline(); print('on')"
    shell = subprocess.Popen(
        [sys.executable, "-m", "statesync", "shell", "--no-imports", "-c", waiting],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert shell.stdout.readline() == "waiting\n"
        shell.send_signal(signal.SIGUSR1)
        said = shell.stderr.readline() + shell.stderr.readline()
        shell.stdin.write("\n")
        shell.stdin.flush()
        out, err = shell.communicate(timeout=60)
    finally:
        shell.kill()
    assert said.startswith(("Thread 0x", "Current thread 0x")), said + err
    assert 'File "<string>", line 1 in <module>' in said + err
    assert out == "on\n" and shell.returncode == 0


def test_the_server_its_worker_and_resolver_say_where_on_sigusr1(transactional_db, tmp_path):
    log = tmp_path / "serve.log"
    server = Served(free_port(), log=log).start()
    group = server.process.pid
    try:
        # `statesync serve`, hypercorn's worker process (Django's) and the identity resolver,
        # each once it has set itself up to answer the signal.
        wait_for(lambda: len(_catching_sigusr1(group)) == 3, 60, "three answering SIGUSR1")
        where = ("commands/serve.py", "hypercorn/asyncio/run.py", "people/resolver.py")

        def said_where() -> bool:
            for pid in _catching_sigusr1(group):  # asked again until each has said it
                os.kill(pid, signal.SIGUSR1)
            return all(place in log.read_text(errors="replace") for place in where)

        try:
            wait_for(said_where, 60, "their stacks")
        except AssertionError as exc:  # which process did not: what the log holds says
            said = log.read_text(errors="replace")[-6000:]
            raise AssertionError(f"{exc}; the log:\n{said}") from None
        assert httpx.get(server.url + "/login/", timeout=10).status_code == 200  # gone on
        assert len(_catching_sigusr1(group)) == 3
    finally:
        server.stop()


def _catching_sigusr1(group: int) -> list[int]:
    """The processes of process group `group` that catch SIGUSR1 (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != group:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        caught = int(re.search(r"^SigCgt:\s*([0-9a-f]+)", status, re.M).group(1), 16)
        if caught >> (signal.SIGUSR1 - 1) & 1:
            found.append(int(entry))
    return found
