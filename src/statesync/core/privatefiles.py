"""Files statesync keeps for people (a transfer's documents): in the data folder, named by the
system (never by the uploader), readable by statesync's own user alone (0600 in 0700
folders), and removed with what they belong to."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from statesync.core.config import PRIVATE_DIR

PRIVATE_FILE = 0o600


def write(folder: Path, name: str, content: bytes) -> str:
    """Write `content` as `folder/name`, private, and return its SHA-256."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    folder.chmod(PRIVATE_DIR)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(folder / name, flags, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.chmod(folder / name, PRIVATE_FILE)  # a file there already keeps no looser mode
    return hashlib.sha256(content).hexdigest()


def read(folder: Path, name: str) -> bytes:
    return (folder / name).read_bytes()


def remove(folder: Path) -> None:
    """The folder and every file in it, if it is there."""
    shutil.rmtree(folder, ignore_errors=True)
