"""End to end in headless chromium: signatures made in the browser with the demo key files (WebCrypto;
the key never leaves the page). The winning supplier signs the demo contract the purchaser signed at the
seed: it concludes, the page shows it signed and the public notice list has the contract notice. A bidder
signs its answer to the committee's question. The server keeps signatures that verify; no console error
(CSP included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

WINNER = """
SELECT c.id, u.username FROM evaluation_contract c
JOIN evaluation_award a ON a.id = c.award_id
JOIN evaluation_candidate ca ON ca.id = a.candidate_id
JOIN tender_bid b ON b.id = ca.bid_id
JOIN user_account u ON u.org_id = b.org_id AND u.username LIKE 'gys%'
WHERE c.status = 'signing'
"""


def test_the_winner_signs_the_contract_in_the_browser(live_server, live_server_env, browser_page, console_errors):
    from accounts.demo import DEMO_PASSWORD
    from tender.demo import DEMO_KEY_PASSPHRASE

    base, page = live_server, browser_page
    instance = Path(live_server_env["BIAOYUN_INSTANCE_PATH"])
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        contract_id, username = db.execute(WINNER).fetchone()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#dashboard-title")
    assert "合同签订" in page.content()  # the dashboard panel lists the contract to sign
    page.goto(f"{base}/contracts/{contract_id}")
    page.wait_for_selector("#contract-sign")
    page.set_input_files("#sign-key", str(instance / "demo-keys" / f"{username}.key"))
    page.fill("#sign-pass", DEMO_KEY_PASSPHRASE + "x")
    page.click("#sign-button")
    page.wait_for_selector("#sign-status:has-text('口令不正确')")
    page.fill("#sign-pass", DEMO_KEY_PASSPHRASE)
    page.click("#sign-button")
    page.wait_for_selector("#sign-status:has-text('签署完成')")
    page.wait_for_selector("text=已签订并公告", timeout=20_000)  # the page reloads by itself
    page.goto(f"{base}/notices")
    assert "合同公告" in page.content()
    with sqlite3.connect(instance / "biaoyun.sqlite") as db:
        status, = db.execute("SELECT status FROM evaluation_contract WHERE id = ?", (contract_id,)).fetchone()
        parties = {row[0] for row in db.execute(
            "SELECT party FROM evaluation_contract_signature WHERE contract_id = ?", (contract_id,))}
    assert status == "signed" and parties == {"purchaser", "supplier"}
    assert console_errors == []


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
