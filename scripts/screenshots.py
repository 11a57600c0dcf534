"""Screenshots of each tool at `seed` scale for docs/: .venv/bin/python scripts/screenshots.py

Starts `statesync demo --scale seed` in a scratch folder, drives the tools in Debian's Chromium
as the demo's admin, and saves PNGs in docs/screenshots/; then the state's own-data pages from
`statesync demo --districts 2`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PORT = 8077
BASE = f"http://127.0.0.1:{PORT}"


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="statesync-shots-"))
    env = {**os.environ, "STATESYNC_HOME": str(home)}
    log = open(home / "demo.log", "w+")  # noqa: SIM115
    demo = subprocess.Popen(
        [sys.executable, "-m", "statesync", "demo", "--scale", "seed", "--port", str(PORT)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        password = wait_for_password(home / "demo.log")
        wait_for_server()
        shoot(password)
    finally:
        demo.terminate()
        demo.wait(30)
        shutil.rmtree(home, ignore_errors=True)
    shoot_districts()


def shoot_districts() -> None:
    """The state's own-data pages, Student Records Transfer and the National Records Exchange,
    from `statesync demo --districts 2 --router` once both districts resynced, 0002 asked for a
    mover's records and the other state's district asked 0001 for a student's."""
    home = Path(tempfile.mkdtemp(prefix="statesync-shots-"))
    env = {**os.environ, "STATESYNC_HOME": str(home)}
    log = open(home / "demo.log", "w+")  # noqa: SIM115
    argv = [sys.executable, "-m", "statesync", "demo", "--districts", "2", "--router"]
    argv += ["--port", str(PORT)]
    demo = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        password = wait_for_password(home / "demo.log")  # the state's admin comes first
        wait_for_server()
        for _ in range(600):  # the demo resyncs both districts, then 0002 asks for records
            said = (home / "demo.log").read_text()
            if "waits in district 0001's inbox (its page" in said and "registered;" in said:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("the demo's records request: " + (home / "demo.log").read_text())
        passwords = re.findall(r"admin\s+password: (\S+)", (home / "demo.log").read_text())
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = new_page(browser)
            page.goto(BASE + "/login/")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", password)
            page.click("button[type=submit]")
            page.goto(BASE + "/state/matching/")
            snap(page, "person-matching")
            page.goto(BASE + "/state/field-settings/")
            snap(page, "field-settings", whole=False)
            page.goto(BASE + "/state/districts/0002/")
            page.locator("#set-value").scroll_into_view_if_needed()
            snap(page, "state-owned-value", whole=False)
            page.goto(BASE + "/state/districts/0001/messages/")
            snap(page, "state-messages")
            shoot_exchange(browser, passwords)
            shoot_transfers(browser, passwords)
            page.goto(BASE + "/state/transfers/")
            snap(page, "state-transfers")
            browser.close()
    finally:
        demo.terminate()
        demo.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def shoot_exchange(browser, passwords: list[str]) -> None:
    """0001's National Records Exchange page with a locator search; the router's registry."""
    one, router = (f"http://127.0.0.1:{PORT + k}" for k in (1, 5))
    page = new_page(browser)
    log_in(page, one, passwords[1])
    page.goto(one + "/district/exchange/?q=WI")
    snap(page, "exchange")
    log_in(page, router, passwords[-1])
    page.goto(router + "/router/")
    snap(page, "router")
    page.close()


def shoot_transfers(browser, passwords: list[str]) -> None:
    """0001's inbox and the request's page, released; then 0002's page of what came."""
    one, two = (f"http://127.0.0.1:{PORT + k}" for k in (1, 2))
    page = new_page(browser)
    log_in(page, one, passwords[1])
    page.goto(one + "/district/transfers/")
    snap(page, "transfers")
    page.locator("table.inbox a").filter(has_not_text="N").first.click()  # the state's request
    snap(page, "transfer-inbox")
    page.click("button[value=release]")
    log_in(page, two, passwords[2])
    page.goto(two + "/district/transfers/")
    page.locator("table.asked a").filter(has_not_text="N").first.click()
    snap(page, "transfer-receive")
    page.close()


