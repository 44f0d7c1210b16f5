"""End to end in headless chromium: the supervisor (caijian) opens the dashboard, sees the demo's contract
that is past its days to sign, opens 网上监管 and suspends its procurement with a reason in the confirmation
dialog; the page lists it as suspended and the public notice list has its 中止公告. No console error (CSP
included)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TITLE = "泰顺县文化馆舞台灯光音响设备采购"


def test_the_supervisor_sees_an_overdue_contract_and_suspends_it(live_server, demo_login, console_errors):
    page = demo_login("caijian")
    card = page.locator(".by-panel", has_text="逾期事项")
    assert TITLE in card.inner_text()
    card.locator("a", has_text="进入网上监管").click()
    page.wait_for_selector("#supervision-title")
    row = page.locator("tr.by-overdue", has_text=TITLE).filter(has_text="合同逾期未签订")
    row.locator("button", has_text="暂停").click()
    page.wait_for_selector("#confirm-dialog[open]")
    page.click("#confirm-dialog .js-confirm-ok")  # no reason yet: refused in the dialog
    page.wait_for_selector("#confirm-dialog .js-confirm-error:has-text('请填写理由')")
    page.fill("#confirm-dialog-reason", "合同逾期未签订，核查中标人履约能力")
    page.click("#confirm-dialog .js-confirm-ok")
    page.wait_for_selector("text=已暂停该采购活动")
    held = page.locator(".by-suspension", has_text=TITLE)
    assert "核查中标人履约能力" in held.inner_text()
    assert "已暂停" in page.locator("tr.by-overdue", has_text=TITLE).first.inner_text()
    page.goto(f"{live_server}/notices")
    assert "中止公告" in page.content()
    assert console_errors == []
