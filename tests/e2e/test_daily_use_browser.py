"""Issue 13 in a real browser, as the people who use the platform every day: the key custodian's card and
reminder (§1); the header clock and the next-deadline bar ticking from the server's time (§2)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
from pdf_helpers import assert_readable

from core.config import ROOT

pytestmark = pytest.mark.browser
BEIJING = ZoneInfo("Asia/Shanghai")


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_the_custodian_sees_his_card_and_is_reminded_with_the_time_left(live_server, live_server_env, demo_login,
                                                                        console_errors):
    """caijian (采监科) holds a share of the 2-of-2 opening that starts 30 minutes after the seed."""
    page = demo_login("caijian")
    needs = page.locator("#needs-you")
    assert "开标时提交密钥份额" in needs.inner_text()
    assert "还剩" in needs.locator(".by-time-left").first.inner_text()
    card = page.locator(".by-panel", has_text="密钥保管")
    assert card.count() == 1 and card.locator("a").count() >= 1
    page.wait_for_selector("#message-area[data-message-state=connected]")

    out = _flask(live_server_env, "portal", "remind")  # what Celery beat runs every few minutes
    assert "reminders sent:" in out
    toast = page.locator(".toast", has_text="开标时提交密钥份额").first
    toast.wait_for()
    assert "还剩" in toast.inner_text() and "北京时间" in toast.inner_text()
    assert console_errors == []


def _copy_open_question(database: str, due_in_s: int) -> int:
    """A second open question to gys5 (a copy of the demo's), due in a few seconds; returns its id."""
    with closing(sqlite3.connect(database)) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(evaluation_clarification)")]
        row = conn.execute("SELECT * FROM evaluation_clarification WHERE answered_at IS NULL "
                           "ORDER BY id LIMIT 1").fetchone()
        values = dict(zip(cols, row, strict=True))
        stored = values["due_at"]  # keep the column's own text format
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in stored else "%Y-%m-%d %H:%M:%S"
        due = datetime.now(UTC) + timedelta(seconds=due_in_s)
        values.update(id=None, question="请说明交货期（浏览器测试）", due_at=due.strftime(fmt))
        cur = conn.execute(f"INSERT INTO evaluation_clarification ({', '.join(cols)}) "
                           f"VALUES ({', '.join('?' for _ in cols)})", [values[c] for c in cols])
        conn.commit()
        return cur.lastrowid


def test_the_clock_ticks_and_the_bar_moves_to_the_next_deadline(live_server, live_server_env, demo_login,
                                                               server_now, console_errors):
    database = live_server_env["DATABASE_URL"].removeprefix("sqlite:///")
    extra = _copy_open_question(database, 25)
    try:
        page = demo_login("gys5")
        bar = page.locator("#deadline-bar")
        first_at = bar.get_attribute("data-at")
        assert abs(datetime.fromisoformat(first_at) - server_now()).total_seconds() < 30
        clock = page.locator("#server-clock .js-clock")
        before = clock.inner_text()
        page.wait_for_function("t => document.querySelector('#server-clock .js-clock').textContent !== t", arg=before)
        shown = datetime.strptime(clock.inner_text(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        assert abs((shown - server_now()).total_seconds()) <= 3  # Beijing time, from the server's clock
        assert "还剩 00:00:" in bar.locator(".js-deadline-left").inner_text()
        page.wait_for_function("at => document.querySelector('#deadline-bar').dataset.at !== at", arg=first_at,
                               timeout=60_000)
        assert datetime.fromisoformat(bar.get_attribute("data-at")) > datetime.fromisoformat(first_at)
        assert "还剩" in bar.locator(".js-deadline-left").inner_text()
        assert console_errors == []
    finally:
        with closing(sqlite3.connect(database)) as conn:
            conn.execute("DELETE FROM evaluation_clarification WHERE id = ?", (extra,))
            conn.commit()


def test_the_score_sheet_shows_the_rules_checks_as_typed_and_keeps_every_value(live_server, demo_login,
                                                                               console_errors):
    """zj01 in the demo's scoring room: 评分细则 from the tender document, a range error named in the page,
    and after a server error (a wrong dynamic code) and a reload every typed value is still there. Nothing
    is submitted: the evaluation browser test scores with zj01 afterwards."""
    page = demo_login("zj01")
    page.goto(f"{live_server}/evaluation/")
    page.click("text=全自动生化分析仪采购 >> xpath=ancestor::tr >> text=进入")
    rules = page.locator("#score-rules")
    assert "评分细则" in rules.inner_text() and "技术参数" in rules.inner_text() and "（0–30 分）" in rules.inner_text()
    boxes = page.locator("#score-sheet input.js-score")
    count = boxes.count()
    assert count >= 4
    for i in range(count):
        boxes.nth(i).fill("9")
    technical = page.locator("#score-sheet input.js-score[data-criterion='技术']").first
    technical.fill("60")  # 技术 is 0–55
    bidder = technical.get_attribute("data-bidder")
    feedback = technical.locator("xpath=following-sibling::div[contains(@class,'invalid-feedback')]")
    assert bidder in feedback.inner_text() and "技术" in feedback.inner_text() and "0–55" in feedback.inner_text()
    page.fill("input[name=totp]", "000000")
    page.click("text=确认提交评分")  # refused in the page: nothing is sent
    assert "/act/" not in page.url and technical.evaluate("e => !e.validity.valid")
    technical.fill("50")
    page.click("text=确认提交评分")  # sent, and refused by the server for the wrong dynamic code
    page.wait_for_selector(".alert-danger")
    page.reload()
    values = [boxes.nth(i).input_value() for i in range(count)]
    assert values.count("50") == 1 and values.count("9") == count - 1  # nothing lost
    assert "已恢复" in page.inner_text("#score-draft-state")
    assert console_errors == []


def test_terminating_a_project_asks_what_will_happen_and_why(live_server, demo_login, console_errors):
    """§5: 终止项目 opens a dialog saying what follows; Cancel sends nothing; a reason is required."""
    page = demo_login("daili")
    page.goto(f"{live_server}/tender/")
    page.click("text=环卫保洁服务采购")
    project_url = page.url
    page.click("button:has-text('终止项目')")
    dialog = page.locator("#confirm-dialog")
    dialog.wait_for(state="visible")
    assert "终止项目" in dialog.inner_text() and "不再接受投标" in dialog.inner_text()
    dialog.locator(".js-confirm-cancel").click()
    assert not dialog.is_visible() and page.url == project_url
    page.reload()
    assert page.locator("button:has-text('终止项目')").count() == 1  # nothing was sent

    page.click("button:has-text('终止项目')")
    dialog.locator(".js-confirm-ok").click()  # no reason yet
    assert "请填写理由" in dialog.locator(".js-confirm-error").inner_text() and dialog.is_visible()
    dialog.locator("textarea").fill("采购需求发生重大变化（浏览器测试）")
    dialog.locator(".js-confirm-ok").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("button:has-text('终止项目')").count() == 0
    assert console_errors == []


def test_the_receipt_stays_on_screen_in_beijing_time_with_a_pdf(live_server, demo_login, console_errors):
    """§4: gys1's sealed bid on the demo's open tender: 回执 opens a page (not raw JSON) in Beijing time, and
    its PDF holds the Chinese text, the server time and the verification steps."""
    page = demo_login("gys1")
    page.goto(f"{live_server}/tender/")
    page.click("text=多媒体教学设备采购")
    page.click("a:has-text('回执')")
    page.wait_for_selector("#receipt")
    shown = page.locator("#receipt-time").inner_text()
    assert "北京时间" in shown and "Z" not in shown
    assert len(page.locator("#receipt-file-digest").inner_text()) == 64
    pdf = page.request.get(urljoin(page.url, page.locator("#receipt-pdf").get_attribute("href")))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    assert_readable(pdf.body(), "投标文件递交回执", "多媒体教学设备采购", "北京时间", shown[:16], "如何核验本回执")
    assert console_errors == []
