"""The browser sealing modules (static/js/crypto/) against the Python library, in headless chromium.

A small local HTTP server serves static/ with the platform's strict Content-Security-Policy;
the page static/js/crypto/test/harness.html exposes window.harness. Checked here:
- the shared vectors (crypto/vectors/v1.json and v2.json), RFC 9180 A.3.1, tampering codes and round trips
  pass in the browser (the same checks Node runs);
- a bid sealed in the browser opens with Python, with k custodian shares and with the
  supplier's own key, to the same plaintext;
- a bid sealed with Python yields its shares in the browser (custodian unwrap), and those
  shares open it in Python; the browser opens it too;
- keys generated in the browser load in Python (key file + .pub PEM).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from crypto import (
    Custodian,
    MemorySink,
    Share,
    generate_key_file,
    inspect,
    load_key_file,
    load_public_keys,
    make_policy,
    open_with_key,
    open_with_shares,
    seal,
    unwrap_share,
)
from crypto.encoding import b64u_decode, b64u_encode, public_key_b64u

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CSP = "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'"
PASS = "测试口令 pass"


class _StaticHandler(SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        **SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript", ".mjs": "text/javascript"
    }

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def static_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StaticHandler, directory=str(ROOT / "static")))
    thread = threading.Thread(target=server.serve_forever, name="static-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def harness(static_server, browser_page, console_errors):
    page = browser_page
    page.set_default_timeout(120_000)
    page.goto(f"{static_server}/js/crypto/test/harness.html")
    page.wait_for_selector("body[data-ready='1']")
    yield page
    assert console_errors == [], console_errors


class _Parties:
    def __init__(self) -> None:
        self.custodian_files = [generate_key_file("custodian", f"{PASS}{i}", 1000) for i in range(3)]
        self.custodians = [
            load_key_file(kf, f"{PASS}{i}").encryption for i, (kf, _) in enumerate(self.custodian_files)
        ]
        self.supplier_file, self.supplier_pub = generate_key_file("supplier", PASS, 1000)
        self.supplier = load_key_file(self.supplier_file, PASS)
        self.policy = make_policy(
            "ZJ-E2E-1", "3", 2,
            [Custodian(cid, key.public_key(), label)
             for cid, key, label in zip(("agency", "notary", "vault"), self.custodians,
                                        ("采购代理机构", "公证处", "平台时间保险库"), strict=True)],
        )


@pytest.fixture(scope="module")
def parties() -> _Parties:
    return _Parties()


@pytest.mark.parametrize("version", [1, 2])
def test_shared_vectors_pass_in_browser(harness, version):
    vectors = json.loads((ROOT / "crypto" / "vectors" / f"v{version}.json").read_text(encoding="utf-8"))
    results = harness.evaluate("v => window.harness.runChecks(v)", vectors)
    failed = [r for r in results if not r["ok"]]
    assert not failed, "\n\n".join(f"{r['name']}: {r['error']}" for r in failed)
    names = " ".join(r["name"] for r in results)
    assert "RFC 9180 A.3.1" in names and "container-multichunk" in names and "forged" in names
    assert len(results) >= 14


def test_browser_sealed_bid_opens_in_python(harness, parties):
    summary = {"bidder": "杭州某某信息技术有限公司", "lot": "3", "price_fen": 98_765_432, "delivery_days": 45}
    sealed = harness.evaluate(
        "a => window.harness.sealGenerated(a)",
        {"policy": parties.policy, "keyFile": parties.supplier_file.decode(), "passphrase": PASS,
         "bidderId": "91330100MA2BROWSER", "summary": summary, "sizes": [0, 65536 - 7, 200_001],
         "chunkSize": 65536},
    )
    assert sealed["hashedIn"] == "worker"  # the hash worker starts under the strict CSP
    data = b64u_decode(sealed["container"])
    expected = {f["name"]: b64u_decode(f["content"]) for f in sealed["files"]}
    assert sealed["progress"][-1] == 4 + sum(len(v) for v in expected.values()) + len(
        json.dumps({"files": [{"name": n, "size": len(c)} for n, c in expected.items()], "summary": summary},
                   ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())

    info = inspect(io.BytesIO(data), parties.policy, require_signature=True)
    assert info["signature_valid"] is True
    assert info["sha256"] == sealed["sha256"] == hashlib.sha256(data).hexdigest()
    assert info["bidder_id"] == "91330100MA2BROWSER"
    assert info["signer"] == public_key_b64u(parties.supplier.signing.public_key())

    shares = [unwrap_share(io.BytesIO(data), parties.custodians[i]) for i in (2, 0)]
    openers = (
        ("shares", lambda src, sink: open_with_shares(src, shares, sink, policy=parties.policy)),
        ("supplier key", lambda src, sink: open_with_key(src, parties.supplier.encryption, sink)),
    )
    for how, opener in openers:
        sink = MemorySink()
        result = opener(io.BytesIO(data), sink)
        assert result.summary == summary, how
        assert sink.files == expected, how
        assert [name for name, _ in result.files] == list(expected), how


def test_python_sealed_bid_yields_shares_in_browser(harness, parties):
    summary = {"bidder": "宁波某某建设集团", "price_fen": 500_000_000, "delivery_days": 90,
               "remarks": "含税"}
    files = [("投标文件.pdf", bytes(range(256)) * 1000 + b"\x00end"), ("空.txt", b"")]
    out = io.BytesIO()
    seal(parties.policy, parties.supplier.signing, parties.supplier.encryption.public_key(), summary,
         [(n, io.BytesIO(d)) for n, d in files], out, "91330200MA2PYTHON0", chunk_size=65536)
    data = out.getvalue()
    container = b64u_encode(data)

    browser_shares = {}
    for i in (0, 2):
        kf, _ = parties.custodian_files[i]
        share = harness.evaluate("a => window.harness.unwrapShareOf(a)",
                                 {"container": container, "keyFile": kf.decode(), "passphrase": f"{PASS}{i}"})
        assert share == unwrap_share(io.BytesIO(data), parties.custodians[i]).to_json()
        browser_shares[i] = share

    sink = MemorySink()
    result = open_with_shares(io.BytesIO(data), [Share.from_json(s) for s in browser_shares.values()], sink,
                              policy=parties.policy)
    assert result.summary == summary
    assert sink.files == dict(files)

    # a custodian who is not in the policy gets wrong_key; the browser opens the bid as well
    stranger, _ = generate_key_file("custodian", "x", 1000)
    code = harness.evaluate("a => window.harness.errorCode('unwrapShareOf', a)",
                            {"container": container, "keyFile": stranger.decode(), "passphrase": "x"})
    assert code == "wrong_key"
    opened = harness.evaluate("a => window.harness.openHere(a)",
                              {"container": container, "shares": list(browser_shares.values())})
    assert opened["summary"] == summary
    assert {f["name"]: b64u_decode(f["content"]) for f in opened["files"]} == dict(files)
    assert opened["info"]["sha256"] == hashlib.sha256(data).hexdigest()
    by_key = harness.evaluate("a => window.harness.openHere(a)",
                              {"container": container, "keyFile": parties.supplier_file.decode(),
                               "passphrase": PASS})
    assert by_key["summary"] == summary


def test_keys_generated_in_browser_load_in_python(harness):
    for kind in ("supplier", "custodian"):
        made = harness.evaluate("a => window.harness.keygen(a)",
                                {"kind": kind, "passphrase": "浏览器口令", "iterations": 1000})
        keys = load_key_file(made["keyFile"].encode(), "浏览器口令")
        pems = load_public_keys(made["publicPem"].encode())
        assert keys.kind == kind
        assert public_key_b64u(keys.encryption.public_key()) == made["publicKeys"]["encrypt"]
        if kind == "supplier":
            assert public_key_b64u(keys.signing.public_key()) == made["publicKeys"]["sign"]
            expected = [made["publicKeys"]["sign"], made["publicKeys"]["encrypt"]]
            assert [public_key_b64u(k) for k in pems] == expected
        else:
            assert keys.signing is None
            assert [public_key_b64u(k) for k in pems] == [made["publicKeys"]["encrypt"]]
        assert isinstance(keys.encryption, ec.EllipticCurvePrivateKey)
        assert json.loads(made["keyFile"])["kdf"]["iterations"] == 1000


def test_seal_form_ui_seals_and_offers_the_download(harness, parties, tmp_path):
    """seal-page.js: pick files and a key file, type the passphrase, seal, download; Python opens it."""
    page = harness
    summary = {"bidder": "界面测试供应商", "price_fen": 1234500, "delivery_days": 10}
    page.evaluate("a => window.harness.mountUi(a)",
                  {"widget": "seal", "policy": parties.policy, "bidderId": "UI-BIDDER", "summary": summary})
    content = bytes(range(256)) * 600
    pdf = {"name": "报价.pdf", "mimeType": "application/pdf", "buffer": content}
    page.set_input_files(".js-files", files=[pdf])
    page.set_input_files(".js-keyfile", files=[{"name": "supplier.key", "mimeType": "application/json",
                                                "buffer": parties.supplier_file}])
    page.fill(".js-passphrase", "wrong passphrase")
    page.click(".js-seal")
    page.wait_for_selector(".js-error:not(.d-none)")
    assert "口令错误" in page.inner_text(".js-error")
    page.fill(".js-passphrase", PASS)
    page.click(".js-seal")
    link = page.wait_for_selector(".js-download")
    assert page.get_attribute(".progress-bar", "aria-valuenow") == "100"
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "ZJ-E2E-1-3-UI-BIDDER.sealed"
    path = tmp_path / "bid.sealed"
    download.save_as(path)
    data = path.read_bytes()
    assert page.inner_text(".js-digest") == hashlib.sha256(data).hexdigest()
    shares = [unwrap_share(io.BytesIO(data), parties.custodians[i]) for i in (0, 1)]
    sink = MemorySink()
    assert open_with_shares(io.BytesIO(data), shares, sink, policy=parties.policy).summary == summary
    assert sink.files == {"报价.pdf": content}


def test_share_unwrap_ui_hands_shares_to_the_page(harness, parties):
    out = io.BytesIO()
    seal(parties.policy, parties.supplier.signing, parties.supplier.encryption.public_key(), {"price_fen": 1},
         [("a.txt", io.BytesIO(b"a"))], out, "UI-BIDDER-2", chunk_size=65536)
    data = out.getvalue()
    page = harness
    page.evaluate("a => window.harness.mountUi(a)", {"widget": "shares", "containers": [b64u_encode(data)]})
    kf, _ = parties.custodian_files[1]
    key_file = {"name": "notary.key", "mimeType": "application/json", "buffer": kf}
    page.set_input_files(".js-keyfile", files=[key_file])
    page.fill(".js-passphrase", f"{PASS}1")
    page.click(".js-unwrap")
    page.wait_for_selector(".js-result .text-bg-success")
    shares = page.evaluate("() => window.uiEvents")
    assert shares == [unwrap_share(io.BytesIO(data), parties.custodians[1]).to_json()]


def test_seal_form_streams_large_bids_to_a_picked_file(harness, parties):
    """Above pickerThreshold the sealed file goes to showSaveFilePicker's writable, chunk by chunk."""
    page = harness
    page.evaluate("() => window.harness.fakeSavePicker()")
    page.evaluate("a => window.harness.mountUi(a)",
                  {"widget": "seal", "policy": parties.policy, "bidderId": "BIG", "summary": {"price_fen": 7},
                   "pickerThreshold": 0})
    content = bytes(range(256)) * 1000
    page.set_input_files(".js-files", files=[{"name": "big.bin", "mimeType": "application/octet-stream",
                                              "buffer": content}])
    page.set_input_files(".js-keyfile", files=[{"name": "s.key", "mimeType": "application/json",
                                                "buffer": parties.supplier_file}])
    page.fill(".js-passphrase", "not the passphrase")
    page.click(".js-seal")
    page.wait_for_selector(".js-error:not(.d-none)")
    failed = page.evaluate("() => window.harness.savedFile()")
    assert failed["aborted"] is True and failed["closed"] is False  # no partial file is kept

    page.fill(".js-passphrase", PASS)
    page.click(".js-seal")
    page.wait_for_selector(".js-saved")
    saved = page.evaluate("() => window.harness.savedFile()")
    assert saved["closed"] is True and saved["picked"] == 2 and saved["name"] == "ZJ-E2E-1-3-BIG.sealed"
    assert page.query_selector(".js-download") is None
    data = b64u_decode(saved["content"])
    sink = MemorySink()
    open_with_key(io.BytesIO(data), parties.supplier.encryption, sink, policy=parties.policy)
    assert sink.files == {"big.bin": content}
    assert page.inner_text(".js-digest") == hashlib.sha256(data).hexdigest()
