"""The contract kit on its own: a purchasing method that is not a tender (a small order held by this test)
registers a source and ends in a signed, published contract through the kit's pages and API alone —
nothing of tender or evaluation involved."""

from __future__ import annotations

from contract_helpers import TERMS, sign_by_api
from pdf_helpers import assert_readable
from tests_helpers import login


def test_an_order_ends_in_a_signed_published_contract_through_the_kit_alone(client, order):
    from core.db import db
    from notices.models import Notice

    the_order, buyer, seller = order
    login(client, buyer)
    page = client.get("/contracts/").get_data(as_text=True)
    assert "订单1" in page and "/contracts/testorder/1/draft" in page       # waits to be drafted
    assert "办公用品采购" in client.get("/contracts/testorder/1/draft").get_data(as_text=True)
    r = client.post("/api/v1/contracts/testorder/1", json={"terms": TERMS})
    assert r.status_code == 201, r.get_json()
    drafted = r.get_json()
    doc = drafted["document"]
    assert drafted["source"] == {"kind": "testorder", "id": 1} and drafted["amount_fen"] == 100_000
    assert doc["items"][0]["name"] == "A4 复印纸" and "agency" not in doc
    assert doc["terms"]["payment"] == TERMS["payment"]
    client.post("/logout")
    assert client.get(f"/contracts/{drafted['id']}").status_code == 404        # not public before both signed

    sign_by_api(client, buyer, f"/api/v1/contracts/{drafted['id']}/signatures", drafted["sha256"])
    signed = sign_by_api(client, seller, f"/api/v1/contracts/{drafted['id']}/signatures", drafted["sha256"])
    assert signed["status"] == "signed" and the_order.status == "contracted"
    notice = db.session.get(Notice, signed["notice_id"])
    assert notice.kind.value == "contract" and notice.subject_type == "org" and drafted["sha256"] in notice.body
    assert notice.title == "办公用品采购（订单1）合同公告" and "订单编号：1" in notice.body
    page = client.get(f"/contracts/{drafted['id']}").get_data(as_text=True)  # public once signed
    assert "办公用品采购" in page and "采购代理机构" not in page
    pdf = client.get(f"/contracts/{drafted['id']}.pdf")
    assert_readable(pdf.data, "政府采购合同", "DD-1", "办公用品采购（订单1）", "订单确认书")


def test_the_source_says_when_not_and_an_unknown_source_is_not_found(client, order):
    from sqlalchemy import func, select

    from contracts.models import Contract
    from core.db import db

    the_order, buyer, _seller = order
    the_order.status = "cancelled"
    login(client, buyer)
    r = client.post("/api/v1/contracts/testorder/1", json={"terms": TERMS})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "order_cancelled"
    r = client.post("/api/v1/contracts/nosuch/1", json={"terms": TERMS})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "contract_source_not_found"
    assert client.get("/contracts/nosuch/1/draft").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Contract)) == 0
