"""The electronic contract of an e-mall order, through the contracts kit (`contracts.sources`).

The order fixes the parties, the amount and the items (each the accepted product snapshot it bought);
the purchaser drafts once the supplier confirmed the order, both sign with their own keys, the kit
publishes the contract notice (the e-mall's 合同公告) and calls `concluded`, which stamps the order.
The days to sign are the region rule `mall.contract_sign_days` from the supplier's confirmation.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from accounts.models import Role, User
from contracts import service as kit
from contracts import sources
from contracts.models import Contract
from contracts.sources import ContractSource, Description, Facts, ToDraft
from core import clock
from core.db import db
from core.errors import Conflict, DomainError, NotFound
from core.i18n import N_
from mall import rules
from mall.models import Order
from mall.transitions import OrderStatus

KIND = "mall_order"
CONTRACTABLE = (OrderStatus.CONFIRMED, OrderStatus.DISPATCHED, OrderStatus.RECEIVED, OrderStatus.ACCEPTED,
                OrderStatus.DONE)
ORDER_FILE = N_("电子卖场订单确认书")


def _load(order_id: int, lock: bool) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    order = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise NotFound("订单不存在。", code="order_not_found")
    return order


def sign_due(order: Order):
    start = order.confirmed_at or order.placed_at
    return clock.to_local(start).date() + timedelta(days=rules.value(order.region_code, "mall.contract_sign_days"))


def order_digest(order: Order) -> str:
    """The SHA-256 of the order as confirmed (number, parties, lines): what the contract rests on."""
    import hashlib
    import json

    content = {"number": order.number, "purchaser": order.purchaser_org_id, "supplier": order.supplier_org_id,
               "amount_fen": order.amount_fen, "lines": [
                   [line.product_version_id, line.title, line.unit, line.quantity, line.unit_price_fen,
                    line.install_fee_fen, line.service_fee_fen, line.total_fen] for line in order.lines]}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def _facts(order: Order) -> Facts:
    items = [{"ref": n, "name": line.title, "quantity": line.quantity, "unit": line.unit,
              "unit_price_fen": line.unit_price_fen, "total_fen": line.total_fen,
              "product_version_id": line.product_version_id} for n, line in enumerate(order.lines, start=1)]
    fixed = {"order": {"number": order.number, "kind": order.kind, "placed_at": order.placed_at.isoformat(),
                       "delivery_address": order.delivery_address},
             "items": items, "delivery": order.delivery_address,
             "basis": {"order_sha256": order_digest(order)}}
    return Facts(number=f"HT-{order.number}", region_code=order.region_code, purchaser_org_id=order.purchaser_org_id,
                 supplier_org_id=order.supplier_org_id, agency_org_id=None, amount_fen=order.amount_fen,
                 due=sign_due(order), fixed=fixed)


def _may_draft(user: User, order: Order) -> bool:
    return bool(user and user.is_authenticated and user.has_role(Role.PURCHASER)
                and user.org_id == order.purchaser_org_id)


def _refusal(order: Order, stage: str) -> DomainError | None:
    if order.status not in CONTRACTABLE:
        return Conflict("供应商确认订单后才能起草合同。" if stage == "draft" else "订单已不再有效，不能签署合同。",
                        code="order_not_contractable")
    return None


def describe(doc: dict, _: Callable[..., str]) -> Description:
    order = doc["order"]
    return Description(
        title=_("电子卖场订单 %(number)s", number=order["number"]),
        subject=f"{order['number']} · " + "、".join(i["name"] for i in doc.get("items", [])[:3]),
        subject_lines=[f"订单编号：{order['number']}", f"收货地址：{order['delivery_address']}"],
        basis=[(_(ORDER_FILE), doc["basis"]["order_sha256"])], delivery=doc.get("delivery") or "")


def _notice_subject(order: Order) -> tuple[Any, None]:
    return order, None


def _concluded(contract: Contract, order: Order) -> None:
    order.contract_signed_at = contract.signed_at


def orders_to_draft(user: User) -> list[Order]:
    if user.org_id is None or not user.has_role(Role.PURCHASER):
        return []
    drafted = select(Contract.source_id).where(Contract.source_kind == KIND)
    return list(db.session.scalars(select(Order).where(Order.purchaser_org_id == user.org_id,
                                                       Order.status.in_(CONTRACTABLE), Order.id.not_in(drafted))
                                   .order_by(Order.id).limit(100)))


def _to_draft(user: User) -> list[ToDraft]:
    return [ToDraft(o.id, gettext("电子卖场订单 %(number)s", number=o.number), sign_due(o))
            for o in orders_to_draft(user)]


ORDER = sources.register(ContractSource(
    kind=KIND, label=N_("电子卖场订单"), load=_load, facts=_facts, may_draft=_may_draft, refusal=_refusal,
    describe=describe, notice_subject=_notice_subject, concluded=_concluded, to_draft=_to_draft))


def draft_contract(user: User, order_id: int, terms: dict[str, Any] | None = None) -> Contract:
    """The purchaser drafts the order's contract (the kit's page and API do the same)."""
    order = _load(order_id, False)
    defaults = {"performance_place": order.delivery_address,
                "payment": f"验收合格后 {rules.value(order.region_code, 'mall.pay_within_days')} 日内一次性支付",
                "acceptance": "按订单所列商品快照（品牌、型号、规格参数）与数量验收"}
    return kit.draft_contract(user, KIND, order_id, {**defaults, **(terms or {})})


def contract_of(order: Order) -> Contract | None:
    return kit.contract_for(KIND, order.id)
