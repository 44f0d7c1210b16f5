"""A purchasing method that is not a tender, held by the tests: a small order registered as a contract
source, with a fixture that makes one between a fresh purchaser and supplier (tests/contracts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
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


def sign_by_api(client, user, path: str, sha256: str) -> dict:
    from accounts.service import register_public_key
    from core.db import db
    from crypto import sign_document
    from crypto.encoding import b64u_encode

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    register_public_key(db.session.merge(user), pem, "sign", "签名")
    db.session.commit()
    login(client, user)
    r = client.post(path,
                    json={"sha256": sha256, "signature": b64u_encode(sign_document(key, bytes.fromhex(sha256)))})
    assert r.status_code == 201, r.get_json()
    client.post("/logout")
    return r.get_json()
