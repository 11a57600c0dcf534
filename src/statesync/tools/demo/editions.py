"""Editions of statesync on one machine, each a deployment of its own under one data folder
(its database, queue and secrets), the districts connected to the state over HTTP: what
`statesync demo --districts N` runs and `statesync bench --districts N` measures."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import PIPE

from django.core.management.base import CommandError

from statesync.core import stacks
from statesync.core.tokens import STATE_TOKEN_PREFIX

# An edition's databases made, without Django's system checks: its `serve` runs them when it
# starts (they load every URL and view, 0.4 s of CPU a call).
MIGRATE = ("migrate", "-v0", "--skip-checks")

# Each edition is configured from scratch: nothing of the caller's deployment leaks in.
EDITION_SETTINGS = ("STATESYNC_", "DATABASE_URL", "STATE_DATABASE_URL", "ROUTER_DATABASE_URL")


class Editions:
    """The state and district editions under `home`; the state is served at `state_url`."""

    def __init__(self, home: Path, host: str, port: int):
        self.home, self.host, self.port = home, host, port
        self.state_url = f"http://{host}:{port}"
        self.state_lock = threading.Lock()

    def env(self, role: str, folder: str, port: int, **settings: str) -> dict[str, str]:
        """The environment of an edition: `role`, its own data folder, its own `settings`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(EDITION_SETTINGS)}
        home = self.home / folder
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        url = f"http://{self.host}:{port}"
        return (
            env
            | settings
            | {
                "STATESYNC_ROLE": role,
                "STATESYNC_HOME": str(home),
                "STATESYNC_BASE_URL": url,
            }
        )

    def state_env(self, **settings: str) -> dict[str, str]:
        return self.env("state", "state", self.port, **settings)

    def district_env(self, k: int) -> dict[str, str]:
        return self.env("district", f"district-{k:04d}", self.port + k)

    def cli(self, env: dict[str, str], *args: str, timeout: float | None = None) -> str:
        """`statesync *args` in the edition of `env`; its output, or an error that says why
        (for a command still running after `timeout` seconds, where each of its threads was)."""
        argv = [sys.executable, "-m", "statesync", *args]
        what = f"statesync {' '.join(args[:2])}"
        with subprocess.Popen(argv, env=env, stdout=PIPE, stderr=PIPE, text=True) as command:
            try:
                out, err = command.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                err = stopped_saying_where(command)
                said = f"{what} was still running after {timeout:.0f} s: {err}"
                raise CommandError(said) from None
        if command.returncode != 0:
            raise CommandError(f"{what} failed: {err.strip()}")
        return out

    def prepare_district(
        self,
        state: dict[str, str],
        k: int,
        scale: str,
        years: int,
        reseed: bool,
        log: Callable[[str], object],
        defects: bool = True,
        number: str | None = None,
    ) -> dict[str, str]:
        """District edition `k` migrated, seeded (students shared with its neighbours) and
        connected to the state, as district `number` (k's own by default); its environment."""
        number = number or f"{k:04d}"
        district = self.district_env(k)
        self.cli(district, *MIGRATE)
        seeded = Path(district["STATESYNC_HOME"]) / "seeded"
        if reseed or not seeded.exists():
            log(f"Seeding district {number} ({scale}, {years} school year(s))…")
            self.cli(
                district,
                *("seed", "--scale", scale, "--years", str(years), "--district-number", number),
                *("--random-seed", str(k), "--movers"),
                *(() if defects else ("--no-defects",)),
            )
            seeded.touch(mode=0o600)
        token = self.token(state, number)
        # The state is not served yet: the demo starts it after every edition is prepared.
        self.cli(
            district, "dis", "configure", "--url", self.state_url, "--token", token, "--no-check"
        )
        return district

    def token(self, state: dict[str, str], number: str) -> str:
        """District `number` registered at the state, and a fresh token for it."""
        with self.state_lock:  # one writer of the state's registry at a time
            if number not in self.cli(state, "state", "list"):
                name = f"Demo District {number}"
                said = self.cli(state, "state", "add-district", "--number", number, "--name", name)
            else:
                said = self.cli(state, "state", "issue-token", "--number", number, "--rotate")
        return [line for line in said.split() if line.startswith(STATE_TOKEN_PREFIX)][-1]


def wait_listening(host: str, port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    """Until `server` accepts connections on `port`; an error if it stops or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"the web server for port {port} stopped; see above")
        with socket.socket() as probe:
            if probe.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    server.terminate()
    raise CommandError(f"the web server for port {port} did not start within {seconds:.0f} s")


def stopped_saying_where(command: subprocess.Popen) -> str:
    """Stop a statesync command that ran too long, after it printed every thread's stack
    (core/stacks.py); what it said on standard error, its end."""
    if stacks.SIGNAL is not None:
        command.send_signal(stacks.SIGNAL)
        time.sleep(1)  # faulthandler writes at once; a second is plenty
    command.kill()
    _, err = command.communicate()
    return err.strip()[-8000:]
