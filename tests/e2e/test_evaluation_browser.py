"""End to end in headless chromium: the demo's evaluation room in its scoring stage, with the chair
(zj05) and three experts (zj01, zj06, zj07) each in their own browser. Each expert scores in the
page and confirms with TOTP; the chair's page shows each submission live (no reload); the chair moves
the room to the summary and every expert's page follows by itself. Before that (the question closes with
the scoring stage) gys5 answers the chair's demo question, signed with its key file in the page. No
console error (CSP included).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def totp_for(page, base: str, username: str) -> str:
    """tests/e2e/conftest.py's helper (it remembers the steps every test of the session has used)."""
    here = next(m for m in list(sys.modules.values())
                if (getattr(m, "__file__", "") or "").endswith("e2e/conftest.py"))
    return here.totp_for(page, base, username)


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
    if "/login/totp" in page.url:
        page.fill("#code", totp_for(page, base, username))
        page.click("#totp-form button[type=submit]")
    page.wait_for_selector("#dashboard-title")
    return context, page, errors


def test_a_bidder_signs_its_answer_to_the_committee_in_the_browser(live_server, live_server_env, browser_page,
                                                                   console_errors):
    """gys5 answers the demo chair's question: the page signs the answer with its key file (line ends as
    typed), the server checks the signature against gys5's registered key and keeps it with the answer."""
    from accounts.demo import DEMO_PASSWORD
    from tender.demo import DEMO_KEY_PASSPHRASE

    base, page = live_server, browser_page
    instance = Path(live_server_env["BIAOYUN_INSTANCE_PATH"])
    page.goto(f"{base}/login")
    page.fill("#username", "gys5")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard-title")
    page.goto(f"{base}/evaluation/clarifications")
    page.wait_for_selector("#answer-key")
    answer = "温州市内设有 3 个服务网点，工程师 12 名。\n故障 2 小时内响应。"
    page.fill("form.js-signed-answer textarea[name=answer]", answer)
    page.click("form.js-signed-answer button[type=submit]")
    page.wait_for_selector("#answer-status:has-text('请先在上方选择签名密钥文件')")
    page.set_input_files("#answer-key-file", str(instance / "demo-keys" / "gys5.key"))
    page.fill("#answer-key-pass", DEMO_KEY_PASSPHRASE)
    page.click("form.js-signed-answer button[type=submit]")
    page.wait_for_selector("text=答复已提交评标委员会")
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        answer, signature, key_id = db.execute(
            "SELECT answer, answer_signature, answer_key_id FROM evaluation_clarification"
            " WHERE answer LIKE '温州市内设有%'").fetchone()
    assert answer.endswith("故障 2 小时内响应。") and "\r" not in answer and len(signature) == 86 and key_id
    assert console_errors == []


def test_three_experts_score_live_and_the_chair_moves_the_room_on(live_server, _browser):
    base = live_server
    chair_ctx, chair, chair_errors = _signed_in(_browser, base, "zj05")
    chair.goto(f"{base}/evaluation/")
    chair.click("text=全自动生化分析仪采购 >> xpath=ancestor::tr >> text=进入")
    room_url = chair.url
    chair.wait_for_selector("#room-conn:text-is('已连接')")  # (the page's CSP forbids eval-based waits)
    assert chair.inner_text("[data-stage=scoring] .js-done") == "2"
    experts = []
    try:
        for username in ("zj01", "zj06", "zj07"):
            ctx, page, errors = _signed_in(_browser, base, username)
            page.goto(room_url)
            page.wait_for_selector("#room-conn:text-is('已连接')")
            experts.append((username, ctx, page, errors))
        for done, (username, _ctx, page, _errors) in enumerate(experts, start=3):
            for field in page.query_selector_all("input[name^='s-']"):
                field.fill("30" if "-0" in (field.get_attribute("name") or "")[-2:] else "10")
            page.fill("input[name=totp]", totp_for(page, base, username))
            page.click("text=确认提交评分")
            page.wait_for_selector("text=评分已提交")
            # the chair's page, never reloaded, counts the new submission
            chair.wait_for_selector(f"[data-stage=scoring] .js-done:text-is('{done}')")
        chair.click("text=全部提交后：进入评审汇总")
        chair.wait_for_selector("#room-status:has-text('评审汇总')")
        for _username, _ctx, page, _errors in experts:  # each page follows the stage by itself
            page.wait_for_selector("#room-status:has-text('评审汇总')")
        assert chair_errors == [] and all(errors == [] for *_, errors in experts)
    finally:
        for _username, ctx, _page, _errors in experts:
            ctx.close()
        chair_ctx.close()
