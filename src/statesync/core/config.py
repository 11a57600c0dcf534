"""Settings that come from the environment (docs/DESIGN.md §10), read in one place."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

ROLES = ("district", "state", "router", "both")


class ConfigError(RuntimeError):
    """A setting has a value statesync cannot use."""


def get_home() -> Path:
    """The data folder: SQLite files, the queue, the DIS connection file."""
    return Path(os.environ.get("STATESYNC_HOME", "./var")).resolve()


# Everything statesync writes under its data folder is private: the databases hold sessions (a
# local user who could read them could take over an administrator's session), and the folder
# holds the secret key and the state token.
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077


def prepare_home(home: Path | None = None) -> list[str]:
    """Create the data folder private and tighten whatever in it is not; say what changed.

    What the process creates afterwards is private through its umask (the settings set it).
    """
    home = home or get_home()
    home.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    tightened = []
    for path in [home, *home.rglob("*")]:
        if path.is_symlink():
            continue
        current = stat.S_IMODE(path.stat().st_mode)
        if current & PRIVATE_UMASK:
            path.chmod(PRIVATE_DIR if path.is_dir() else current & 0o700)
            now = stat.S_IMODE(path.stat().st_mode)
            tightened.append(f"{path} was readable by others ({current:04o}); now {now:04o}")
    return tightened


def https() -> bool:
    """Whether statesync is served over HTTPS (behind a TLS terminator): STATESYNC_HTTPS=1."""
    return os.environ.get("STATESYNC_HTTPS", "") == "1"


def allowed_hosts() -> list[str]:
    """The host names the site answers to (STATESYNC_ALLOWED_HOSTS, comma-separated).

    Any name is answered over plain HTTP on a developer's machine; behind a TLS terminator
    they must be named, since a forged Host header would otherwise reach links in e-mail."""
    raw = os.environ.get("STATESYNC_ALLOWED_HOSTS", "")
    hosts = [h.strip() for h in raw.split(",") if h.strip()]
    if https() and (not hosts or "*" in hosts):
        raise ConfigError(
            "STATESYNC_HTTPS=1 needs STATESYNC_ALLOWED_HOSTS: the host names this site answers "
            "to, comma-separated (for example statesync.example.org), not '*'"
        )
    return hosts or ["*"]


def trusted_proxies() -> frozenset[str]:
    """Addresses of the proxies in front of statesync (STATESYNC_TRUSTED_PROXIES,
    comma-separated): loopback when served over HTTPS, none otherwise."""
    default = "127.0.0.1,::1" if https() else ""
    raw = os.environ.get("STATESYNC_TRUSTED_PROXIES", default)
    proxies = set()
    for item in (p.strip() for p in raw.split(",") if p.strip()):
        try:
            proxies.add(str(ipaddress.ip_address(item)))
        except ValueError:
            raise ConfigError(f"STATESYNC_TRUSTED_PROXIES: {item!r} is not an IP address") from None
    return frozenset(proxies)


def cookie_prefix() -> str:
    """What this edition's cookies are named by (STATESYNC_COOKIE_PREFIX, else its role and data
    folder): browsers keep cookies by host, not port, so the demo's editions on one address
    with one cookie name signed each other's users out."""
    if prefix := os.environ.get("STATESYNC_COOKIE_PREFIX", "").strip():
        return prefix
    folder = hashlib.sha256(str(get_home()).encode()).hexdigest()[:8]
    return f"statesync_{get_role()}_{folder}"


def get_role() -> str:
    """Which edition this process serves: district, state, router, or both (every edition)."""
    role = os.environ.get("STATESYNC_ROLE", "both").strip().lower()
    if role not in ROLES:
        raise ConfigError(f"STATESYNC_ROLE={role!r} is not one of {', '.join(ROLES)}")
    return role


def connection_file() -> Path:
    return get_home() / "dis.json"


@dataclass(frozen=True)
class DisConnection:
    """Where the district's state edition is and the token it presents there."""

    state_url: str
    token: str

    @property
    def api_url(self) -> str:
        return self.state_url.rstrip("/") + "/api/state/v1"


def get_dis_connection() -> DisConnection | None:
    """The DIS connection, or None when DIS is not enabled (no state URL or token).

    The environment wins; otherwise `statesync dis configure` (or the demo) wrote dis.json.
    """
    url = os.environ.get("STATESYNC_STATE_URL", "")
    token = os.environ.get("STATESYNC_STATE_TOKEN", "")
    if not (url and token):
        try:
            saved = json.loads(connection_file().read_text())
        except (OSError, ValueError):
            saved = {}
        url = url or saved.get("state_url", "")
        token = token or saved.get("token", "")
    if not (url and token):
        return None
    return DisConnection(url, token)


def save_dis_connection(state_url: str, token: str) -> Path:
    """Write dis.json, readable by its owner only since it holds a secret."""
    path = connection_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps({"state_url": state_url, "token": token}, indent=2))
    return path
