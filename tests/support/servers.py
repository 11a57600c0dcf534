"""`statesync serve` as production runs it, in a process of its own on the test databases."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from statesync.web.server import server_argv
from tests.support.workers import Child, wait_for, worker_env


class Served(Child):
    """A `statesync serve` process on the test databases, which a test can kill and restart."""

    def __init__(
        self,
        port: int,
        workers: int = 1,
        args: tuple[str, ...] = (),
        log: Path | None = None,
        **env: str,
    ):
        self.port, self.workers, self.env, self.process = port, workers, env, None
        self.args, self.log = args, log
        self.url = f"http://127.0.0.1:{port}"

    def start(self) -> Served:
        """Started, and answering; its output (with `log`) kept in that file."""
        out = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [*server_argv("127.0.0.1", self.port, self.workers), *self.args],
            env=worker_env(**self.env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.log:
            out.close()  # the child holds its own
        wait_for(self._up, 30, "the server to start")
        return self

    def _up(self) -> bool:
        try:
            return httpx.get(self.url + "/login/", timeout=1).status_code == 200
        except httpx.TransportError:
            return False
