"""Browser tests: a real server with the demo data, and headless chromium driven by Playwright.

Fixtures:
- `live_server_env` (session): the environment the server runs with (DATABASE_URL, …).
- `live_server` (session): base URL of `flask serve --no-worker` on a free port, with its own
  instance folder and SQLite database (migrated with `flask db upgrade`, seeded with
  `flask demo seed`), whatever DATABASE_URL says: the suite's database stays the suite's.
- `browser_page`: a fresh page (own cookies) in a shared headless chromium.
- `console_errors`: the console errors and uncaught exceptions of `browser_page` so far
  (a Content-Security-Policy violation is a console error).
- `server_now`: `server_now()` is the server's time, from an HTTP Date header.
- `demo_login`: `demo_login(username)` signs `browser_page` in as a demo user, with the password
  and, when the user has one, the TOTP code computed at the server's time.

Tests here are marked `browser` and skipped when /usr/bin/chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from tests_helpers import free_port, running_server

from core.config import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
STARTUP_S = 60
# Chromium asks every site for /favicon.ico, and the layout has no icon yet: that 404 is not the
# page's fault. Nothing else is ignored.
IGNORED_CONSOLE_URLS = ("/favicon.ico",)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)  # so `-m "not browser"` leaves all of them out


def _flask(env: dict, *args: str, timeout: float = 180) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        pytest.fail(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                    f"{done.stderr[-4000:]}")
    return done.stdout


@pytest.fixture(scope="session")
def live_server_env(tmp_path_factory) -> dict:
    """The environment of the demo server: its own instance folder, SQLite database and secret.

    With REDIS_URL set (CI's second run) the server also listens on Redis as its Socket.IO
    message queue (BIAOYUN_SOCKETIO_MESSAGE_QUEUE), so a test can send it a notice as a worker
    would; its Celery broker stays the embedded SQLite one.
    """
    instance = tmp_path_factory.mktemp("live_server") / "instance"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "FILE_STORE") and not k.startswith("BIAOYUN_")}
    env.update({"DATABASE_URL": f"sqlite:///{instance / 'biaoyun.sqlite'}",
                "SECRET_KEY": secrets.token_hex(32), "BIAOYUN_INSTANCE_PATH": str(instance),
                "FILE_STORE": str(instance / "files"),
                "BIAOYUN_AUDIT_KEY_PATH": str(instance / "keys" / "audit_ed25519.pem"),
                "FLASK_APP": "wsgi", "PYTHONUNBUFFERED": "1", "BIAOYUN_BEACON_PORT": str(free_port())})
    if os.environ.get("REDIS_URL"):
        env["BIAOYUN_SOCKETIO_MESSAGE_QUEUE"] = os.environ["REDIS_URL"]
    return env


@pytest.fixture(scope="session")
def live_server(live_server_env):
    """Base URL of a running demo server (embedded mode: SQLite, no worker)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    env = live_server_env
    tmp = Path(env["BIAOYUN_INSTANCE_PATH"]).parent
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "seed")
    with running_server(env, tmp / "server.log", STARTUP_S) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def _browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def _page_and_errors(_browser):
    context = _browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    # generous: a CI machine running the suite is busy, and a wait that times out says nothing about the page
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(msg) -> None:
        url = msg.location.get("url") or ""
        if msg.type == "error" and not url.endswith(IGNORED_CONSOLE_URLS):
            errors.append(f"console: {msg.text} ({url})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    try:
        yield page, errors
    finally:
        context.close()


@pytest.fixture
def browser_page(_page_and_errors):
    """A fresh Playwright page in headless chromium, with its own cookies."""
    return _page_and_errors[0]


@pytest.fixture
def console_errors(_page_and_errors) -> list[str]:
    """Console errors and uncaught exceptions of `browser_page` (CSP violations included)."""
    return _page_and_errors[1]


_TOTP_STEPS_USED: dict[str, int] = {}  # per demo user: the server refuses a time step used before


def server_time(page, base_url: str):
    """The server's clock, from the Date header of a cheap request (whole seconds)."""
    response = page.request.get(f"{base_url}/healthz")
    return parsedate_to_datetime(response.headers["date"])


def totp_for(page, base_url: str, username: str) -> str:
    """A TOTP code of the demo user that the server will accept: a step not used yet, ±1 of now."""
    import pyotp

    from accounts.demo import demo_totp_secret

    totp = pyotp.TOTP(demo_totp_secret(username))
    used = _TOTP_STEPS_USED.get(username, -1)
    while True:
        now_step = int(server_time(page, base_url).timestamp()) // totp.interval
        for step in (now_step, now_step + 1):
            if step > used:
                _TOTP_STEPS_USED[username] = step
                return totp.generate_otp(step)
        time.sleep(1)  # both usable steps spent by earlier logins of this user: wait for the clock


@pytest.fixture
def server_now(live_server, browser_page):
    """server_now() -> the server's current time (aware, whole seconds)."""
    return lambda: server_time(browser_page, live_server)


@pytest.fixture
def demo_login(live_server, browser_page):
    """demo_login(username) -> the page, signed in as that demo user, on the dashboard."""
    from accounts.demo import DEMO_PASSWORD

    def do(username: str):
        page = browser_page
        page.goto(f"{live_server}/login")
        page.fill("#username", username)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#login-form button[type=submit]")
        if "/login/totp" in page.url:
            page.fill("#code", totp_for(page, live_server, username))
            page.click("#totp-form button[type=submit]")
        page.wait_for_selector("#dashboard-title")
        # a user's language is kept on the account: an earlier test's English (the layout and English
        # tests switch to it after logging in) must not reach the next test, which reads Chinese
        page.goto(f"{live_server}/lang/zh_CN")
        page.goto(f"{live_server}/dashboard")
        page.wait_for_selector("#dashboard-title")
        return page

    return do
