"""End to end in headless chromium, as a visitor without an account: on the notice centre the visitor filters by
county and kind (苍南县's tender only; 泰顺县's result notices without it), searches a Chinese phrase, opens a
result notice of a closed project (its sections, no 登录后报名, its proof of publication) and follows its
抽取核验 link to the draw's public verification page, whose audit records the standalone verifier checks.

The server is the demo on its own instance with its clock frozen on a working day (a visitor's pages do not
need time to pass, and the demo's tenders are valid from that day).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urljoin

import pytest
from tests_helpers import running_server

from core.config import ROOT

CHROMIUM = "/usr/bin/chromium"
FROZEN_AT = "2026-12-03T02:00:00+00:00"


def _flask(env: dict, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def centre(live_server_env, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed")
    instance = tmp_path_factory.mktemp("notice_centre") / "instance"
    env = dict(live_server_env, BIAOYUN_INSTANCE_PATH=str(instance), FILE_STORE=str(instance / "files"),
               DATABASE_URL=f"sqlite:///{instance / 'biaoyun.sqlite'}",
               BIAOYUN_AUDIT_KEY_PATH=str(instance / "keys" / "audit_ed25519.pem"),
               BIAOYUN_CLOCK_FROZEN_AT=FROZEN_AT)
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "seed")
    with running_server(env, instance.parent / "server.log", 60) as base_url:
        yield base_url


def _titles(page) -> list[str]:
    return page.locator("#notice-list li a").all_inner_texts()


def test_a_visitor_filters_searches_opens_a_result_and_verifies_its_draw(centre, browser_page, console_errors,
                                                                         tmp_path):
    page = browser_page
    page.goto(f"{centre}/notices")
    page.select_option("#f-region", "330327")  # 苍南县
    page.select_option("#f-kind", "tender")
    page.click("#f-submit")
    page.wait_for_url("**region=330327**")
    assert _titles(page) == ["苍南县灵溪镇第一小学学生直饮水设备采购 采购公告"]

    page.select_option("#f-region", "330329")  # 泰顺县
    page.select_option("#f-kind", "result")
    page.click("#f-submit")
    page.wait_for_url("**region=330329**")
    results = _titles(page)
    # result notices of every method: tenders' 中标（成交）结果公告, the e-mall auction's 成交公告
    assert results and all("结果公告" in t or "成交公告" in t for t in results)
    assert any("中标（成交）结果公告" in t for t in results) and not any("苍南" in t for t in results)
    assert page.locator("#notice-feed").get_attribute("href") == "/notices/feeds/330329/result.atom"

    page.goto(f"{centre}/notices")
    page.fill("#f-q", "学生直饮水设备")
    page.click("#f-submit")
    page.wait_for_url("**q=**")
    found = _titles(page)
    assert "苍南县灵溪镇第一小学学生直饮水设备采购 采购公告" in found
    result_title = next(t for t in found if t.startswith("泰顺县教育局学生直饮水设备采购") and "结果公告" in t)
    assert not any("课桌椅" in t for t in found)

    page.click(f"#notice-list a:text-is('{result_title}')")
    page.wait_for_selector("#notice-sections")
    body = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
    assert "项目概况" in body and "公告期限" in body and "联系方式" in body
    assert page.locator("text=登录后报名").count() == 0  # a closed project's result: nothing to sign up for
    assert page.locator("#notice-proof a").count() == 1

    link = page.locator("#notice-links a").first
    label = link.inner_text()
    link.click()
    page.wait_for_selector("#verify-draws")
    assert "专家抽取核验" in page.inner_text("h1")
    audits = [urljoin(page.url, a.get_attribute("href")) for a in page.locator("#verify-draws a").all()]
    if not audits:  # a committee chosen without a draw: the notice's link says so rather than promise a check
        assert "自行选定" in label
    for n, url in enumerate(audits):
        response = page.request.get(url)
        assert response.ok
        path = tmp_path / f"draw-{n}.json"
        path.write_text(json.dumps(response.json()), encoding="utf-8")
        fingerprint = response.json()["verifier_key_fingerprint"]
        done = subprocess.run([sys.executable, "-m", "expert_draw.verifier", str(path), "--fingerprint", fingerprint],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "MATCH" in done.stdout, done.stdout + done.stderr
    assert console_errors == []
