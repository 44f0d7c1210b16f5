"""End to end in headless chromium: two suppliers seal their bids in the browser and submit
them; the deadline passes (by the server's real clock); the sweep closes submission and the
time vault releases its shares; the 采监科 custodian unwraps its shares in the hall and submits
them with its TOTP; the bids open and the opening record appears in both suppliers' halls
without a reload.

The server is the demo (`run_seed`) on its own instance, with the tables made from the models
(so this test does not wait for a migration) and the "opens in 30 minutes" demo tender moved
to open 75 seconds after the start.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from pdf_helpers import assert_readable
from tests_helpers import free_port, running_server

from core.config import ROOT

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
STARTUP_S = 60

SETUP = """
from datetime import timedelta
from core.app import create_app
from core import clock
app = create_app()
with app.app_context():
    from audit.service import ensure_head
    from core.db import db
    from core.demo import run_seed
    from tender.models import Project
    db.create_all(); ensure_head(); db.session.commit()
    run_seed()
    soon = min((p for p in Project.query.filter_by(status="bidding")), key=lambda p: p.deadline)
    soon.deadline = clock.now() + timedelta(seconds={seconds})
    db.session.commit()
    print("PROJECT", soon.id, soon.lots[0].id, soon.deadline.isoformat())
"""
OPEN_AFTER_S = 75


def _totp(username: str, steps_ahead: int = 0) -> str:
    """A code of the demo user for the current 30 s step (+ steps_ahead: the server accepts +1)."""
    import pyotp

    from accounts.demo import demo_totp_secret

    totp = pyotp.TOTP(demo_totp_secret(username))
    return totp.generate_otp(int(time.time()) // totp.interval + steps_ahead)


@pytest.fixture(scope="module")
def tender_server(live_server_env, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    instance = tmp_path_factory.mktemp("tender_server") / "instance"
    env = dict(live_server_env, BIAOYUN_INSTANCE_PATH=str(instance), FILE_STORE=str(instance / "files"),
               DATABASE_URL=f"sqlite:///{instance / 'biaoyun.sqlite'}",
               BIAOYUN_AUDIT_KEY_PATH=str(instance / "keys" / "audit_ed25519.pem"),
               BIAOYUN_BEACON_PORT=str(free_port()))
    done = subprocess.run([sys.executable, "-c", SETUP.replace("{seconds}", str(OPEN_AFTER_S))], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("PROJECT"))
    _, project_id, lot_id, deadline = line.split()
    with running_server(env, instance.parent / "server.log", STARTUP_S) as base_url:
        yield {"url": base_url, "env": env, "project": int(project_id), "lot": int(lot_id),
               "deadline": datetime.fromisoformat(deadline), "keys": instance / "demo-keys"}


def _sweep(server) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "tender", "sweep"], cwd=ROOT,
                          env=server["env"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _login(page, base: str, username: str, code: str | None = None) -> None:
    from accounts.demo import DEMO_PASSWORD

    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    if code:
        page.fill("input[name=code]", code)
        page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _seal_in_browser(page, server, tmp_path: Path, username: str, price: str) -> str:
    from tender.demo import DEMO_KEY_PASSPHRASE

    base = server["url"]
    page.goto(f"{base}/tender/{server['project']}/lots/{server['lot']}/bid")
    page.wait_for_selector("#seal-form .js-files")
    bid_file = tmp_path / f"{username}-技术响应.txt"
    bid_file.write_text(f"{username} 浏览器加密的投标文件\n" * 2000, encoding="utf-8")
    page.set_input_files("#seal-form .js-files", str(bid_file))
    page.set_input_files("#seal-form .js-keyfile", str(server["keys"] / f"{username}.key"))
    page.fill("#seal-form .js-passphrase", DEMO_KEY_PASSPHRASE)
    page.fill("#price", price)
    from decimal import Decimal

    from core.money import to_chinese_upper

    assert page.input_value("#price-words") == to_chinese_upper(int(Decimal(price) * 100))  # 大写 follows
    page.click("#item-add")  # one itemised line: 2 × half the price, its total computed on the page
    page.fill("#items-table .js-item .js-name", "交互式智能平板")
    page.fill("#items-table .js-item .js-quantity", "2")
    page.fill("#items-table .js-item .js-unit", str(Decimal(price) / 2))
    assert page.input_value("#items-table .js-item .js-total") == price
    assert "d-none" in page.get_attribute("#price-warnings", "class")  # nothing contradicts
    page.click("#seal-form .js-seal")
    # Issue 13 §4: the receipt stays on screen (its own page), in Beijing time, with a printable PDF.
    page.wait_for_selector("#receipt", timeout=60_000)
    shown = page.locator("#receipt-time").inner_text()
    assert "北京时间" in shown and "Z" not in shown and re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", shown)
    pdf = page.request.get(urljoin(page.url, page.locator("#receipt-pdf").get_attribute("href")))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert_readable(pdf.body(), "投标文件递交回执", "如何核验本回执", shown[:16])
    return page.locator("#receipt-ok").inner_text()


def test_two_suppliers_seal_in_browser_and_the_hall_shows_the_record(tender_server, _browser, tmp_path,
                                                                      browser_page, console_errors):
    server, base = tender_server, tender_server["url"]
    pages = {}
    for username, price in (("gys1", "641000.00"), ("gys2", "650000.50")):
        context = _browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
        _login(page, base, username)
        assert "已递交" in _seal_in_browser(page, server, tmp_path, username, price)
        page.goto(f"{base}/tender/{server['project']}/hall")
        page.wait_for_selector("#hall[data-status=bidding]")
        assert page.locator(".js-record-row").count() == 0
        assert "投标截止前不显示任何投标信息" in page.locator("#progress-area").inner_text()
        pages[username] = page

    wait = (server["deadline"] - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)  # the real server clock must pass the deadline
    assert '"closed": [' + str(server["project"]) + "]" in _sweep(server)

    keeper = browser_page
    _login(keeper, base, "caijian", _totp("caijian"))
    keeper.goto(f"{base}/tender/{server['project']}/hall")
    keeper.wait_for_selector("#custody-card:not(.d-none) .js-keyfile")
    from tender.demo import DEMO_KEY_PASSPHRASE

    keeper.set_input_files("#share-form .js-keyfile", str(server["keys"] / "caijian.key"))
    keeper.fill("#share-form .js-passphrase", DEMO_KEY_PASSPHRASE)
    keeper.click("#share-form .js-unwrap")
    keeper.wait_for_selector("#share-submit:not([disabled])")
    keeper.wait_for_selector("#share-form li:nth-child(3) .badge")  # (the page's CSP forbids eval-based waits)
    assert keeper.locator("#share-form .badge.text-bg-success").count() == 3
    keeper.fill("#share-totp", _totp("caijian", 1))  # a later step than the login's: a code is used once
    keeper.click("#share-submit")
    keeper.wait_for_selector("#share-count:has-text('已提交 3')")
    _sweep(server)  # no worker in this server: the sweep opens the bids that have k shares

    for username, page in pages.items():
        page.wait_for_selector("#hall[data-status=opened]", timeout=30_000)
        rows = page.locator(".js-record-row")
        assert rows.count() == 3, username
        text = page.locator("#record-table").inner_text()
        assert "641,000.00" in text and "650,000.50" in text, text
        assert "陆拾肆万壹仟元整" in text and text.count("分项报价 1 项") == 2, text  # the sealed breakdown
    assert console_errors == []
