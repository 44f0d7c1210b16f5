"""Supermarket orders: cart → order → the supplier confirms within the window (else the order lapses, a
timed step) → dispatch → receipt → acceptance with a rating → payment recorded within the region's days
(overdue warns finance, a timed step) → done; cancel, return and exchange with their rules; disputes; and
the marks that feed the supplier's credit (a rating of 2 or lower, an upheld dispute).

Placing an order checks, before anything is written: the quantity (a whole number above zero), each
listing live, in stock and delivering to the purchaser's region, the unit price not more than
`mall.order_above_median_pct` above the median live quote for the item, and the purchasing unit's total
this year per catalogue item within the region's limit (分散采购限额). Any failure leaves the cart, the
orders and the budget untouched.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from accounts.models import Org, Role, User
from audit.service import record
from core import clock, money
from core.after_commit import after_commit
from core.db import db, lock_row
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from mall import prices, rules
from mall.models import CartItem, Dispute, Listing, Order, OrderLine, Payment
from mall.supermarket import get_listing
from mall.transitions import DisputeStatus, ListingStatus, OrderStatus

MAX_QTY = 1_000_000


# ---------------------------------------------------------------- who


def require_purchaser(user: User) -> None:
    if not user.has_role(Role.PURCHASER) or user.org_id is None:
        raise Forbidden("只有采购单位的经办人可以下单。", code="not_purchaser")


def is_buyer(user: User, order: Order) -> bool:
    return user.has_role(Role.PURCHASER) and user.org_id == order.purchaser_org_id


def is_seller(user: User, order: Order) -> bool:
    return user.has_role(Role.SUPPLIER) and user.org_id == order.supplier_org_id


def can_see(user: User, order: Order) -> bool:
    return (is_buyer(user, order) or is_seller(user, order)
            or user.has_role(Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER))


def _need(ok: bool, message: str, code: str) -> None:
    if not ok:
        raise Forbidden(message, code=code)


def check_quantity(value) -> int:
    """A quantity typed or sent: a whole number from 1 to a million (negative, zero, decimals refused)."""
    qty = None
    if isinstance(value, int) and not isinstance(value, bool):
        qty = value
    elif isinstance(value, str) and value.strip().isdigit():
        qty = int(value.strip())
    if qty is None or not 1 <= qty <= MAX_QTY:
        raise ValidationError("数量须为 1 至 1000000 之间的整数。", code="quantity_invalid",
                              details={"field": "quantity"})
    return qty


# ---------------------------------------------------------------- cart


def add_to_cart(user: User, listing_id: int, quantity) -> CartItem:
    require_purchaser(user)
    qty = check_quantity(quantity)
    listing = get_listing(listing_id)
    if listing.status is not ListingStatus.LIVE:
        raise Conflict("该商品已冻结或撤下，不能加入购物车。", code="listing_not_live")
    item = db.session.get(CartItem, (user.id, listing.id))
    if item is None:
        item = CartItem(user_id=user.id, listing_id=listing.id, quantity=qty, added_at=clock.now())
        db.session.add(item)
    else:
        item.quantity = qty
    db.session.flush()
    return item


def remove_from_cart(user: User, listing_id: int) -> None:
    item = db.session.get(CartItem, (user.id, listing_id))
    if item is not None:
        db.session.delete(item)
        db.session.flush()


def cart_of(user: User) -> list[CartItem]:
    return list(db.session.scalars(select(CartItem).where(CartItem.user_id == user.id).order_by(CartItem.added_at,
                                                                                                 CartItem.listing_id)))


# ---------------------------------------------------------------- placing


@dataclass
class Line:
    listing_id: int
    quantity: int


def yearly_total(org_id: int, catalogue_code: str, day: date) -> int:
    """What the unit bought (or has on order) this calendar year under a catalogue item, in fen."""
    start = clock.end_of_local_day(date(day.year, 1, 1) - timedelta(days=1))
    return int(db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.total_fen), 0)).join(Order, Order.id == OrderLine.order_id)
        .where(Order.purchaser_org_id == org_id, OrderLine.catalogue_code == catalogue_code,
               OrderLine.counted.is_(True), OrderLine.at > start)) or 0)


def _check_lines(user: User, lines: list[Line]) -> list[tuple[Listing, int]]:
    if not lines:
        raise ValidationError("请至少选择一件商品。", code="order_empty")
    out: list[tuple[Listing, int]] = []
    region = user.org.region_code
    chain = set(prices.region_chain(region))
    for line in lines:
        qty = check_quantity(line.quantity)
        listing = get_listing(line.listing_id, lock=True)
        if listing.status is not ListingStatus.LIVE:
            raise Conflict(f"“{listing.title}”已冻结或撤下，不能下单。" + (
                f"原因：{listing.frozen_reason}" if listing.frozen_reason else ""), code="listing_not_live",
                details={"listing_id": listing.id})
        if not listing.in_stock:
            raise Conflict(f"“{listing.title}”暂时缺货。", code="listing_out_of_stock",
                           details={"listing_id": listing.id})
        if not chain.intersection(listing.region_codes):
            raise Conflict(f"“{listing.title}”不向本单位所在地区供货。", code="listing_not_delivered",
                           details={"listing_id": listing.id})
        median = prices.median_live_quote(listing.product_id, region)
        pct = rules.value(region, "mall.order_above_median_pct")
        if median is not None and listing.price_fen * 100 > median * (100 + pct):
            raise Conflict(f"“{listing.title}”单价 {money.format_yuan(listing.price_fen)} 元高于在售报价中位数 "
                           f"{money.format_yuan(median)} 元的 {pct}% 以上，不得下单。", code="order_above_median",
                           details={"listing_id": listing.id, "median_fen": median, "pct": pct})
        out.append((listing, qty))
    if len({listing.store_id for listing, _ in out}) != 1:
        raise ValidationError("一张订单只能包含同一店铺的商品。", code="order_many_stores")
    return out


def lock_unit(org_id: int) -> None:
    """The purchasing unit's orders are placed one at a time, so its yearly total is read after the unit's
    lock: a row lock on PostgreSQL; on SQLite (which ignores FOR UPDATE and reads outside the write
    transaction) a write to the row, which takes the database's write lock until the commit."""
    lock_row(Org, org_id)


