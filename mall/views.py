"""Pages of the e-mall: the supermarket (search, a listing, compare, cart), orders with their actions, the
supplier's store, the review queue of listing changes, price monitoring, and the designated services.
Thin: each POST calls one service function and commits once."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Org, OrgKind, Region, Role
from core import clock
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from core.i18n import N_
from mall import contracts, kinds, orders, prices, services, supermarket
from mall.models import ListingPrice, ServiceAgreement
from mall.supermarket import Filters, ListingData, yuan_to_fen

bp = Blueprint("mall", __name__, url_prefix="/mall")
READERS = (Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN, Role.SUPERVISOR, Role.FINANCE_REVIEWER)
ORDER_LABELS = {"placed": N_("待供应商确认"), "confirmed": N_("已确认"), "dispatched": N_("已发货"),
                "received": N_("已收货"), "accepted": N_("已验收，待付款"), "done": N_("已完成"),
                "lapsed": N_("逾期未确认，已取消"), "cancelled": N_("已取消"), "returned": N_("已退货")}
LISTING_LABELS = {"live": N_("在售"), "frozen": N_("已冻结"), "withdrawn": N_("已撤下")}
SERVICE_LABELS = {"placed": N_("已下单"), "billed": N_("已出账单"), "paid": N_("已确认支付"), "cancelled": N_("已取消")}
SOURCE_LABELS = {"official": N_("厂商官方指导价"), "platform": N_("电商平台自营价"), "market": N_("市场调查价")}


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


def _regions():
    return db.session.scalars(select(Region).order_by(Region.code)).all()


def _optional_fen(text: str, field: str, label: str) -> int | None:
    return yuan_to_fen(text, field, label) if (text or "").strip() else None


def _listing_form() -> ListingData:
    form = request.form
    return ListingData(price_fen=yuan_to_fen(form.get("price", ""), "price_fen", _("挂牌价")),
                       region_codes=form.getlist("region_codes"), unit=form.get("unit", ""),
                       install_fee_fen=yuan_to_fen(form.get("install_fee") or "0", "install_fee_fen", _("安装费"),
                                                   allow_zero=True),
                       service_fee_fen=yuan_to_fen(form.get("service_fee") or "0", "service_fee_fen", _("服务费"),
                                                   allow_zero=True),
                       in_stock=form.get("in_stock", "1") == "1")


# ---------------------------------------------------------------- supermarket


@bp.get("/")
@roles_required(*READERS)
def index():
    args = request.args
    error = None
    try:
        filters = Filters(words=args.get("q", ""), code=args.get("code", ""), brand=args.get("brand", ""),
                          price_min_fen=_optional_fen(args.get("min", ""), "min", _("最低价")),
                          price_max_fen=_optional_fen(args.get("max", ""), "max", _("最高价")),
                          region_code=args.get("region") or None)
        hits = supermarket.search_listings(filters)
    except ValidationError as exc:
        filters, hits, error = Filters(), [], exc.message
    return render_template("mall/index.html", hits=hits, filters=filters, args=args, error=error,
                           brands=supermarket.brands(), regions=_regions(), kinds=kinds.all_kinds(),
                           tree=supermarket.catalogue_tree(),
                           is_purchaser=current_user.has_role(Role.PURCHASER),
                           is_supplier=current_user.has_role(Role.SUPPLIER),
                           may_review=supermarket.is_reviewer_user(current_user))


@bp.get("/listings/<int:listing_id>")
@roles_required(*READERS)
def listing(listing_id: int):
    row = supermarket.get_listing(listing_id)
    if not supermarket.can_see(current_user, row):
        abort(404)
    history = db.session.scalars(select(ListingPrice).where(ListingPrice.listing_id == row.id)
                                 .order_by(ListingPrice.at.desc(), ListingPrice.id.desc()).limit(20)).all()
    return render_template("mall/listing.html", listing=row, labels=LISTING_LABELS, history=history,
                           version=supermarket.version_of(row), references=prices.latest_references(row.product_id),
                           reference=prices.reference_of(row.product_id), source_labels=SOURCE_LABELS,
                           median=prices.median_live_quote(row.product_id),
                           quartiles=prices.order_quartiles(row.product_id), regions=_regions(),
                           own=current_user.has_role(Role.SUPPLIER) and row.supplier_org_id == current_user.org_id,
                           is_purchaser=current_user.has_role(Role.PURCHASER),
                           pending=supermarket.pending_change(row))


@bp.get("/compare")
@roles_required(*READERS)
def compare():
    try:
        rows = supermarket.compare([int(i) for i in request.args.getlist("ids") if i.isdigit()])
    except DomainError as exc:
        flash(exc.message, "warning")
        return redirect(url_for("mall.index"))
    return render_template("mall/compare.html", rows=rows, is_purchaser=current_user.has_role(Role.PURCHASER))


@bp.get("/cart")
@roles_required(Role.PURCHASER)
def cart():
    from plan.service import remaining_fen, usable_confirmations

    items = orders.cart_of(current_user)
    confirmations = [(c, remaining_fen(c)) for c in usable_confirmations(current_user.org_id)]
    return render_template("mall/cart.html", cart_items=items, confirmations=confirmations,
                           total=sum(orders.line_total(i.listing, i.quantity) for i in items))


@bp.post("/cart")
@roles_required(Role.PURCHASER)
def add_to_cart():
    try:
        orders.add_to_cart(current_user, int(request.form.get("listing_id") or 0), request.form.get("quantity", ""))
    except DomainError as exc:
        return _failed(exc, "mall.cart")
    return _done(_("已加入购物车。"), "mall.cart")


@bp.post("/cart/<int:listing_id>/remove")
@roles_required(Role.PURCHASER)
def remove_from_cart(listing_id: int):
    orders.remove_from_cart(current_user, listing_id)
    return _done(_("已移出购物车。"), "mall.cart")


@bp.post("/cart/order")
@roles_required(Role.PURCHASER)
def place_cart():
    try:
        chosen = request.form.get("confirmation_id", "")
        placed = orders.place_cart(current_user, request.form.get("delivery_address", ""),
                                   int(chosen) if chosen.isdigit() else None)
    except DomainError as exc:
        return _failed(exc, "mall.cart")
    db.session.commit()
    flash(_("已下单 %(n)s 张，等待供应商确认。", n=len(placed)), "success")
    return redirect(url_for("mall.order", order_id=placed[0].id))


# ---------------------------------------------------------------- orders


@bp.get("/orders")
@roles_required(*READERS)
def order_list():
    return render_template("mall/orders.html", rows=orders.orders_for(current_user), labels=ORDER_LABELS)


@bp.get("/orders/<int:order_id>")
@roles_required(*READERS)
def order(order_id: int):
    row = orders.get_order(order_id)
    if not orders.can_see(current_user, row):
        abort(404)
    return render_template("mall/order.html", order=row, labels=ORDER_LABELS,
                           buyer=orders.is_buyer(current_user, row), seller=orders.is_seller(current_user, row),
                           supervisor=current_user.has_role(Role.SUPERVISOR),
                           finance=current_user.has_role(Role.FINANCE_REVIEWER), paid=orders.paid_total(row),
                           contract=contracts.contract_of(row), disputes=orders.disputes_of(row),
                           contractable=row.status in contracts.CONTRACTABLE, today=clock.to_local(clock.now()).date())


def _order_action(order_id: int, action: str):
    form, user = request.form, current_user
    if action == "confirm":
        orders.confirm_order(user, order_id)
        return _("订单已确认。")
    if action == "cancel":
        orders.cancel_order(user, order_id, form.get("reason", ""))
        return _("订单已取消。")
    if action == "dispatch":
        orders.dispatch_order(user, order_id)
        return _("已发货。")
    if action == "receive":
        orders.receive_order(user, order_id)
        return _("已确认收货。")
    if action == "exchange":
        orders.exchange_order(user, order_id, form.get("reason", ""))
        return _("已申请换货。")
    if action == "return":
        orders.return_order(user, order_id, form.get("reason", ""))
        return _("已退货。")
    if action == "accept":
        orders.accept_order(user, order_id, form.get("rating", ""), form.get("rating_note", ""))
        return _("已验收并评价。")
    if action == "pay":
        try:
            paid_on = date.fromisoformat(form.get("paid_on", ""))
        except ValueError:
            raise ValidationError(_("请填写付款日期。"), code="payment_invalid", details={"field": "paid_on"}) from None
        orders.record_payment(user, order_id, yuan_to_fen(form.get("amount", ""), "amount_fen", _("付款金额")),
                              paid_on, form.get("reference", ""))
        return _("付款已登记。")
    if action == "contract":
        contract = contracts.draft_contract(user, order_id)
        db.session.commit()
        return contract
    if action == "dispute":
        orders.raise_dispute(user, order_id, form.get("reason", ""))
        return _("争议已提交监管部门。")
    abort(404)


@bp.post("/orders/<int:order_id>/<action>")
@roles_required(*READERS)
def order_action(order_id: int, action: str):
    try:
        message = _order_action(order_id, action)
    except DomainError as exc:
        return _failed(exc, "mall.order", order_id=order_id)
    if not isinstance(message, str):
        flash(_("合同已起草，请双方用签名密钥签署。"), "success")
        return redirect(f"/contracts/{message.id}")
    return _done(message, "mall.order", order_id=order_id)


@bp.post("/disputes/<int:dispute_id>")
@roles_required(Role.SUPERVISOR)
def decide_dispute(dispute_id: int):
    order_id = int(request.form.get("order_id") or 0)
    try:
        orders.decide_dispute(current_user, dispute_id, request.form.get("upheld") == "1",
                              request.form.get("decision", ""))
    except DomainError as exc:
        return _failed(exc, "mall.order", order_id=order_id)
    return _done(_("争议已处理。"), "mall.order", order_id=order_id)


# ---------------------------------------------------------------- the supplier's store


@bp.get("/store")
@roles_required(Role.SUPPLIER)
def store():
    own = supermarket.store_of(current_user.org_id)
    return render_template("mall/store.html", store=own, labels=LISTING_LABELS, regions=_regions(),
                           listings=supermarket.listings_of_store(own) if own else [],
                           products=supermarket.store_products(own) if own else [],
                           admitted=supermarket.is_admitted(current_user.org_id))


@bp.post("/store")
@roles_required(Role.SUPPLIER)
def open_store():
    try:
        supermarket.open_store(current_user, request.form.get("name", ""))
    except DomainError as exc:
        return _failed(exc, "mall.store")
    return _done(_("店铺已开设。"), "mall.store")


@bp.post("/store/listings")
@roles_required(Role.SUPPLIER)
def list_product():
    try:
        row = supermarket.list_product(current_user, int(request.form.get("product_id") or 0), _listing_form())
    except DomainError as exc:
        return _failed(exc, "mall.store")
    return _done(_("已挂牌。"), "mall.listing", listing_id=row.id)


@bp.post("/listings/<int:listing_id>/change")
@roles_required(Role.SUPPLIER)
def change_listing(listing_id: int):
    try:
        supermarket.propose_change(current_user, supermarket.get_listing(listing_id), _listing_form())
    except DomainError as exc:
        return _failed(exc, "mall.listing", listing_id=listing_id)
    return _done(_("变更已提交审核，审核通过前按原挂牌信息销售。"), "mall.listing", listing_id=listing_id)


@bp.post("/listings/<int:listing_id>/withdraw")
@roles_required(Role.SUPPLIER)
def withdraw_listing(listing_id: int):
    try:
        supermarket.withdraw_listing(current_user, supermarket.get_listing(listing_id))
    except DomainError as exc:
        return _failed(exc, "mall.listing", listing_id=listing_id)
    return _done(_("已撤下。"), "mall.store")


# ---------------------------------------------------------------- review and price monitoring


@bp.get("/review")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review():
    if not supermarket.is_reviewer_user(current_user):
        abort(403)
    return render_template("mall/review.html", changes=supermarket.review_queue())


@bp.post("/review/<int:change_id>")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def decide_change(change_id: int):
    try:
        if request.form.get("decision") == "accept":
            supermarket.accept_change(current_user, change_id, request.form.get("note", ""))
        else:
            supermarket.reject_change(current_user, change_id, request.form.get("note", ""))
    except DomainError as exc:
        return _failed(exc, "mall.review")
    return _done(_("审核已完成。"), "mall.review")


@bp.get("/prices")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN, Role.SUPERVISOR)
def price_watch():
    return render_template("mall/prices.html", report=prices.latest_report(), frozen=supermarket.frozen_listings(),
                           references=prices.recent_references(), source_labels=SOURCE_LABELS,
                           may_enter=supermarket.is_reviewer_user(current_user))


@bp.post("/prices")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def enter_reference():
    form = request.form
    try:
        captured = clock.parse_local(form.get("captured_at", "")) if form.get("captured_at") else clock.now()
        prices.enter_reference_price(current_user, int(form.get("product_id") or 0), form.get("source_kind", ""),
                                     form.get("source", ""), yuan_to_fen(form.get("price", ""), "price_fen",
                                                                         _("参考价")),
                                     captured, form.get("evidence", ""))
    except (DomainError, ValueError) as exc:
        return _failed(exc if isinstance(exc, DomainError) else ValidationError(_("采集时间格式不正确。")),
                       "mall.price_watch")
    return _done(_("参考价已录入，超过参考价的挂牌已自动冻结。"), "mall.price_watch")


@bp.post("/prices/import")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def import_references():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("请选择文件。"), "warning")
        return redirect(url_for("mall.price_watch"))
    try:
        report = prices.import_reference_prices(current_user, upload.read(), upload.filename)
    except DomainError as exc:
        return _failed(exc, "mall.price_watch")
    if not report.ok:
        db.session.rollback()
        flash(_("文件有误，未导入：") + "；".join(f"{p.row} {p.column} {p.reason}" for p in report.problems[:10]),
              "danger")
        return redirect(url_for("mall.price_watch"))
    return _done(_("已导入参考价 %(n)s 条。", n=report.created), "mall.price_watch")


@bp.post("/prices/check")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def run_check():
    if not supermarket.is_reviewer_user(current_user):
        abort(403)
    report = prices.check_prices()
    return _done(_("价格复核完成：检查 %(n)s 件，冻结 %(f)s 件。", n=report.checked, f=report.frozen),
                 "mall.price_watch")


# ---------------------------------------------------------------- designated services


@bp.get("/services")
@roles_required(*READERS)
def service_list():
    suppliers = db.session.scalars(select(Org).where(Org.kind == OrgKind.SUPPLIER).order_by(Org.id).limit(300)).all()
    return render_template("mall/services.html", agreements=services.agreements(), categories=services.CATEGORIES,
                           purposes=services.PURPOSES, purpose_labels=services.PURPOSE_LABELS,
                           rows=services.service_orders_for(current_user), labels=SERVICE_LABELS,
                           filed=services.filed_price, may_file=services.may_file(current_user),
                           suppliers=suppliers, is_purchaser=current_user.has_role(Role.PURCHASER))


def _lines(text: str, width: int, label: str) -> list[list[str]]:
    rows = []
    for n, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in raw.split("|")]
        if len(cells) != width:
            raise ValidationError(_("%(label)s第 %(n)s 行应有 %(w)s 栏，用“|”分隔。", label=label, n=n, w=width),
                                  code="lines_invalid")
        rows.append(cells)
    return rows


def _count(text: str, label: str) -> int:
    if not text.strip().isdigit():
        raise ValidationError(_("%(label)s须为正整数。", label=label), code="quantity_invalid")
    return int(text.strip())


@bp.post("/services/agreements")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN, Role.FINANCE_REVIEWER)
def file_agreement():
    form = request.form
    try:
        items = [services.PriceItem(c[0], c[1], c[2], yuan_to_fen(c[3], "items", _("挂牌价")),
                                    yuan_to_fen(c[4], "items", _("最高限价")))
                 for c in _lines(form.get("items", ""), 5, _("价格清单"))]
        try:
            start, end = date.fromisoformat(form.get("valid_from", "")), date.fromisoformat(form.get("valid_to", ""))
        except ValueError:
            raise ValidationError(_("请填写有效期。"), code="agreement_validity_invalid") from None
        services.file_agreement(current_user, int(form.get("supplier_org_id") or 0), form.get("category", ""),
                                form.get("title", ""), _count(form.get("min_discount_pct", ""), _("最低折扣率")),
                                start, end, items)
    except DomainError as exc:
        return _failed(exc, "mall.service_list")
    return _done(_("定点服务协议已备案。"), "mall.service_list")


@bp.post("/services/<int:agreement_id>/orders")
@roles_required(Role.PURCHASER)
def place_service_order(agreement_id: int):
    form = request.form
    try:
        row = services.place_service_order(
            current_user, agreement_id, form.get("purpose", ""), form.get("subject", ""),
            yuan_to_fen(form.get("negotiated", ""), "negotiated_fen", _("商定价格")),
            days=_count(form.get("days", "1"), _("天数")), persons=_count(form.get("persons", "1"), _("人数")),
            vehicle_plate=form.get("vehicle_plate", ""))
    except DomainError as exc:
        return _failed(exc, "mall.service_list")
    return _done(_("定点服务订单已下达。"), "mall.service_order", order_id=row.id)


@bp.get("/services/orders/<int:order_id>")
@roles_required(*READERS)
def service_order(order_id: int):
    row = services.get_service_order(order_id)
    user = current_user
    if not (user.org_id in (row.purchaser_org_id, row.supplier_org_id)
            or user.has_role(Role.SUPERVISOR, Role.ADMIN, Role.FINANCE_REVIEWER, Role.AGENCY_STAFF)):
        abort(404)
    agreement = db.session.get(ServiceAgreement, row.agreement_id)
    return render_template("mall/service_order.html", order=row, agreement=agreement, labels=SERVICE_LABELS,
                           purpose_labels=services.PURPOSE_LABELS, filed=services.filed_price,
                           seller=user.has_role(Role.SUPPLIER) and user.org_id == row.supplier_org_id,
                           buyer=user.has_role(Role.PURCHASER) and user.org_id == row.purchaser_org_id)


@bp.post("/services/orders/<int:order_id>/bill")
@roles_required(Role.SUPPLIER)
def enter_bill(order_id: int):
    try:
        entries = [services.BillEntry(c[0], c[1], c[2], _count(c[3], _("数量")), yuan_to_fen(c[4], "lines", _("单价")))
                   for c in _lines(request.form.get("lines", ""), 5, _("账单"))]
        row = services.enter_bill(current_user, order_id, entries)
    except DomainError as exc:
        return _failed(exc, "mall.service_order", order_id=order_id)
    db.session.commit()
    if row.bill_blocked_lines:
        flash(_("账单已录入，第 %(lines)s 行高于备案价格清单，采购单位不能确认支付。",
                lines="、".join(str(n) for n in row.bill_blocked_lines)), "warning")
    else:
        flash(_("账单已录入，逐行核对无误。"), "success")
    return redirect(url_for("mall.service_order", order_id=order_id))


@bp.post("/services/orders/<int:order_id>/pay")
@roles_required(Role.PURCHASER)
def confirm_service_payment(order_id: int):
    try:
        services.confirm_service_payment(current_user, order_id)
    except DomainError as exc:
        return _failed(exc, "mall.service_order", order_id=order_id)
    return _done(_("已确认支付。"), "mall.service_order", order_id=order_id)
