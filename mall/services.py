"""Designated services (定点服务) run as service framework agreements: hotels and meetings, vehicle repair,
vehicle insurance, printing.

The finance bureau (or the central agency) files each entrant's agreement: its minimum discount rate and
its price list (labour hours, parts, room nights, meeting rooms, pages…), each item with its unit, list
price and ceiling. The filed price of an item is the lower of its ceiling and its list price after the
minimum discount. A purchaser's order records the price negotiated within the ceiling and the per-unit
budget cap (meeting or training: the region's per-person per-day cap × persons × days; vehicle repair: the
region's yearly cap per vehicle, less what the vehicle already cost this year). The supplier enters the
bill line by line; each line is checked against the filed price list, and payment is confirmed only when
no line is above its filed price by more than `mall.bill_deviation_pct` — the lines above are named.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from accounts.models import Org, OrgKind, Role, User
from audit.service import record
from core import clock, money
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from core.transitions import move
from mall import rules
from mall.models import BillLine, PriceListItem, ServiceAgreement, ServiceOrder
from mall.transitions import ServiceOrderStatus

CATEGORIES = {"hotel": N_("会议及住宿"), "vehicle_repair": N_("公务车辆维修"), "vehicle_insurance": N_("公务车辆保险"),
              "printing": N_("印刷")}
PURPOSES = {"hotel": ("meeting", "training"), "vehicle_repair": ("repair",), "vehicle_insurance": ("insurance",),
            "printing": ("printing",)}
PURPOSE_LABELS = {"meeting": N_("会议"), "training": N_("培训"), "repair": N_("车辆维修"), "insurance": N_("车辆保险"),
                  "printing": N_("印刷")}
MAX_ITEMS = 500
MAX_LINES = 200


def _fail(message: str, code: str, **details) -> ValidationError:
    return ValidationError(message, code=code, details=details)


# ---------------------------------------------------------------- agreements


def may_file(user: User) -> bool:
    from registry.products.service import is_reviewer

    return is_reviewer(user) or (user.has_role(Role.FINANCE_REVIEWER) and user.org is not None
                                 and user.org.kind is OrgKind.FINANCE)


@dataclass
class PriceItem:
    code: str
    name: str
    unit: str
    list_price_fen: int
    ceiling_fen: int


def check_price_list(items: list[PriceItem]) -> list[PriceItem]:
    """Every item complete (code, name, unit, list price and ceiling above zero), codes unique: all problems
    are named at once, by line."""
    if not items:
        raise _fail("价格清单不能为空。", "price_list_empty", field="items")
    if len(items) > MAX_ITEMS:
        raise _fail(f"价格清单最多 {MAX_ITEMS} 项。", "price_list_too_long", field="items")
    problems: list[str] = []
    seen: set[str] = set()
    out = []
    for n, item in enumerate(items, start=1):
        code, name, unit = (item.code or "").strip(), (item.name or "").strip(), (item.unit or "").strip()
        if not code or len(code) > 32:
            problems.append(f"第 {n} 项缺少编号")
        elif code in seen:
            problems.append(f"第 {n} 项编号 {code} 重复")
        seen.add(code)
        if not name or len(name) > 120:
            problems.append(f"第 {n} 项缺少名称")
        if not unit or len(unit) > 16:
            problems.append(f"第 {n} 项（{name or code}）缺少计量单位")
        for value, label in ((item.list_price_fen, "挂牌价"), (item.ceiling_fen, "最高限价")):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                problems.append(f"第 {n} 项{label}须为大于零的整数（分）")
        out.append(PriceItem(code, name, unit, item.list_price_fen, item.ceiling_fen))
    if problems:
        raise _fail("价格清单有误：" + "；".join(problems) + "。", "price_list_invalid", field="items",
                    problems=problems)
    return out


def file_agreement(user: User, supplier_org_id: int, category: str, title: str, min_discount_pct: int,
                   valid_from: date, valid_to: date, items: list[PriceItem], region_code: str | None = None
                   ) -> ServiceAgreement:
    """File an entrant's service agreement with its price list (all of it checked before anything is written)."""
    if not may_file(user):
        raise Forbidden("只有财政部门或集中采购机构可以备案定点服务协议。", code="not_agreement_filer")
    supplier = db.session.get(Org, supplier_org_id)
    if supplier is None or supplier.kind is not OrgKind.SUPPLIER:
        raise _fail("请选择定点供应商。", "agreement_supplier_invalid", field="supplier_org_id")
    if category not in CATEGORIES:
        raise _fail("请选择服务类别。", "agreement_category_invalid", field="category")
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise _fail("请填写协议名称（200 字以内）。", "agreement_title_required", field="title")
    if isinstance(min_discount_pct, bool) or not isinstance(min_discount_pct, int) or not 0 <= min_discount_pct <= 90:
        raise _fail("最低折扣率须为 0 至 90 之间的整数（%）。", "agreement_discount_invalid", field="min_discount_pct")
    if not isinstance(valid_from, date) or not isinstance(valid_to, date) or valid_to < valid_from:
        raise _fail("请填写有效期（截止日不早于起始日）。", "agreement_validity_invalid", field="valid_to")
    clean = check_price_list(items)
    agreement = ServiceAgreement(region_code=region_code or user.region_code, category=category,
                                 supplier_org_id=supplier.id, title=title, min_discount_pct=min_discount_pct,
                                 valid_from=valid_from, valid_to=valid_to, filed_at=clock.now(), filed_by_id=user.id,
                                 items=[PriceListItem(code=i.code, name=i.name, unit=i.unit,
                                                      list_price_fen=i.list_price_fen, ceiling_fen=i.ceiling_fen)
                                        for i in clean])
    db.session.add(agreement)
    db.session.flush()
    record("mall.service_agreement_filed", agreement, {
        "supplier": supplier.id, "category": category, "min_discount_pct": min_discount_pct,
        "valid": [valid_from.isoformat(), valid_to.isoformat()],
        "items": [[i.code, i.unit, i.list_price_fen, i.ceiling_fen] for i in clean]})
    return agreement