def line_total(listing: Listing, qty: int) -> int:
    return (listing.price_fen + listing.install_fee_fen + listing.service_fee_fen) * qty


def _amounts_by_code(chosen: list[tuple[Listing, int]]) -> dict[str, int]:
    by_code: dict[str, int] = {}
    for listing, qty in chosen:
        by_code[listing.catalogue_code] = by_code.get(listing.catalogue_code, 0) + line_total(listing, qty)
    return by_code


def _check_threshold(user: User, chosen: list[tuple[Listing, int]]) -> list[dict]:
    """Per catalogue item: the unit's e-mall total this year plus the order within 分散采购限额 (the e-mall is
    for purchases below it), and plan's split-purchase check (化整为零 against 公开招标数额标准), the same
    figures plans meet. Returns the checks' figures (a warning lets the order go on, recorded)."""
    from plan.rules import category_of
    from plan.service import SplitLevel, check_split_purchase, decentralised_limit

    region = user.org.region_code
    day = clock.to_local(clock.now()).date()
    checks = []
    for code, amount in sorted(_amounts_by_code(chosen).items()):
        limit = decentralised_limit(region, category_of(code), day)
        total = yearly_total(user.org_id, code, day) + amount
        if total > limit:
            raise Conflict(f"本单位今年在品目 {code} 的电子卖场采购累计 {money.format_yuan(total)} 元，"
                           f"超过分散采购限额 {money.format_yuan(limit)} 元，请依法采用其他采购方式。",
                           code="order_above_threshold",
                           details={"catalogue_code": code, "total_fen": total, "limit_fen": limit})
        found = check_split_purchase(user.org_id, code, amount, on_day=day)
        if found.level is SplitLevel.BLOCK:
            raise Conflict(found.message(), code="order_split_purchase", details=found.as_dict())
        checks.append(found.as_dict())
    return checks


