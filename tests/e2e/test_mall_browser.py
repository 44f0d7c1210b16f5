"""End to end in headless chromium on the demo: a purchaser finds desktops by Chinese words, compares three
listings, orders the cheapest from the comparison, its supplier confirms and dispatches, the purchaser
receives, accepts and rates; the over-priced printer is shown frozen with its reason. No console error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def _logout(page, base):
    page.context.clear_cookies()
    page.goto(f"{base}/login")


def test_find_compare_order_confirm_accept_rate(live_server, live_server_env, demo_login, browser_page,
                                                console_errors):
    base = live_server
    page = demo_login("caigou1")
    page.goto(f"{base}/mall/")
    page.fill("#mall-search input[name=q]", "台式计算机")
    page.click("#mall-search button[type=submit]")
    rows = page.locator("#listing-hits tbody tr[data-listing]")
    assert rows.count() >= 3
    for n in range(3):
        rows.nth(n).locator("input[name=ids]").check()
    page.click("#compare-button")
    page.wait_for_selector("#compare-table")
    assert page.locator("#compare-table thead th").count() == 4  # three listings and the labels
    page.locator("#compare-table form").first.locator("button").click()
    page.wait_for_selector("#cart")
    page.fill("#place-order input[name=delivery_address]", "泰顺县罗阳镇新城大道 1 号 教育局")
    page.click("#place-order button[type=submit]")
    page.wait_for_selector("#order-status:has-text('待供应商确认')")
    order_url = page.url
    instance = Path(live_server_env["BIAOYUN_INSTANCE_PATH"])
    order_id = int(order_url.rstrip("/").split("/")[-1])
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        (seller,) = db.execute("SELECT u.username FROM mall_order o JOIN user_account u ON u.org_id = "
                               "o.supplier_org_id WHERE o.id = ? ORDER BY u.id LIMIT 1", (order_id,)).fetchone()
    _logout(page, base)
    page = demo_login(seller)
    page.goto(order_url)
    page.click("button[data-action=confirm]")
    page.wait_for_selector("#order-status:has-text('已确认')")
    page.click("button[data-action=dispatch]")
    page.wait_for_selector("#order-status:has-text('已发货')")
    _logout(page, base)
    page = demo_login("caigou1")
    page.goto(order_url)
    page.click("button[data-action=receive]")
    page.wait_for_selector("#accept-form")
    page.select_option("#accept-form select[name=rating]", "4")
    page.fill("#accept-form input[name=rating_note]", "送货及时")
    page.click("#accept-form button[data-action=accept]")
    page.wait_for_selector("#order-status:has-text('已验收')")
    assert "登记付款" in page.content()
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        status, rating = db.execute("SELECT status, rating FROM mall_order WHERE id = ?", (order_id,)).fetchone()
        (frozen_id,) = db.execute("SELECT id FROM mall_listing WHERE status = 'frozen'").fetchone()
    assert (status, rating) == ("accepted", 4)
    page.goto(f"{base}/mall/listings/{frozen_id}")
    assert "已冻结" in page.inner_text("#listing-status")
    assert "惠普官方商城" in page.inner_text("#frozen-reason")
    assert console_errors == []
