"""End to end in headless chromium (issue 21): a conflicted seat is refilled during a live evaluation.

The demo's 校园安防监控设备 tender has a committee confirmed and its evaluation under way. The agency
(daili) opens the room; zj08 declares a conflict in the room and leaves the committee; the agency asks
for the seat to be refilled from the room (a hand-picked seat has no reserve order, so the request is
short), then runs the supplementary draw on the request's page with the on-site supervisor's account,
TOTP and number; the drawn expert confirms from the invitation's page although the evaluation has started
(its own reply window); the agency seats it from the room, and the newcomer signs the declaration in the
room: the committee is whole again, five declared members, and the room waited for it. No console error.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PROJECT = "校园安防监控设备"


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
    page.goto(f"{base}/lang/zh_CN")  # the account's language, whatever an earlier test chose (conftest)
    page.goto(f"{base}/dashboard")
    page.wait_for_selector("#dashboard-title")
    return context, page, errors


def _query(instance: Path, sql: str, *args):
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        return db.execute(sql, args).fetchall()


def test_a_conflicted_seat_is_refilled_during_the_live_evaluation(live_server, live_server_env, _browser):
    base = live_server
    instance = Path(live_server_env["BIAOYUN_INSTANCE_PATH"])
    opened = []
    try:
        # the agency opens the room of the tender whose evaluation has begun
        agency, agent, agent_errors = _signed_in(_browser, base, "daili")
        opened.append(agency)
        agent.goto(f"{base}/evaluation/")
        row = agent.locator("tr", has_text=PROJECT).first
        row.locator("button[type=submit]", has_text="开启评审室").click()
        agent.wait_for_url(f"{base}/evaluation/*")
        room_url = agent.url.split("?")[0]
        committee_id = int(room_url.rstrip("/").rsplit("/", 1)[1])
        (request_id,) = _query(instance, "SELECT draw_request_id FROM evaluation_committee WHERE id = ?",
                               committee_id)[0]

        # zj08 declares a conflict in the room
        leaving, expert, expert_errors = _signed_in(_browser, base, "zj08")
        opened.append(leaving)
        expert.goto(room_url)
        conflict = expert.locator("form:has(input[name=conflict][value='1'])")
        conflict.locator("input[name=note]").fill("近三年曾在投标人处任职")
        conflict.locator("button[type=submit]").click()
        expert.wait_for_load_state()

        # the agency sees the seat empty and asks for it to be refilled
        agent.goto(room_url)
        agent.wait_for_selector("#member-list >> text=已回避")
        agent.locator("#member-list button[type=submit]", has_text="申请补抽").click()
        agent.wait_for_load_state()

        # a hand-picked seat has no reserve order: the supplementary draw, with the supervisor on site
        agent.goto(f"{base}/expert-draw/{request_id}")
        agent.locator("button[type=submit]", has_text="补充抽取：封存候选池").click()
        agent.wait_for_selector("input[name=supervisor_input]")
        agent.fill("input[name=supervisor_username]", "caijian")
        agent.fill("input[name=supervisor_code]", totp_for(agent, base, "caijian"))
        agent.fill("input[name=supervisor_input]", "20261204103015")
        agent.locator("button[type=submit]", has_text="抽取").first.click()
        agent.wait_for_selector("text=抽取完成")
        invited = _query(instance, "SELECT i.reply_code, u.username, i.deadline_at FROM expert_draw_invitation i"
                                   " JOIN registry_expert e ON e.id = i.expert_id"
                                   " JOIN user_account u ON u.id = e.user_id"
                                   " WHERE i.request_id = ? AND i.status = 'invited'", request_id)
        assert len(invited) == 1, invited
        code, newcomer_name, _deadline = invited[0]

        # the drawn expert confirms, although the evaluation has started: the seat has its own reply window
        joining, newcomer, newcomer_errors = _signed_in(_browser, base, newcomer_name)
        opened.append(joining)
        newcomer.goto(f"{base}/expert-draw/reply/{code}")
        newcomer.locator("button[type=submit]", has_text="确认参加").click()
        newcomer.wait_for_selector("text=您已确认参加评审")

        # the agency seats the confirmed expert; the newcomer declares in the room
        agent.goto(room_url)
        agent.locator("button[type=submit]", has_text="接入已确认的补抽专家").click()
        agent.wait_for_load_state()
        newcomer.goto(room_url)
        newcomer.locator("button[type=submit]", has_text="签署声明：无回避情形").click()
        newcomer.wait_for_selector("text=回避声明已签署")

        members = _query(instance, "SELECT status FROM evaluation_member WHERE committee_id = ?", committee_id)
        assert sorted(s for (s,) in members).count("conflict") == 1
        declared = [s for (s,) in members if s in ("seated", "declared")]
        assert len(declared) == 5, members
        agent.goto(room_url)
        assert agent.locator("#member-list li").count() == 6
        assert agent.locator("#member-list >> text=已回避").count() == 1
        (status,) = _query(instance, "SELECT status FROM expert_draw_request WHERE id = ?", request_id)[0]
        assert status == "complete"
        assert agent_errors == [] and expert_errors == [] and newcomer_errors == []
    finally:
        for context in opened:
            context.close()
