"""The contract kit on its own: a purchasing method that is not a tender (a small order held by this test)
registers a source and ends in a signed, published contract through the kit's pages and API alone —
nothing of tender or evaluation involved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pdf_helpers import assert_readable
from tests_helpers import login

from contracts import sources
from contracts.sources import ContractSource, Description, Facts, ToDraft
from core.errors import Conflict, NotFound

TERMS = {"performance_place": "泰顺县罗阳镇", "payment": "验收合格后 10 个工作日内付清", "acceptance": "按订单逐项验收"}


@dataclass
class Order:
    id: int
    purchaser_org_id: int
    supplier_org_id: int
    region_code: str
    amount_fen: int
    status: str = "confirmed"


ORDERS: dict[int, Order] = {}


def _load(order_id: int, lock: bool) -> Order:
    if order_id not in ORDERS:
        raise NotFound("订单不存在。", code="order_not_found")
    return ORDERS[order_id]


def _facts(order: Order) -> Facts:
    return Facts(number=f"DD-{order.id}", region_code=order.region_code, purchaser_org_id=order.purchaser_org_id,
                 supplier_org_id=order.supplier_org_id, agency_org_id=None, amount_fen=order.amount_fen,
                 due=date(2026, 12, 20), fixed={"order": {"id": order.id, "title": "办公用品采购"},
                                               "items": [{"ref": 1, "name": "A4 复印纸", "quantity": 40,
                                                          "unit_price_fen": 2_500, "total_fen": 100_000}]})


def _may_draft(user, order: Order) -> bool:
    return user.org_id == order.purchaser_org_id


def _refusal(order: Order, stage: str):
    return None if order.status == "confirmed" else Conflict("订单已取消。", code="order_cancelled")


def _describe(doc: dict, _) -> Description:
    return Description(title=f"{doc['order']['title']}（订单{doc['order']['id']}）", subject=doc["order"]["title"],
                       subject_lines=[f"订单编号：{doc['order']['id']}"], basis=[("订单确认书", "0" * 64)])


def _notice_subject(order: Order):
    from accounts.models import Org
    from core.db import db

    return db.session.get(Org, order.purchaser_org_id), None


def _concluded(contract, order: Order) -> None:
    order.status = "contracted"


def _to_draft(user) -> list[ToDraft]:
    return [ToDraft(o.id, f"订单{o.id}", date(2026, 12, 20)) for o in ORDERS.values()
            if o.purchaser_org_id == user.org_id and o.status == "confirmed"]


SOURCE = ContractSource(kind="testorder", label="测试订单", load=_load, facts=_facts, may_draft=_may_draft,
                        refusal=_refusal, describe=_describe, notice_subject=_notice_subject,
                        concluded=_concluded, to_draft=_to_draft)


@pytest.fixture
def order(app_ctx, make_user, clock):
    sources.register(SOURCE)
    buyer = make_user("purchaser", org_kind="purchaser", totp=False)
    seller = make_user("supplier", org_kind="supplier", totp=False)
    ORDERS.clear()
    ORDERS[1] = Order(1, buyer.org_id, seller.org_id, buyer.region_code, 100_000)
    yield ORDERS[1], buyer, seller
    ORDERS.clear()


def _sign(client, user, contract_id: int, sha256: str) -> dict:
    from accounts.service import register_public_key
    from core.db import db
    from crypto import sign_document
    from crypto.encoding import b64u_encode

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    register_public_key(db.session.merge(user), pem, "sign", "合同签名")
    db.session.commit()
    login(client, user)
    r = client.post(f"/api/v1/contracts/{contract_id}/signatures",
                    json={"sha256": sha256, "signature": b64u_encode(sign_document(key, bytes.fromhex(sha256)))})
    assert r.status_code == 201, r.get_json()
    client.post("/logout")
    return r.get_json()


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

    _sign(client, buyer, drafted["id"], drafted["sha256"])
    signed = _sign(client, seller, drafted["id"], drafted["sha256"])
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
