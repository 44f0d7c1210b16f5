"""Pages of the product library: search, a product with its versions and offers, a supplier's proposals
and offers, and the review queue."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Region, Role
from core import money
from core.auth import roles_required
from core.db import db
from core.errors import DomainError, ValidationError
from core.i18n import N_
from registry.catalogue import service as catalogue
from registry.products import search, service
from registry.products.models import ProductStatus

bp = Blueprint("registry_products", __name__, url_prefix="/products")
READERS = (Role.PURCHASER, Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN, Role.SUPERVISOR, Role.FINANCE_REVIEWER)
STATUS_LABELS = {"active": N_("在库"), "hidden": N_("未确认，已隐藏"), "withdrawn": N_("已下架"),
                 "pending": N_("待审核"), "accepted": N_("已通过"), "rejected": N_("未通过")}


def _done(message: str, endpoint: str, **values):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def _failed(exc: DomainError, endpoint: str, **values):
    db.session.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


def _price_fen(text: str) -> int:
    try:
        return money.parse_yuan(text)
    except money.MoneyError:
        raise ValidationError(_("价格请填写不小于零的金额（元），最多两位小数。"), code="price_invalid",
                              details={"field": "price_fen"}) from None


def _regions():
    return db.session.scalars(select(Region).order_by(Region.code)).all()


@bp.get("/")
@roles_required(*READERS)
def index():
    words, code = request.args.get("q", ""), request.args.get("code", "")
    hits = search.search_products(words, code, region_code=request.args.get("region") or None)
    names = catalogue.names_of([h.catalogue_code for h in hits])
    return render_template("registry/products/index.html", hits=hits, words=words, code=code, names=names,
                           may_review=service.is_reviewer(current_user),
                           is_supplier=current_user.has_role(Role.SUPPLIER))


@bp.get("/<int:product_id>")
@roles_required(*READERS)
def detail(product_id: int):
    product = service.get_product(product_id)
    own = current_user.has_role(Role.SUPPLIER) and product.supplier_org_id == current_user.org_id
    if product.status != ProductStatus.ACTIVE and not (own or service.is_reviewer(current_user)):
        from core.errors import NotFound

        raise NotFound(_("没有这个商品。"), code="product_not_found")
    mine = None
    if current_user.has_role(Role.SUPPLIER):
        mine = next((o for o in service.offers_of_supplier(current_user.org_id or 0)
                     if o.product_id == product.id), None)
    return render_template("registry/products/detail.html", product=product, own=own, labels=STATUS_LABELS,
                           offers=search.offers_of(product.id), mine=mine, regions=_regions(),
                           is_supplier=current_user.has_role(Role.SUPPLIER))


@bp.route("/propose", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def propose():
    return _proposal_form(None)


@bp.route("/<int:product_id>/propose", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def propose_version(product_id: int):
    return _proposal_form(service.get_product(product_id))


def _proposal_form(product):
    form = request.form if request.method == "POST" else {}
    if request.method == "POST":
        data = service.ProductData(form.get("brand", ""), form.get("model", ""), form.get("spec", ""),
                                   form.get("catalogue_code", ""))
        try:
            service.propose_product(current_user, data, product)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return _render_form(product, form), exc.status
        return _done(_("商品申请已提交，等待审核。"), "registry_products.mine")
    if product is not None and product.current_version is not None:
        version = product.current_version
        form = {"brand": version.brand, "model": version.model, "spec": version.spec,
                "catalogue_code": version.catalogue_code}
    return _render_form(product, form)


def _render_form(product, form):
    leaves = [i for letter in ("A", "B", "C") for i in catalogue.find_items(letter, leaves_only=True, limit=5000)]
    return render_template("registry/products/propose.html", product=product, form=form, leaves=leaves)


@bp.get("/mine")
@roles_required(Role.SUPPLIER)
def mine():
    org = current_user.org_id or 0
    return render_template("registry/products/mine.html", products=service.products_of(org),
                           proposals=service.proposals_of(org), offers=service.offers_of_supplier(org),
                           labels=STATUS_LABELS)


@bp.post("/<int:product_id>/confirm")
@roles_required(Role.SUPPLIER)
def confirm(product_id: int):
    try:
        service.confirm_product(current_user, service.get_product(product_id))
    except DomainError as exc:
        return _failed(exc, "registry_products.mine")
    return _done(_("已确认商品信息。"), "registry_products.mine")


@bp.post("/<int:product_id>/offers")
@roles_required(Role.SUPPLIER)
def make_offer(product_id: int):
    form = request.form
    try:
        data = service.OfferData(_price_fen(form.get("price", "")), form.getlist("region_codes"),
                                 form.get("min_order_qty", "1") or "1")
        existing = form.get("offer_id")
        if existing:
            service.update_offer(current_user, service.get_offer(int(existing)), data,
                                 to_current_version=form.get("to_current") == "1")
        else:
            service.make_offer(current_user, service.get_product(product_id), data)
    except DomainError as exc:
        return _failed(exc, "registry_products.detail", product_id=product_id)
    return _done(_("报价已保存。"), "registry_products.detail", product_id=product_id)


@bp.post("/offers/<int:offer_id>/withdraw")
@roles_required(Role.SUPPLIER)
def withdraw_offer(offer_id: int):
    try:
        service.withdraw_offer(current_user, service.get_offer(offer_id))
    except DomainError as exc:
        return _failed(exc, "registry_products.mine")
    return _done(_("报价已撤回。"), "registry_products.mine")


@bp.get("/queue")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def queue():
    service.require_reviewer(current_user)
    proposals = service.review_queue()
    names = catalogue.names_of([p.catalogue_code for p in proposals])
    return render_template("registry/products/queue.html", proposals=proposals, names=names)


@bp.post("/proposals/<int:proposal_id>/review")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
def review(proposal_id: int):
    decision = request.form.get("decision")
    try:
        proposal = service.get_proposal(proposal_id)
        if decision == "accept":
            service.accept_proposal(current_user, proposal, request.form.get("note", ""))
        elif decision == "reject":
            service.reject_proposal(current_user, proposal, request.form.get("note", ""))
        else:
            raise ValidationError(_("请选择通过或不通过。"), code="decision_invalid")
    except DomainError as exc:
        return _failed(exc, "registry_products.queue")
    done = _("已通过，商品版本已入库。") if decision == "accept" else _("已退回申请。")
    return _done(done, "registry_products.queue")