def _confirmation_for(user: User, confirmation_id: int | None, chosen: list[tuple[Listing, int]]):
    """The budget confirmation the order draws on: required where the region says so; its catalogue item must
    cover every line (a confirmation for A0201 covers A02010105)."""
    from plan.service import can_use, get_confirmation

    region = user.org.region_code
    if confirmation_id is None:
        if rules.value(region, "mall.require_budget_confirmation"):
            raise ValidationError("本地区电子卖场下单须选择预算确认书。", code="confirmation_required",
                                  details={"field": "confirmation_id"})
        return None
    confirmation = get_confirmation(int(confirmation_id))
    if not can_use(user, confirmation):
        raise Forbidden("本单位不能使用这份确认书。", code="confirmation_not_usable")
    prefix = (confirmation.catalogue_code or "").strip().upper()
    outside = sorted({listing.catalogue_code for listing, _ in chosen if not listing.catalogue_code.startswith(prefix)})
    if outside:
        raise ValidationError(f"确认书 {confirmation.number} 的品目 {prefix} 不包括 {'、'.join(outside)}。",
                              code="confirmation_catalogue_mismatch", details={"field": "confirmation_id"})
    return confirmation


def place_order(user: User, lines: list[Line], delivery_address: str, *, confirmation_id: int | None = None) -> Order:
    """Place one order with one store; every check passes before anything is written."""
    require_purchaser(user)
    address = (delivery_address or "").strip()
    if not address or len(address) > 200:
        raise ValidationError("请填写收货地址（200 字以内）。", code="address_required",
                              details={"field": "delivery_address"})
    chosen = _check_lines(user, lines)
    confirmation = _confirmation_for(user, confirmation_id, chosen)
    lock_unit(user.org_id)
    checks = _check_threshold(user, chosen)
    region = user.org.region_code
    now = clock.now()
    store_id = chosen[0][0].store_id
    amount = sum(line_total(listing, qty) for listing, qty in chosen)
    order = Order(number=f"WS{clock.format_local(now, '%Y%m%d')}{secrets.token_hex(3).upper()}", kind="supermarket",
                  region_code=region, purchaser_org_id=user.org_id, placed_by_id=user.id,
                  supplier_org_id=chosen[0][0].supplier_org_id, store_id=store_id, status=OrderStatus.PLACED,
                  amount_fen=amount, rules_version=rules.version(region),
                  confirmation_id=confirmation.id if confirmation else None,
                  delivery_address=address, placed_at=now,
                  confirm_due_at=now + timedelta(hours=rules.value(region, "mall.order_confirm_hours")),
                  lines=[OrderLine(listing_id=listing.id, product_id=listing.product_id,
                                   product_version_id=listing.product_version_id,
                                   catalogue_code=listing.catalogue_code, title=listing.title, unit=listing.unit,
                                   quantity=qty, unit_price_fen=listing.price_fen,
                                   install_fee_fen=listing.install_fee_fen, service_fee_fen=listing.service_fee_fen,
                                   total_fen=line_total(listing, qty), at=now) for listing, qty in chosen])
    db.session.add(order)
    db.session.flush()
    if confirmation is not None:  # under the confirmation's row lock; overdrawn refuses the whole order
        from plan.service import draw_budget

        order.budget_draw_id = draw_budget(confirmation, amount, subject=order, actor=user).id
    record("mall.order_placed", order, {"number": order.number, "amount_fen": amount, "store": store_id,
                                        "lines": [[line.listing_id, line.quantity, line.unit_price_fen]
                                                  for line in order.lines],
                                        "rules_version": order.rules_version, "confirmation": confirmation_id,
                                        "budget_draw": order.budget_draw_id, "split_checks": checks})
    for listing, _qty in chosen:
        remove_from_cart(user, listing.id)
    _tell(order, "新订单待确认", f"订单 {order.number}：请在 {clock.format_local(order.confirm_due_at)} 前确认。",
          [order.supplier_org_id])
    return order


def place_cart(user: User, delivery_address: str, confirmation_id: int | None = None) -> list[Order]:
    """The cart becomes one order per store (all or none)."""
    items = cart_of(user)
    if not items:
        raise ValidationError("购物车是空的。", code="order_empty")
    by_store: dict[int, list[Line]] = {}
    for item in items:
        by_store.setdefault(item.listing.store_id, []).append(Line(item.listing_id, item.quantity))
    return [place_order(user, lines, delivery_address, confirmation_id=confirmation_id)
            for _store, lines in sorted(by_store.items())]