def filed_price(agreement: ServiceAgreement, item: PriceListItem) -> int:
    """The most an item may be billed at: its ceiling, or its list price after the minimum discount if lower."""
    discounted = item.list_price_fen * (100 - agreement.min_discount_pct) // 100
    return min(item.ceiling_fen, discounted)


def get_agreement(agreement_id: int) -> ServiceAgreement:
    agreement = db.session.get(ServiceAgreement, agreement_id)
    if agreement is None:
        raise NotFound("没有这份定点服务协议。", code="agreement_not_found")
    return agreement


def agreements(region_code: str | None = None, category: str | None = None) -> list[ServiceAgreement]:
    query = select(ServiceAgreement)
    if category:
        query = query.where(ServiceAgreement.category == category)
    return list(db.session.scalars(query.order_by(ServiceAgreement.category, ServiceAgreement.id)))


# ---------------------------------------------------------------- orders and their caps


def vehicle_spent(org_id: int, plate: str, year: int) -> int:
    """What the unit's orders for this vehicle came to this (local) calendar year."""
    start = clock.end_of_local_day(date(year, 1, 1) - timedelta(days=1))
    return int(db.session.scalar(select(func.coalesce(func.sum(ServiceOrder.negotiated_fen), 0)).where(
        ServiceOrder.purchaser_org_id == org_id, ServiceOrder.vehicle_plate == plate,
        ServiceOrder.status != ServiceOrderStatus.CANCELLED, ServiceOrder.placed_at > start)) or 0)


def cap_for(region_code: str, purpose: str, days: int, persons: int, org_id: int, plate: str) -> int | None:
    """The per-unit budget cap of an order: meeting/training per person per day; a vehicle's yearly cap less
    what it already cost this year; None where the region sets none (insurance, printing)."""
    if purpose in ("meeting", "training"):
        return rules.value(region_code, f"mall.cap.{purpose}_day_fen") * days * persons
    if purpose == "repair":
        year = clock.to_local(clock.now()).year
        return max(0, rules.value(region_code, "mall.cap.vehicle_year_fen") - vehicle_spent(org_id, plate, year))
    return None


