"""Django settings, built from the environment (see core/config.py and docs/DESIGN.md §10)."""

from __future__ import annotations

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import dj_database_url

from statesync.core import config

HOME = config.get_home()
os.umask(config.PRIVATE_UMASK)  # databases, queue, mail and secrets: the owner's only
for _warning in config.prepare_home(HOME):
    print(f"statesync: tightened file modes: {_warning}", file=sys.stderr)
ROLE = config.get_role()
BASE_DIR = Path(__file__).resolve().parent


def _secret_key() -> str:
    """The key from the environment, or one made once and kept beside the data."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = HOME / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("STATESYNC_DEBUG", "") == "1"
ALLOWED_HOSTS = config.allowed_hosts()

# Proxies whose X-Forwarded-For names the client (README, Production): loopback by default
# behind TLS, where the terminator runs beside statesync; none over plain HTTP.
TRUSTED_PROXIES = config.trusted_proxies()

# Production runs behind a TLS terminator (README, Production) that sets X-Forwarded-Proto.
if config.https():
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Joining the browsers' HSTS preload list is the domain owner's decision, not the app's.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "huey.contrib.djhuey",
    "axes",
    "statesync.web",
    "statesync.access",
    "statesync.tools",
]
if ROLE in ("district", "both"):
    INSTALLED_APPS.append("statesync.district")
if ROLE in ("state", "both"):
    INSTALLED_APPS.append("statesync.state")
if ROLE in ("router", "both"):
    INSTALLED_APPS.append("statesync.router")

MIDDLEWARE = [
    "statesync.core.http.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "statesync.web.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "statesync.web.middleware.BrowserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "statesync.urls"
WSGI_APPLICATION = "statesync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "statesync.web.context.site",
            ]
        },
    }
]
if ROLE in ("district", "both"):
    _PROCESSORS: list[str] = TEMPLATES[0]["OPTIONS"]["context_processors"]  # type: ignore[index]
    _PROCESSORS.append("statesync.district.context.notifications")


def _sqlite(name: str, path: Path | None = None) -> dict:
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions take the
    # write lock up front so concurrent writers wait (timeout) instead of failing to upgrade.
    # synchronous=NORMAL is durable across process crashes in WAL mode (never OFF).
    return {
        "ENGINE": "statesync.core.db.sqlite3",
        "NAME": path or HOME / f"{name}.sqlite3",
        # Keep connections: reopening SQLite (and its PRAGMAs) per request cost ~10% of ingest.
        "CONN_MAX_AGE": 600,
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": HOME / f"test_{name}.sqlite3"},
    }


# Where each edition reads its database's address ("both" reads every one), and the name of
# its SQLite file when none is set.
DATABASE_URLS = {
    "district": "DATABASE_URL",
    "state": "STATE_DATABASE_URL",
    "router": "ROUTER_DATABASE_URL",
}
PAGE_COST = "1.1"  # random_page_cost of statesync's PostgreSQL sessions


def _database(edition: str) -> dict:
    url = os.environ.get(DATABASE_URLS[edition])
    if not url:
        return _sqlite(edition)
    if url.startswith("sqlite:///"):
        return _sqlite(edition, Path(url.removeprefix("sqlite:///")))
    db = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    options = cast(dict[str, Any], db.setdefault("OPTIONS", {}))
    # Every session costs random reads as reads of cached pages (PostgreSQL's own advice for
    # data in memory or on SSD). At the default (4, a spinning disk's) a batch's 2,000 key
    # probes, the resolver's and the district's sync-down look dearer than scanning a whole
    # copy: 30 ms where the probes take 2 to 12 (docs/PERFORMANCE.md).
    options["options"] = f"{options.get('options', '')} -c random_page_cost={PAGE_COST}".strip()
    return db


if ROLE == "both":
    DATABASES = {
        "default": _database("district"),
        "state": _database("state"),
        "router": _database("router"),
    }
    # A test database is made by running every app's migrations; the router's holds five tables,
    # and running the rest there as no-ops doubled each test worker's start. Its tables are made
    # from the models instead (its migrations run for real in `statesync migrate`, tested).
    DATABASES["router"].setdefault("TEST", {})["MIGRATE"] = False
else:
    DATABASES = {"default": _database(ROLE)}
DATABASE_ROUTERS = ["statesync.core.db.routers.StateRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Failed logins are counted per user and address (django-axes); after AXES_FAILURE_LIMIT of them
# that pair is locked out for STATESYNC_LOCKOUT_MINUTES. Both are audited (access.signals).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("STATESYNC_LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("STATESYNC_LOCKOUT_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The client's own address, also behind the TLS terminator (access.audit.client_address).
AXES_CLIENT_IP_CALLABLE = "statesync.access.audit.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
SESSION_COOKIE_NAME = f"{config.cookie_prefix()}_session"
CSRF_COOKIE_NAME = f"{config.cookie_prefix()}_csrf"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("STATESYNC_TIME_ZONE", "America/Chicago")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise straight from the package: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
STATESYNC_BASE_URL = os.environ.get("STATESYNC_BASE_URL", "http://127.0.0.1:8000")
# Error-log history (entries a later judgement superseded) kept this many days, and if set, only
# for the latest this-many runs; what the state rejects now is always kept.
ERRORLOG_KEEP_DAYS = int(os.environ.get("STATESYNC_ERRORLOG_KEEP_DAYS", 90))
ERRORLOG_KEEP_RUNS = int(os.environ.get("STATESYNC_ERRORLOG_KEEP_RUNS", 0)) or None
# The Message History (docs/MESSAGES.md): what was sent, byte for byte, is kept this many days;
# the messages' rows (times, results, records' IDs) this many.
SENT_KEEP_DAYS = int(os.environ.get("STATESYNC_SENT_KEEP_DAYS", 7))
MESSAGES_KEEP_DAYS = int(os.environ.get("STATESYNC_MESSAGES_KEEP_DAYS", 90))
# 0 leaves a resync run's batches out of the Message History (every other door is recorded);
# `statesync bench` runs a forced resync both ways to print what recording costs.
RECORD_RUN_MESSAGES = os.environ.get("STATESYNC_RECORD_RUN_MESSAGES", "1") != "0"

# Seconds of silence after which `statesync serve` closes a connection sending a request.
READ_TIMEOUT = int(os.environ.get("STATESYNC_READ_TIMEOUT", 30))
# A lease (a run's, a selective sync's, the outbox drain's) not beaten for this long belongs
# to a dead worker (district.models.locks).
STALE_AFTER = timedelta(seconds=float(os.environ.get("STATESYNC_STALE_AFTER", 30)))
# Seconds between a waiting run's looks at its district's lock (tests look more often).
WAIT_POLL = float(os.environ.get("STATESYNC_WAIT_POLL", 2))

# Seconds a finished run waits for the state's identity resolver to settle the records it sent
# (their state IDs then applied here) before it ends without them: they come with a later pull.
IDENTITY_WAIT = float(os.environ.get("STATESYNC_IDENTITY_WAIT", 120))

# How long a run waits out the state or its database being away before it fails (outages.py).
OUTAGE_SECONDS = float(os.environ.get("STATESYNC_OUTAGE_MINUTES", 60)) * 60

# Request bodies over these sizes are refused with 413 before they are read (web/whole_requests):
# an API call's (a batch), a signed-in page's (a pasted list of IDs), and anyone else's (a login).
API_MAX_BODY_BYTES = int(os.environ.get("STATESYNC_MAX_BODY_BYTES", 20 * 1024 * 1024))
PAGE_MAX_BODY_BYTES = 4 * 1024 * 1024
ANONYMOUS_MAX_BODY_BYTES = 64 * 1024
# One Ed-Fi record per request: the largest real one (a school with its addresses) is a few KB.
EDFI_MAX_BODY_BYTES = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

EMAIL_BACKEND = os.environ.get("STATESYNC_EMAIL_BACKEND", "statesync.web.mail.ConsoleBackend")
EMAIL_FILE_PATH = os.environ.get("STATESYNC_EMAIL_FILE_PATH", str(HOME / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("STATESYNC_FROM_EMAIL", "statesync@localhost")


def _huey() -> dict:
    url = os.environ.get("STATESYNC_QUEUE_URL", "")
    common = {"name": os.environ.get("STATESYNC_QUEUE_NAME", "statesync"), "immediate": False}
    if url.startswith("redis"):
        return {**common, "huey_class": "huey.RedisHuey", "url": url}
    path = (
        url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else HOME / "queue.sqlite3"
    )
    return {**common, "huey_class": "huey.SqliteHuey", "filename": str(path)}


HUEY = _huey()

# Every record says which request it belongs to; server errors (django.request) are logged
# with their traceback whatever DEBUG is, so the ID a 500 shows finds them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "statesync.core.http.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "loggers": {
        "statesync": {"handlers": ["console"], "level": "INFO", "filters": ["request_id"]},
        "huey": {"handlers": ["console"], "level": "INFO"},
        "django.request": {
            "handlers": ["console"],
            "level": "ERROR",
            "propagate": True,
            "filters": ["request_id"],
        },
    },
}

# Student Records Transfer (docs/TRANSFERS.md): a request not answered is reminded after this
# many days and expires (with any packet released for it) after this many.
TRANSFER_REMIND_DAYS = int(os.environ.get("STATESYNC_TRANSFER_REMIND_DAYS", 7))
TRANSFER_KEEP_DAYS = int(os.environ.get("STATESYNC_TRANSFER_KEEP_DAYS", 30))
# A document attached to a release: at most this many bytes (PDF, PNG or JPEG).
TRANSFER_MAX_FILE_BYTES = int(os.environ.get("STATESYNC_TRANSFER_MAX_FILE_BYTES", 3 * 1024 * 1024))