# ---------------------------------------------------------------- the lifecycle


def get_order(order_id: int, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    order = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise NotFound("没有这张订单。", code="order_not_found")
    return order


def _tell(order: Order, title: str, body: str, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, {"title": title, "body": body, "level": "info", "url": f"/mall/orders/{order.id}"},
                 org_ids=org_ids)


def _end(order: Order, to: OrderStatus, reason: str) -> None:
    move(order, to, payload={"reason": reason})
    order.ended_at, order.end_reason = clock.now(), reason[:300]
    for line in order.lines:
        line.counted = False  # no longer bought: out of the yearly total and the statistics
    release_budget_of(order, reason)


def release_budget_of(order: Order, reason: str) -> None:
    """An order that ended without a purchase gives its budget draw back to the confirmation."""
    if order.budget_draw_id is None:
        return
    from plan.service import release_subject

    release_subject(Order.__tablename__, order.id, reason)


def emall_total(org_id: int, catalogue_code: str, year: int) -> int:
    """plan's split-purchase source: the unit's e-mall orders of an item that year bought without a budget
    confirmation (those with one are counted through the confirmation's plan already)."""
    start = clock.end_of_local_day(date(year, 1, 1) - timedelta(days=1))
    end = clock.end_of_local_day(date(year, 12, 31))
    return int(db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.total_fen), 0)).join(Order, Order.id == OrderLine.order_id)
        .where(Order.purchaser_org_id == org_id, OrderLine.catalogue_code == catalogue_code,
               Order.confirmation_id.is_(None), OrderLine.counted.is_(True), OrderLine.at > start,
               OrderLine.at <= end)) or 0)


def confirm_order(user: User, order_id: int) -> Order:
    order = get_order(order_id, lock=True)
    _need(is_seller(user, order), "只有本订单的供应商可以确认订单。", "not_order_supplier")
    if order.status is OrderStatus.PLACED and clock.now() > order.confirm_due_at:
        raise Conflict("确认期限已过，订单已失效。", code="order_confirm_late")
    move(order, OrderStatus.CONFIRMED)
    order.confirmed_at = clock.now()
    _tell(order, "订单已确认", f"订单 {order.number} 已由供应商确认。", [order.purchaser_org_id])
    return order


def lapse_order(order: Order) -> bool:
    """The timed step: an order its supplier did not confirm in time is cancelled."""
    if order.status is not OrderStatus.PLACED or order.confirm_due_at > clock.now():
        return False
    _end(order, OrderStatus.LAPSED, "供应商未在确认期限内确认订单")
    _tell(order, "订单已自动取消", f"订单 {order.number}：供应商未在期限内确认，订单已取消。",
          [order.purchaser_org_id, order.supplier_org_id])
    return True


def cancel_order(user: User, order_id: int, reason: str) -> Order:
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以取消订单。", "not_order_purchaser")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明取消理由。", code="reason_required", details={"field": "reason"})
    _end(order, OrderStatus.CANCELLED, reason)
    _tell(order, "订单已取消", f"订单 {order.number}：{reason}", [order.supplier_org_id])
    return order


def dispatch_order(user: User, order_id: int) -> Order:
    order = get_order(order_id, lock=True)
    _need(is_seller(user, order), "只有本订单的供应商可以发货。", "not_order_supplier")
    move(order, OrderStatus.DISPATCHED)
    order.dispatched_at = clock.now()
    _tell(order, "订单已发货", f"订单 {order.number} 已发货。", [order.purchaser_org_id])
    return order


def receive_order(user: User, order_id: int) -> Order:
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以确认收货。", "not_order_purchaser")
    move(order, OrderStatus.RECEIVED)
    order.received_at = clock.now()
    return order