def place_service_order(user: User, agreement_id: int, purpose: str, subject: str, negotiated_fen: int, *,
                        days: int = 1, persons: int = 1, vehicle_plate: str = "") -> ServiceOrder:
    """A purchaser orders from a designated entrant at a price negotiated within the ceiling and the cap."""
    if not user.has_role(Role.PURCHASER) or user.org_id is None:
        raise Forbidden("只有采购单位的经办人可以下单。", code="not_purchaser")
    agreement = get_agreement(agreement_id)
    today = clock.to_local(clock.now()).date()
    if not agreement.valid_from <= today <= agreement.valid_to:
        raise Conflict("该定点协议不在有效期内。", code="agreement_not_valid")
    if purpose not in PURPOSES[agreement.category]:
        raise _fail("服务用途与协议类别不符。", "service_purpose_invalid", field="purpose")
    subject, plate = (subject or "").strip(), (vehicle_plate or "").strip().upper()
    if not subject or len(subject) > 200:
        raise _fail("请填写服务事由（200 字以内）。", "service_subject_required", field="subject")
    for value, name, label in ((days, "days", "天数"), (persons, "persons", "人数")):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10000:
            raise _fail(f"{label}须为正整数。", "quantity_invalid", field=name)
    if purpose == "repair" and not 5 <= len(plate) <= 10:
        raise _fail("请填写车牌号。", "vehicle_plate_required", field="vehicle_plate")
    if isinstance(negotiated_fen, bool) or not isinstance(negotiated_fen, int) or negotiated_fen <= 0:
        raise _fail("商定价格须为大于零的金额。", "amount_invalid", field="negotiated_fen")
    region = user.org.region_code
    cap = cap_for(region, purpose, days, persons, user.org_id, plate)
    if cap is not None and negotiated_fen > cap:
        raise Conflict(f"商定价格 {money.format_yuan(negotiated_fen)} 元超过本单位的定额上限 "
                       f"{money.format_yuan(cap)} 元。",
                       code="service_above_cap", details={"cap_fen": cap})
    order = ServiceOrder(number=f"DD{clock.format_local(clock.now(), '%Y%m%d')}{secrets.token_hex(3).upper()}",
                         agreement_id=agreement.id, region_code=region, purchaser_org_id=user.org_id,
                         supplier_org_id=agreement.supplier_org_id, placed_by_id=user.id, purpose=purpose,
                         subject=subject, vehicle_plate=plate, days=days, persons=persons,
                         negotiated_fen=negotiated_fen, cap_fen=cap, status=ServiceOrderStatus.PLACED,
                         rules_version=rules.version(region), placed_at=clock.now(), bill_blocked_lines=[])
    db.session.add(order)
    db.session.flush()
    record("mall.service_order_placed", order, {"agreement": agreement.id, "purpose": purpose,
                                                "negotiated_fen": negotiated_fen, "cap_fen": cap,
                                                "days": days, "persons": persons, "vehicle": plate})
    return order


def get_service_order(order_id: int, lock: bool = False) -> ServiceOrder:
    stmt = select(ServiceOrder).where(ServiceOrder.id == order_id)
    order = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise NotFound("没有这张定点服务订单。", code="service_order_not_found")
    return order


# ---------------------------------------------------------------- the bill, line by line


@dataclass
class BillEntry:
    item_code: str
    description: str
    unit: str
    quantity: int
    unit_price_fen: int


def check_line(agreement: ServiceAgreement, items: dict[str, PriceListItem], entry: BillEntry, pct: int
               ) -> tuple[int | None, int | None, bool, str]:
    """(filed price, deviation in basis points, blocked, reason) of one bill line."""
    item = items.get(entry.item_code)
    if item is None:
        return None, None, True, "不在备案价格清单内"
    if entry.unit != item.unit:
        return filed_price(agreement, item), None, True, f"计量单位“{entry.unit}”与备案单位“{item.unit}”不符"
    filed = filed_price(agreement, item)
    deviation = (entry.unit_price_fen - filed) * 10000 // filed
    if entry.unit_price_fen * 100 > filed * (100 + pct):
        return filed, deviation, True, (f"单价 {money.format_yuan(entry.unit_price_fen)} 元高于备案价 "
                                        f"{money.format_yuan(filed)} 元")
    return filed, deviation, False, ""


