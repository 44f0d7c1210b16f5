"""End to end in headless chromium: the demo's contract, signed by the purchaser at the seed, is signed by
the winning supplier in the browser with its demo key file (WebCrypto; the key never leaves the page). The
contract concludes: the page shows it signed, the public notice list has the contract notice, and the
server's record holds both signatures. No console error (CSP included)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

WINNER = """
SELECT c.id, u.username FROM contract c
JOIN evaluation_award a ON a.id = c.source_id
JOIN evaluation_candidate ca ON ca.id = a.candidate_id
JOIN tender_bid b ON b.id = ca.bid_id
JOIN user_account u ON u.org_id = b.org_id AND u.username LIKE 'gys%'
WHERE c.status = 'signing'
ORDER BY c.id DESC
"""  # the newest: the 课桌椅 contract (the older 舞台灯光 one has let its days to sign run out)


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
        status, = db.execute("SELECT status FROM contract WHERE id = ?", (contract_id,)).fetchone()
        parties = {row[0] for row in db.execute(
            "SELECT party FROM contract_signature WHERE contract_id = ?", (contract_id,))}
    assert status == "signed" and parties == {"purchaser", "supplier"}
    assert console_errors == []