def exchange_order(user: User, order_id: int, reason: str) -> Order:
    """Goods received but wrong or faulty: the supplier sends them again (at most the region's times)."""
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以申请换货。", "not_order_purchaser")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明换货理由。", code="reason_required", details={"field": "reason"})
    most = rules.value(order.region_code, "mall.max_exchanges")
    if order.exchanges >= most:
        raise Conflict(f"本订单已换货 {order.exchanges} 次，达到上限。", code="order_exchange_limit")
    move(order, OrderStatus.DISPATCHED, payload={"exchange": reason})
    order.exchanges += 1
    _tell(order, "采购单位申请换货", f"订单 {order.number}：{reason}", [order.supplier_org_id])
    return order


def return_order(user: User, order_id: int, reason: str) -> Order:
    """Goods sent back within the region's return period after receipt."""
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以退货。", "not_order_purchaser")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明退货理由。", code="reason_required", details={"field": "reason"})
    days = rules.value(order.region_code, "mall.return_days")
    if order.received_at is not None and clock.now() > order.received_at + timedelta(days=days):
        raise Conflict(f"收货已超过 {days} 天，不能退货。", code="order_return_late")
    _end(order, OrderStatus.RETURNED, reason)
    _tell(order, "采购单位退货", f"订单 {order.number}：{reason}", [order.supplier_org_id])
    return order


def accept_order(user: User, order_id: int, rating, note: str = "") -> Order:
    """The purchaser accepts the goods and rates the supplier (1–5); the payment period starts."""
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以验收。", "not_order_purchaser")
    try:
        score = int(rating)
    except (TypeError, ValueError):
        score = 0
    if isinstance(rating, bool) or not 1 <= score <= 5:
        raise ValidationError("请给出 1 至 5 分的评价。", code="rating_invalid", details={"field": "rating"})
    note = (note or "").strip()
    if len(note) > 300:
        raise ValidationError("评价说明不能超过 300 字。", code="rating_invalid", details={"field": "rating_note"})
    order.rating, order.rating_note = score, note
    move(order, OrderStatus.ACCEPTED, payload={"rating": score})
    now = clock.now()
    order.accepted_at = now
    order.pay_due_at = clock.end_of_local_day(clock.to_local(now).date()
                                              + timedelta(days=rules.value(order.region_code, "mall.pay_within_days")))
    record("mall.order_rated", order, {"rating": score, "note": note, "supplier": order.supplier_org_id})
    return order


def record_payment(user: User, order_id: int, amount_fen: int, paid_on: date, reference: str) -> Payment:
    """The purchaser (or finance) records a payment of an accepted order; paid in full, the order is done."""
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order) or user.has_role(Role.FINANCE_REVIEWER), "只有采购单位或财务可以登记付款。",
          "not_order_payer")
    if order.status is not OrderStatus.ACCEPTED:
        raise Conflict("订单验收后才能登记付款。", code="order_not_accepted")
    reference = (reference or "").strip()
    errors = {}
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        errors["amount_fen"] = "付款金额须大于零。"
    elif amount_fen > order.amount_fen - paid_total(order):
        errors["amount_fen"] = "付款金额超过未付金额。"
    if not isinstance(paid_on, date) or paid_on > clock.to_local(clock.now()).date():
        errors["paid_on"] = "付款日期不能晚于今天。"
    if not reference or len(reference) > 64:
        errors["reference"] = "请填写付款凭证号。"
    if errors:
        raise ValidationError("付款登记有误：" + "；".join(errors.values()), code="payment_invalid",
                              details={"fields": errors})
    payment = Payment(order_id=order.id, amount_fen=amount_fen, paid_on=paid_on, reference=reference,
                      recorded_by_id=user.id, recorded_at=clock.now())
    db.session.add(payment)
    db.session.flush()
    record("mall.payment_recorded", order, {"payment": payment.id, "amount_fen": amount_fen,
                                            "paid_on": paid_on.isoformat(), "reference": reference})
    if paid_total(order) >= order.amount_fen:
        order.paid_at = clock.now()
        move(order, OrderStatus.DONE)
    return payment


def paid_total(order: Order) -> int:
    return int(db.session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0))
                                 .where(Payment.order_id == order.id)) or 0)