def enter_bill(user: User, order_id: int, entries: list[BillEntry]) -> ServiceOrder:
    """The supplier enters (or corrects) the bill; every line is checked against the filed price list now."""
    order = get_service_order(order_id, lock=True)
    if not (user.has_role(Role.SUPPLIER) and user.org_id == order.supplier_org_id):
        raise Forbidden("只有本订单的定点供应商可以录入账单。", code="not_service_supplier")
    if not entries or len(entries) > MAX_LINES:
        raise _fail(f"账单须有 1 至 {MAX_LINES} 行。", "bill_empty", field="lines")
    problems = []
    for n, e in enumerate(entries, start=1):
        if not (e.item_code or "").strip() or not (e.unit or "").strip():
            problems.append(f"第 {n} 行缺少项目编号或计量单位")
        if isinstance(e.quantity, bool) or not isinstance(e.quantity, int) or not 1 <= e.quantity <= 1_000_000:
            problems.append(f"第 {n} 行数量须为正整数")
        if isinstance(e.unit_price_fen, bool) or not isinstance(e.unit_price_fen, int) or e.unit_price_fen <= 0:
            problems.append(f"第 {n} 行单价须为大于零的金额")
    if problems:
        raise _fail("账单有误：" + "；".join(problems) + "。", "bill_invalid", field="lines", problems=problems)
    agreement = order.agreement
    items = {i.code: i for i in agreement.items}
    pct = rules.value(order.region_code, "mall.bill_deviation_pct")
    lines, blocked = [], []
    for n, e in enumerate(entries, start=1):
        entry = BillEntry(e.item_code.strip(), (e.description or "").strip()[:200], e.unit.strip(), e.quantity,
                          e.unit_price_fen)
        filed, deviation, stop, reason = check_line(agreement, items, entry, pct)
        if stop:
            blocked.append(n)
        lines.append(BillLine(number=n, item_code=entry.item_code, description=entry.description or entry.item_code,
                              unit=entry.unit, quantity=entry.quantity, unit_price_fen=entry.unit_price_fen,
                              total_fen=entry.quantity * entry.unit_price_fen, filed_price_fen=filed,
                              deviation_bp=deviation, blocked=stop, reason=reason))
    move(order, ServiceOrderStatus.BILLED)
    order.lines.clear()
    db.session.flush()
    order.lines.extend(lines)
    order.billed_at, order.bill_total_fen = clock.now(), sum(line.total_fen for line in lines)
    order.bill_blocked_lines = blocked
    db.session.flush()
    record("mall.service_bill_entered", order, {
        "total_fen": order.bill_total_fen, "blocked_lines": blocked, "deviation_pct": pct,
        "lines": [[x.number, x.item_code, x.unit, x.quantity, x.unit_price_fen, x.filed_price_fen] for x in lines]})
    return order


def blocked_lines(order: ServiceOrder) -> list[BillLine]:
    return [line for line in order.lines if line.blocked]


def confirm_service_payment(user: User, order_id: int) -> ServiceOrder:
    """The purchaser confirms payment of a checked bill: refused, naming the lines, while any is above the
    filed price list; the bill total must also stay within the negotiated price."""
    order = get_service_order(order_id, lock=True)
    if not (user.has_role(Role.PURCHASER) and user.org_id == order.purchaser_org_id):
        raise Forbidden("只有本订单的采购单位可以确认支付。", code="not_service_purchaser")
    if order.status is not ServiceOrderStatus.BILLED:
        raise Conflict("供应商录入账单后才能确认支付。", code="bill_not_entered")
    stopped = blocked_lines(order)
    if stopped:
        named = "；".join(f"第 {line.number} 行 {line.description}：{line.reason}" for line in stopped)
        raise Conflict(f"账单有 {len(stopped)} 行不符合备案价格清单，不能确认支付：{named}。",
                       code="bill_above_price_list", details={"lines": [line.number for line in stopped]})
    if order.bill_total_fen > order.negotiated_fen:
        raise Conflict(f"账单合计 {money.format_yuan(order.bill_total_fen)} 元超过商定价格 "
                       f"{money.format_yuan(order.negotiated_fen)} 元，不能确认支付。", code="bill_above_negotiated")
    move(order, ServiceOrderStatus.PAID, payload={"total_fen": order.bill_total_fen})
    order.paid_at = clock.now()
    return order


def service_orders_for(user: User, limit: int = 200) -> list[ServiceOrder]:
    query = select(ServiceOrder)
    if user.has_role(Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER, Role.AGENCY_STAFF):
        pass
    elif user.has_role(Role.SUPPLIER):
        query = query.where(ServiceOrder.supplier_org_id == user.org_id)
    else:
        query = query.where(ServiceOrder.purchaser_org_id == user.org_id)
    return list(db.session.scalars(query.order_by(ServiceOrder.id.desc()).limit(limit)))