def new_page(browser):
    return browser.new_page(viewport={"width": 1280, "height": 900})


def snap(page, name: str, whole: bool = True) -> None:
    """The page (`whole`: all of it, not only the window), as docs/screenshots/<name>.png."""
    page.screenshot(path=OUT / f"{name}.png", full_page=whole)


def log_in(page, base: str, password: str) -> None:
    page.goto(base + "/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def wait_for_password(path: Path) -> str:
    for _ in range(240):
        found = re.search(r"admin\s+password: (\S+)", path.read_text())
        if found:
            return found.group(1)
        time.sleep(0.5)
    raise RuntimeError("the demo did not start: " + path.read_text()[-2000:])


def wait_for_server() -> None:
    for _ in range(120):
        try:
            httpx.get(BASE + "/login/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.5)
    raise RuntimeError("the demo's web server did not answer")


def shoot(password: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        page = new_page(browser)
        page.set_default_timeout(120_000)
        page.goto(BASE + "/login/")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        snap(page, "home")

        page.goto(BASE + "/district/batch/")
        page.check("#tick-all")
        page.wait_for_timeout(800)
        page.click("button:has-text('Run')")
        page.wait_for_selector("#light-Enrollment .light.blue")
        page.wait_for_timeout(2500)
        snap(page, "batch-running")
        page.wait_for_selector("#light-Day .light.amber", timeout=300_000)
        page.wait_for_timeout(2500)
        snap(page, "batch")

        page.goto(BASE + "/district/errors/")  # what the state rejects now, causes first
        snap(page, "error-log", whole=False)
        page.goto(BASE + "/district/runs/1/")
        snap(page, "run")

        page.goto(BASE + "/district/batch/")  # a verify run: drift apart from rejections
        page.check("#tick-all")
        page.check("input[name=mode][value=verify]")
        page.wait_for_timeout(800)
        page.click("button:has-text('Run')")
        page.wait_for_selector("#run-queue:not(:has(table))", state="attached", timeout=300_000)
        page.goto(BASE + "/district/runs/2/")
        snap(page, "verify", whole=False)

        page.goto(BASE + "/district/years/verification/?year=2024")
        snap(page, "verification")
        page.goto(BASE + "/district/batch/?year=2023")  # the previous year, still open
        snap(page, "batch-years", whole=False)
        page.goto(BASE + "/district/years/rollover/")  # refused: the year's resync has errors
        page.click("button:has-text('Roll over to')")
        page.wait_for_selector("#refused")
        snap(page, "year-rollover")
        page.goto(BASE + "/state/years/")
        snap(page, "year-status")
        page.goto(BASE + "/state/verification/?year=2024")
        snap(page, "state-verification")

        page.goto(BASE + "/district/selective/")
        page.check("input[name=object][value=Enrollment]")
        page.fill("#id_ids", "12, 13\n14 abc 15,,999999999 -3")
        page.click("button:has-text('Sync')")
        page.wait_for_selector("section.result")
        snap(page, "selective-sync")

        page.goto(BASE + "/district/messages/")  # the resyncs' batches, the selective sync's
        snap(page, "message-history")
        page.goto(BASE + "/district/data-tool/?object=School&id=3")
        snap(page, "data-tool")
        page.goto(BASE + "/state/districts/0001/record-deleter/")
        page.select_option("select[name=object]", "Calendar")
        page.fill("textarea[name=ids]", "5, 6 999999")
        page.click("button:has-text('Show what would go')")
        page.wait_for_selector("table.summary")
        snap(page, "record-deleter")

        page.goto(BASE + "/district/notifications/")
        snap(page, "notifications", whole=False)
        page.goto(BASE + "/state/districts/")
        snap(page, "state-districts", whole=False)
        page.goto(BASE + "/state/districts/0001/")
        snap(page, "state-district", whole=False)
        page.goto(BASE + "/rights/?group=1")
        snap(page, "tool-rights", whole=False)
        page.goto(BASE + "/audit/")
        snap(page, "audit-log", whole=False)
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
