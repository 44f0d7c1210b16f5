"""The tender scripts in English, in headless chromium against the demo server: the sealing page
(bid.js, price.js, the seal form of static/js/crypto/seal-page.js, countdown.js), the opening hall
(hall.js) and the key page (keys.js, the key form) show the page's English text, with no console
error. Nothing is submitted: the shared demo stays as it was."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _bid_page(page, base: str) -> str:
    """The first bidding project this supplier may bid on: the URL of its first lot's sealing page."""
    page.goto(f"{base}/tender/")
    links = page.locator("a[href^='/tender/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    projects = {href for href in hrefs if re.fullmatch(r"/tender/\d+", href)}
    for href in sorted(projects):
        page.goto(f"{base}{href}")
        link = page.locator(".js-bid-link")
        if link.count():
            return link.first.get_attribute("href")
    pytest.fail("the demo supplier has no bidding project")


def test_tender_scripts_speak_english(live_server, demo_login, console_errors):
    page = demo_login("gys1")
    page.goto(f"{live_server}/lang/en")
    bid_url = _bid_page(page, live_server)

    page.goto(f"{live_server}{bid_url}")
    page.wait_for_selector("#seal-form .js-seal")
    assert page.inner_text("#seal-form .js-seal") == "Encrypt and sign"
    assert "Key file (.key)" in page.inner_text("#seal-form")
    page.wait_for_selector(".by-next-event .js-countdown:has-text('left')")
    page.fill("#price", "1000")
    assert page.input_value("#price-words") == "壹仟元整"  # the amount in words is Chinese in any language
    page.fill("#price-words", "壹佰元整")
    assert page.inner_text("#price-warnings").startswith("The amount in words “壹佰元整” differs from the figures")
    page.click("#item-add")
    assert page.inner_text("#items-table .js-remove") == "Remove"
    page.click("#seal-form .js-seal")
    assert page.inner_text("#seal-form .js-error") == "Choose at least one bid file."

    page.goto(f"{live_server}{bid_url.rsplit('/lots/', 1)[0]}/hall")
    page.wait_for_selector("#hall[data-status=bidding]")
    page.wait_for_selector("#hall-conn:has-text('Live')")
    assert page.inner_text("#progress-area") == "No bid information is shown before the bid deadline."
    assert page.inner_text("#checkin-btn") in ("Check in", "Checked in")

    page.goto(f"{live_server}/tender/keys")
    page.wait_for_selector("#keygen-form .js-generate")
    assert page.inner_text("#keygen-form .js-generate") == "Generate keys on this device"
    page.fill("#keygen-form .js-passphrase", "short")
    page.fill("#keygen-form .js-passphrase2", "short")
    page.click("#keygen-form .js-generate")
    assert page.inner_text("#keygen-form .js-error") == "The passphrase must be at least 12 characters long."
    assert console_errors == []
