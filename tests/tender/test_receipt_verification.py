"""Issue 11, proofs anyone can check: the audit key is published (page and API), its fingerprint is on every
receipt and notice page, `python -m audit.verifier receipt` checks a receipt against the pinned key only, and
a receipt's signature carries a context label that no checkpoint signature has (old receipts still verify)."""

from __future__ import annotations

import base64
import json

import pytest
from pdf_helpers import assert_readable
from tender_helpers import seal_bid, submit

from audit.verifier import main


@pytest.fixture
def receipt(world, make_project, client):
    project = make_project()
    lot = project.lots[0]
    response = submit(client, world.suppliers[0].user, project, lot, seal_bid(project, lot, world.suppliers[0]))
    assert response.status_code == 201
    return response.get_json()


def _fingerprint() -> str:
    from audit.service import verifier_key_fingerprint

    return verifier_key_fingerprint()


def test_the_key_is_published_on_a_page_and_in_the_api(client, app_ctx):
    from audit.checkpoint import verify_checkpoint
    from audit.service import verifier_key

    page = client.get("/audit/key")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert verifier_key() in text and _fingerprint() in text and "--fingerprint" in text
    api = client.get("/api/v1/audit/key").get_json()
    assert api["verifier_key"] == verifier_key() and api["fingerprint"] == _fingerprint()
    checkpoint = client.get("/api/v1/audit/checkpoint").get_json()
    assert verify_checkpoint(checkpoint["note"], api["verifier_key"]).size == checkpoint["size"]


def test_a_receipt_verifies_with_only_public_material(receipt, client, tmp_path, capsys):
    bid_id = receipt["receipt"]["bid_id"]
    assert receipt["verifier_key_fingerprint"] == _fingerprint()
    published = client.get("/api/v1/audit/key").get_json()  # what a bidder fetches
    downloaded = client.get(f"/api/v1/tender/bids/{bid_id}/receipt").get_json()
    assert downloaded == {k: v for k, v in receipt.items() if k != "bid"}  # the submission adds the bid
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(downloaded, ensure_ascii=False), encoding="utf-8")
    assert main(["receipt", str(path), "--fingerprint", published["fingerprint"]]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK receipt format=biaoyun-receipt/2") and receipt["receipt"]["sha256"] in out
    assert main(["receipt", str(path), "--vkey", published["verifier_key"]]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["receipt", str(path)])  # no trusted key: refused


@pytest.mark.parametrize("change", ["size", "received_at", "signature", "audit_seq", "unlabelled"])
def test_a_changed_receipt_is_refused(receipt, tmp_path, capsys, change):
    from audit import service as audit_service
    from audit.statements import canonical

    doc = json.loads(json.dumps(receipt))
    body = doc["receipt"]
    if change == "size":
        body["size"] += 1
    elif change == "received_at":
        body["received_at"] = body["received_at"].replace("T", "T0")[:-1] + "Z"
    elif change == "signature":
        doc["signature"] = base64.b64encode(b"\0" * 64).decode()
    elif change == "audit_seq":  # signed by the platform, but the proof is for another event
        body["audit_seq"] -= 1
        doc["signature"] = base64.b64encode(audit_service.signing_key().sign(
            b"biaoyun/audit-key/receipt/v2\x00" + canonical(body))).decode()
    else:  # a v2 receipt signed without the context label (as a checkpoint-style message would be)
        doc["signature"] = base64.b64encode(audit_service.signing_key().sign(canonical(body))).decode()
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["receipt", str(path), "--fingerprint", _fingerprint()]) == 1
    assert capsys.readouterr().out.startswith("MISMATCH")


def test_an_old_receipt_without_the_label_still_verifies(receipt, tmp_path, capsys):
    """Receipts issued before the context label (biaoyun-receipt/1) were signed over the canonical JSON alone."""
    from audit import service as audit_service
    from audit.statements import canonical

    doc = json.loads(json.dumps(receipt))
    doc["receipt"]["format"] = "biaoyun-receipt/1"
    doc["signature"] = base64.b64encode(audit_service.signing_key().sign(canonical(doc["receipt"]))).decode()
    del doc["verifier_key_fingerprint"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert main(["receipt", str(path), "--fingerprint", _fingerprint()]) == 0
    assert "format=biaoyun-receipt/1" in capsys.readouterr().out
    labelled = json.loads(json.dumps(doc))
    labelled["signature"] = receipt["signature"]  # the /2 signature does not pass for a /1 receipt
    path.write_text(json.dumps(labelled, ensure_ascii=False), encoding="utf-8")
    assert main(["receipt", str(path), "--fingerprint", _fingerprint()]) == 1


def test_the_fingerprint_is_on_the_receipt_page_pdf_and_notice_pages(receipt, world, client, app_ctx):
    from notices.models import Notice

    bid_id = receipt["receipt"]["bid_id"]
    fingerprint = _fingerprint()
    page = client.get(f"/tender/bids/{bid_id}/receipt").get_data(as_text=True)
    assert fingerprint in page and "与平台公布的公钥一致" in page and "/audit/key" in page
    pdf = client.get(f"/tender/bids/{bid_id}/receipt.pdf")
    text = assert_readable(pdf.data, "验证公钥指纹")
    assert fingerprint[:32] in text.replace(" ", "").replace("\n", "")
    notices = Notice.query.all()
    assert notices
    anonymous = client.application.test_client()
    for notice in notices:
        html = anonymous.get(f"/notices/{notice.id}").get_data(as_text=True)
        assert fingerprint in html and 'href="/audit/key"' in html
