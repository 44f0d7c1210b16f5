"""End to end in headless chromium: a reverse auction on the demo server with three suppliers (gys1, gys2,
gys4) bidding live, each in its own browser, and the purchaser (caigou1) watching. Each valid bid reaches
every page without a reload (the /auction room pushes it); a bid inside the limit window moves the end
on every page; a bid that is not a multiple of the decrement is refused with its reason. The server then
closes the auction (the chronograph's step, run here with the platform clock at the end, as the worker's
sweep does — the test server has no worker), the winner confirms in its page and the order follows; the
log downloads and `mall.verifier` verifies it. No console error (CSP included).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from core.config import ROOT

pytestmark = pytest.mark.browser

SETUP = """
from datetime import timedelta
from core.app import create_app
from core import clock
from core.db import db
from region_rules import store
app = create_app()
with app.app_context():
    from accounts.models import User
    from mall import auction
    from mall.models import Listing
    buyer = db.session.query(User).filter_by(username="caigou1").one()
    # a window longer than the auction: every valid bid is a late one and restarts it
    store.set_values(None, buyer.org.region_code, {"mall.auction_window_seconds": 1200}, reason="e2e")
    def sold(name):
        org = db.session.query(User).filter_by(username=name).one().org_id
        return {row.product_id for row in db.session.query(Listing).filter_by(supplier_org_id=org, status="live")}
    product = min(sold("gys1") & sold("gys2") & sold("gys4"))
    made = auction.publish_auction(buyer, auction.AuctionData(product, 3, 6_000_00, 10_00, clock.now(), 10,
                                   "泰顺县罗阳镇新城大道 1 号", "浏览器测试竞价"))
    db.session.commit()
    print(made.id)
"""

CLOSE = """
import sys
from datetime import timedelta
from core.app import create_app
from core import chronograph, clock
from core.db import db
app = create_app()
with app.app_context():
    from mall.auction import get_auction
    a = get_auction(int(sys.argv[1]))
    with clock.clock.frozen(a.ends_at + timedelta(seconds=1)):
        print(chronograph.run_sweep("mall-auction-sweep"))
"""


def _python(env: dict, code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _signed_in(browser, base: str, username: str):
    from accounts.demo import DEMO_PASSWORD

    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
            and not (msg.location.get("url") or "").endswith("/favicon.ico") else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard-title")
    return context, page, errors


def _bid(page, amount: str) -> None:
    page.fill("#bid-amount", amount)
    page.click("#bid-btn")


def test_three_suppliers_bid_live_and_the_winner_confirms(live_server, live_server_env, _browser, tmp_path):
    from playwright.sync_api import expect

    from mall import verifier

    auction_id = int(_python(live_server_env, SETUP))
    url = f"{live_server}/mall/auctions/{auction_id}"
    people = {name: _signed_in(_browser, live_server, name) for name in ("gys1", "gys2", "gys4", "caigou1")}
    try:
        for _context, page, _errors in people.values():
            page.goto(url)
            expect(page.locator("#auction-conn")).to_have_text("实时连接")
        pages = {name: page for name, (_c, page, _e) in people.items()}
        ends_before = pages["caigou1"].text_content("#ends-at")
        _bid(pages["gys1"], "5990")
        for page in pages.values():
            expect(page.locator("#lowest")).to_have_text("5,990.00")
        _bid(pages["gys2"], "5985")  # not a multiple of the 10-yuan decrement
        expect(pages["gys2"].locator("#auction-error")).to_contain_text("整数倍")
        _bid(pages["gys2"], "5970")
        _bid(pages["gys4"], "5960")
        for page in pages.values():
            expect(page.locator("#lowest")).to_have_text("5,960.00")
            expect(page.locator("#bid-count")).to_have_text("3")
        pages["caigou1"].wait_for_selector("#auction-extended:not(.d-none)")
        assert pages["caigou1"].text_content("#ends-at") != ends_before  # the late bids moved the end
        expect(pages["gys4"].locator("#my-rank")).to_contain_text("第 1 名")
        assert "第 3 名" in pages["gys1"].text_content("#my-rank")
        for name in ("gys1", "gys2", "gys4"):  # no bidder page names a competitor
            assert "公司" not in pages[name].text_content("#ranking")

        assert "closed" in _python(live_server_env, CLOSE, str(auction_id))
        winner = pages["gys4"]
        winner.goto(url)
        winner.wait_for_selector("#confirm-form:not(.d-none)")
        winner.click("#confirm-btn")
        winner.wait_for_url("**/mall/orders/*")
        pages["caigou1"].goto(url)
        expect(pages["caigou1"].locator("#auction-status")).to_have_text("已成交")
        response = pages["caigou1"].request.get(f"{url}/log.json")
        assert response.ok
        path = tmp_path / "log.json"
        path.write_bytes(response.body())
        result = verifier.verify(json.loads(path.read_text(encoding="utf-8")))
        assert result["winner"] == "B03" and result["refused"] == 1 and len(result["extensions"]) == 3
        for name, (_c, _p, errors) in people.items():
            assert errors == [], (name, errors)
    finally:
        for context, _p, _e in people.values():
            context.close()
