"""Issue 13 in a real browser, as the people who use the platform every day: the key custodian's card and
reminder (§1)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.config import ROOT

pytestmark = pytest.mark.browser


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
    page.wait_for_selector("#notify-area[data-notify-state=connected]")

    out = _flask(live_server_env, "portal", "remind")  # what Celery beat runs every few minutes
    assert "reminders sent:" in out
    toast = page.locator(".toast", has_text="开标时提交密钥份额").first
    toast.wait_for()
    assert "还剩" in toast.inner_text() and "北京时间" in toast.inner_text()
    assert console_errors == []
