"""Browser tests: Python Playwright driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import require

# Playwright's sync API keeps an event loop in this thread; the ORM calls made by the tests
# themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("STATESYNC_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    require(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, accept_downloads=True, timezone_id="America/Denver"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    yield page
    context.close()
    # A CSRF token in a URL ends up in access logs and browser history.
    leaked = [url for url in urls if "csrfmiddlewaretoken" in url]
    assert not leaked, f"CSRF token in {len(leaked)} URLs, e.g. {leaked[0]}"


def log_in(page, username: str, password: str = "pw") -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
