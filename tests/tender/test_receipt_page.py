"""Issue 13 §4: the receipt stays on screen in Beijing time, with a printable Chinese PDF (digest, server time,
platform signature, how to verify); another organisation's receipt is not found."""

from __future__ import annotations

from pdf_helpers import assert_readable
from tender_helpers import seal_bid, submit
from tests_helpers import login

from core import clock as core_clock


def test_receipt_page_and_pdf(world, make_project, client, clock):
    project = make_project()
    lot = project.lots[0]
    supplier = world.suppliers[0]
    response = submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier))
    assert response.status_code == 201
    body = response.get_json()
    bid_id, digest = body["receipt"]["bid_id"], body["receipt"]["sha256"]
    beijing = core_clock.format_local(clock.now(), "%Y-%m-%d %H:%M")

    page = client.get(f"/tender/bids/{bid_id}/receipt").get_data(as_text=True)
    assert digest in page and beijing in page and "北京时间" in page and "T" not in beijing
    assert "Z" not in page.split('id="receipt-time"')[1][:40]  # no UTC stamp on the page
    pdf = client.get(f"/tender/bids/{bid_id}/receipt.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = assert_readable(pdf.data, "投标文件递交回执", project.title, supplier.user.org.name, "北京时间", beijing,
                           "如何核验本回执")
    assert digest[:32] in text.replace(" ", "")  # the digest (wrapped in its cell)
    assert body["signature"][:20] in text.replace(" ", "")

    login(client, world.suppliers[1].user)
    assert client.get(f"/tender/bids/{bid_id}/receipt").status_code == 404
    assert client.get(f"/tender/bids/{bid_id}/receipt.pdf").status_code == 404
