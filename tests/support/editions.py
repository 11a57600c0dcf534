"""District editions as deployed: each its own process, data folder and database — a SQLite
file, or on PostgreSQL (when the tests' own databases are) a database of its own."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections

from statesync.tools.demo.editions import MIGRATE


class DistrictEdition:
    """One district edition: its CLI, and SQL straight into its database."""

    def __init__(
        self,
        number: str,
        state_url: str,
        token: str,
        folder: Path,
        like: DistrictEdition | None = None,
        **env: str,
    ):
        """`like`: an edition migrated already, whose empty database this one starts from
        (a copy is quicker than migrating again)."""
        folder.mkdir(mode=0o700)
        self.number, self.folder = number, folder
        self.server = _postgres_server()
        if self.server:
            self.database = f"edition_{number}_{uuid.uuid4().hex[:8]}"
            template = f" TEMPLATE {like.database}" if like else ""
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {self.database}{template}")
            url = f"{self.server}/{self.database}"
        else:
            url = f"sqlite:///{folder / 'district.sqlite3'}"
            if like:
                source, target = like.url.removeprefix("sqlite:///"), url.removeprefix("sqlite:///")
                for suffix in ("", "-wal"):  # what a checkpoint may not have folded in yet
                    if os.path.exists(source + suffix):
                        shutil.copyfile(source + suffix, target + suffix)
        self.url = url
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STATESYNC_")}
        self.env |= {
            "STATESYNC_ROLE": "district",
            "STATESYNC_HOME": str(folder),
            "DATABASE_URL": url,
            "STATESYNC_STATE_URL": state_url,
            "STATESYNC_STATE_TOKEN": token,
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        if like is None:
            self.cli(*MIGRATE)

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "statesync", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def sql(self, query: str, params: tuple = ()) -> list[tuple[Any, ...]]:
        """Run `query` in the edition's database (marks: %s) and return its rows."""
        if self.server:
            with psycopg.connect(self.url, autocommit=True) as db:
                cursor = db.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30) as db:
            return db.execute(query.replace("%s", "?"), params).fetchall()

    def drop(self) -> None:
        if self.server:
            with psycopg.connect(f"{self.server}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")


def _postgres_server() -> str:
    """postgres://user@host:port of the tests' own server, or "" when they run on SQLite."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return ""
    s = connection.settings_dict
    user, host, port = s.get("USER") or "postgres", s.get("HOST") or "127.0.0.1", s.get("PORT")
    return f"postgres://{user}@{host}:{port or 5432}"
