"""In a real browser, a demo agency user signs in with password and TOTP and sees the dashboard,
with no console error (the strict Content-Security-Policy reports violations there)."""

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pyotp
import pytest

from accounts.demo import DEMO_PASSWORD, demo_totp_secret

pytestmark = pytest.mark.browser


def test_agency_user_logs_in_with_password_and_totp(live_server, browser_page, console_errors, server_now):
    page = browser_page
    page.goto(f"{live_server}/dashboard")
    assert "/login" in page.url  # default deny: the dashboard sends a visitor to the login page

    page.fill("#username", "zhongxin")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#totp-form")
    assert page.url.endswith("/login/totp")

    code = pyotp.TOTP(demo_totp_secret("zhongxin")).at(server_now())
    page.fill("#code", code)
    page.click("#totp-form button[type=submit]")

    title = page.wait_for_selector("#dashboard-title")
    assert "交易中心 王经办" in title.inner_text()
    assert page.url.endswith("/dashboard")
    # the real-time notice channel (static/js/messages.js) connects through the CSP
    page.wait_for_selector("#message-area[data-message-state=connected]")
    assert console_errors == []


def test_wrong_totp_code_keeps_the_user_out(live_server, browser_page, console_errors):
    page = browser_page
    page.goto(f"{live_server}/login")
    page.fill("#username", "daili")
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#totp-form")
    page.fill("#code", "000000" if pyotp.TOTP(demo_totp_secret("daili")).now() != "000000" else "111111")
    page.click("#totp-form button[type=submit]")
    page.wait_for_selector(".alert-danger")
    assert page.locator("#dashboard-title").count() == 0
    assert "#message-area" not in page.content()


def test_demo_login_fixture_signs_in_a_supervisor(demo_login, console_errors):
    page = demo_login("caijian")
    assert "采监科 陈科长" in page.inner_text("#dashboard-title")
    assert console_errors == []


def test_a_notice_shows_as_a_toast_once(live_server, live_server_env, demo_login, console_errors):
    """A notice published on the message queue, as a Celery worker does, appears on the page."""
    from flask_socketio import SocketIO

    from core import socketio_queue
    from core.messages import EVENT, NAMESPACE, build_message, external_emitter, user_room

    queue = live_server_env.get("BIAOYUN_SOCKETIO_MESSAGE_QUEUE")

    page = demo_login("guikou")  # finance reviewer, no TOTP
    page.wait_for_selector("#message-area[data-message-state=connected]")
    database = live_server_env["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(database)) as conn:
        [(user_id,)] = conn.execute("SELECT id FROM user_account WHERE username = 'guikou'").fetchall()

    if queue:  # Redis, as in CI's second run
        emitter = external_emitter(queue)
    else:  # the embedded default: the queue folder under the server's instance path
        folder = str(Path(live_server_env["BIAOYUN_INSTANCE_PATH"]) / "socketio-queue")
        config = {"SOCKETIO_MESSAGE_QUEUE": socketio_queue.EMBEDDED_URL, "SOCKETIO_QUEUE_FOLDER": folder}
        emitter = SocketIO(message_queue=socketio_queue.EMBEDDED_URL,
                           client_manager=socketio_queue.client_manager(config, write_only=True))
    first = build_message({"id": f"e2e-{uuid.uuid4().hex}", "title": "投标文件已接收",
                          "body": "<b>回执</b> 已生成", "level": "success", "url": "/dashboard"})
    second = build_message({"id": f"e2e-{uuid.uuid4().hex}", "title": "开标即将开始"})
    for notice in (first, first, second):  # a re-delivered task repeats its id
        emitter.emit(EVENT, notice, to=[user_room(user_id)], namespace=NAMESPACE)
    page.wait_for_selector(f'[data-message-id="{second["id"]}"]')

    toast = page.locator(f'[data-message-id="{first["id"]}"]')
    assert toast.count() == 1
    assert "投标文件已接收" in toast.inner_text()
    assert "<b>回执</b> 已生成" in toast.inner_text()  # text, never HTML
    assert toast.locator("a").get_attribute("href") == "/dashboard"
    toast.locator(".btn-close").click()
    assert page.locator(f'[data-message-id="{first["id"]}"]').count() == 0
    assert console_errors == []