def warn_overdue_payment(order: Order) -> bool:
    """The timed step: an accepted order not paid by its due time warns the region's finance bureau (once)."""
    from accounts.service import finance_orgs

    if order.status is not OrderStatus.ACCEPTED or order.pay_due_at is None or order.pay_due_at > clock.now() \
            or order.overdue_warned_at is not None:
        return False
    order.overdue_warned_at = clock.now()
    orgs = finance_orgs(order.region_code)
    record("mall.payment_overdue", order, {"due": order.pay_due_at.isoformat(), "finance_orgs": orgs,
                                           "unpaid_fen": order.amount_fen - paid_total(order)},
           actor="system:mall-sweep")
    _tell(order, "电子卖场订单逾期未付款", f"订单 {order.number} 验收后已超过付款期限，请督促支付。",
          [*orgs, order.purchaser_org_id])
    return True


# ---------------------------------------------------------------- disputes and credit


def raise_dispute(user: User, order_id: int, reason: str) -> Dispute:
    order = get_order(order_id, lock=True)
    _need(is_buyer(user, order), "只有本订单的采购单位可以提出争议。", "not_order_purchaser")
    if order.status in (OrderStatus.PLACED, OrderStatus.LAPSED):
        raise Conflict("订单确认前不能提出履约争议。", code="dispute_too_early")
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationError("请写明争议事由（500 字以内）。", code="reason_required", details={"field": "reason"})
    dispute = Dispute(order_id=order.id, supplier_org_id=order.supplier_org_id, reason=reason,
                      status=DisputeStatus.OPEN, raised_by_id=user.id, raised_at=clock.now())
    db.session.add(dispute)
    db.session.flush()
    record("mall.dispute_raised", dispute, {"order": order.id, "reason": reason})
    return dispute


def decide_dispute(user: User, dispute_id: int, upheld: bool, decision: str) -> Dispute:
    """A supervisor decides: upheld counts against the supplier's credit for a year."""
    if not user.has_role(Role.SUPERVISOR):
        raise Forbidden("只有监管部门可以处理履约争议。", code="not_supervisor")
    dispute = db.session.scalar(select(Dispute).where(Dispute.id == dispute_id).with_for_update())
    if dispute is None:
        raise NotFound("没有这项争议。", code="dispute_not_found")
    decision = (decision or "").strip()
    if not decision or len(decision) > 500:
        raise ValidationError("请写明处理意见（500 字以内）。", code="decision_required", details={"field": "decision"})
    move(dispute, DisputeStatus.UPHELD if upheld else DisputeStatus.DISMISSED, payload={"decision": decision})
    dispute.decided_by_id, dispute.decided_at, dispute.decision = user.id, clock.now(), decision
    db.session.flush()
    return dispute


def disputes_of(order: Order) -> list[Dispute]:
    return list(db.session.scalars(select(Dispute).where(Dispute.order_id == order.id).order_by(Dispute.id)))


def poor_marks(org_id: int, since: datetime) -> list[dict]:
    """What the supplier's credit deducts for from the e-mall: orders rated 2 or lower and upheld disputes
    since `since` (registered with `registry.credit.service.register_performance_feed`)."""
    rated = db.session.execute(select(Order.id, Order.rating).where(
        Order.supplier_org_id == org_id, Order.rating <= 2, Order.accepted_at >= since).order_by(Order.id)).all()
    upheld = db.session.scalars(select(Dispute.id).where(
        Dispute.supplier_org_id == org_id, Dispute.status == DisputeStatus.UPHELD, Dispute.decided_at >= since)
        .order_by(Dispute.id)).all()
    return ([{"mall_order": oid, "rating": score} for oid, score in rated]
            + [{"mall_dispute": did} for did in upheld])


# ---------------------------------------------------------------- reading


def orders_for(user: User, limit: int = 200) -> list[Order]:
    query = select(Order)
    if user.has_role(Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER):
        pass
    elif user.has_role(Role.SUPPLIER):
        query = query.where(Order.supplier_org_id == user.org_id)
    else:
        query = query.where(Order.purchaser_org_id == user.org_id)
    return list(db.session.scalars(query.order_by(Order.id.desc()).limit(limit)))
