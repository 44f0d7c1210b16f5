"""JSON API of the product library: search (the e-mall's), proposals and the review queue, offers."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from accounts.models import Role
from core.auth import roles_required
from core.db import db
from core.errors import Forbidden, ValidationError
from registry.products import search, service

blp = Blueprint("registry_products_api", __name__, url_prefix="/api/v1/products",
                description="Product library and offers")


class ProductProposalIn(Schema):
    brand = fields.Str(required=True)
    model = fields.Str(required=True)
    spec = fields.Str(required=True)
    catalogue_code = fields.Str(required=True)


class ProductReviewIn(Schema):
    decision = fields.Str(required=True)  # accept | reject
    note = fields.Str(load_default="")


class ProductOfferIn(Schema):
    price_fen = fields.Raw(required=True)  # checked by the service, which names the field
    region_codes = fields.List(fields.Str(), required=True)
    min_order_qty = fields.Raw(load_default=1)
    to_current_version = fields.Bool(load_default=False)


def version_out(version) -> dict:
    return service.version_content(version) | {"id": version.id, "sha256": version.sha256,
                                               "accepted_at": version.accepted_at.isoformat()}


def product_out(product) -> dict:
    return {"id": product.id, "title": product.title, "catalogue_code": product.catalogue_code,
            "status": product.status.value, "supplier_org_id": product.supplier_org_id,
            "confirmed_at": product.confirmed_at.isoformat(), "confirm_due_at": product.confirm_due_at.isoformat(),
            "current_version": version_out(product.current_version) if product.current_version else None}


def proposal_out(proposal) -> dict:
    return {"id": proposal.id, "product_id": proposal.product_id, "supplier_org_id": proposal.supplier_org_id,
            "brand": proposal.brand, "model": proposal.model, "spec": proposal.spec,
            "catalogue_code": proposal.catalogue_code, "status": proposal.status.value,
            "submitted_at": proposal.submitted_at.isoformat(), "review_note": proposal.review_note}


def offer_out(offer) -> dict:
    return {"id": offer.id, "supplier_org_id": offer.supplier_org_id, "product_id": offer.product_id,
            "product_version_id": offer.product_version_id, "price_fen": offer.price_fen,
            "min_order_qty": offer.min_order_qty, "region_codes": offer.region_codes, "status": offer.status.value}


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise ValidationError("分页参数须为整数。", code="page_invalid", details={"field": name}) from None


@blp.get("/search")
def search_products():
    """Listed products by words (`q`, segmented with jieba) and catalogue code prefix (`code`), newest
    first, with the count and lowest price of their offers delivering to `region` when given."""
    hits = search.search_products(request.args.get("q", ""), request.args.get("code", ""),
                                  region_code=request.args.get("region") or None,
                                  limit=_int_arg("limit", search.PAGE), offset=_int_arg("offset", 0))
    return [{"product_id": h.product_id, "title": h.title, "catalogue_code": h.catalogue_code, "offers": h.offers,
             "lowest_price_fen": h.lowest_price_fen} for h in hits]


@blp.get("/<int:product_id>")
def get_product(product_id: int):
    product = service.get_product(product_id)
    return product_out(product) | {"versions": [version_out(v) for v in product.versions]}


@blp.get("/<int:product_id>/offers")
def product_offers(product_id: int):
    """A listed product's active offers, cheapest first (`region`: delivering there)."""
    return [offer_out(o) for o in search.offers_of(product_id, region_code=request.args.get("region") or None)]


@blp.get("/versions/<int:version_id>")
def get_version(version_id: int):
    """A snapshot, as accepted (what an order bought)."""
    from core.errors import NotFound
    from registry.products.models import ProductVersion

    version = db.session.get(ProductVersion, version_id)
    if version is None:
        raise NotFound("没有这个商品版本。", code="product_version_not_found")
    return version_out(version)


@blp.post("/proposals")
@roles_required(Role.SUPPLIER)
@blp.arguments(ProductProposalIn)
def propose(data: dict):
    """Propose a new product (a supplier's staff); it waits in the review queue."""
    proposal = service.propose_product(current_user, service.ProductData(**data))
    db.session.commit()
    return proposal_out(proposal), 201


@blp.post("/<int:product_id>/proposals")
@roles_required(Role.SUPPLIER)
@blp.arguments(ProductProposalIn)
def propose_version(data: dict, product_id: int):
    """Propose a new version of one's own product; the accepted versions stay as they were."""
    proposal = service.propose_product(current_user, service.ProductData(**data), service.get_product(product_id))
    db.session.commit()
    return proposal_out(proposal), 201


@blp.get("/proposals")
@roles_required(Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN)
def proposals():
    """The review queue for reviewers; a supplier's own proposals for a supplier."""
    if service.is_reviewer(current_user):
        return [proposal_out(p) for p in service.review_queue()]
    if current_user.has_role(Role.SUPPLIER) and current_user.org_id:
        return [proposal_out(p) for p in service.proposals_of(current_user.org_id)]
    raise Forbidden("只有集中采购机构或平台管理员可以查看审核队列。", code="not_product_reviewer")


@blp.post("/proposals/<int:proposal_id>/review")
@roles_required(Role.AGENCY_STAFF, Role.ADMIN)
@blp.arguments(ProductReviewIn)
def review(data: dict, proposal_id: int):
    proposal = service.get_proposal(proposal_id)
    if data["decision"] == "accept":
        version = service.accept_proposal(current_user, proposal, data["note"])
        db.session.commit()
        return {"proposal": proposal_out(proposal), "version": version_out(version)}
    if data["decision"] == "reject":
        service.reject_proposal(current_user, proposal, data["note"])
        db.session.commit()
        return {"proposal": proposal_out(proposal)}
    raise ValidationError("decision 须为 accept 或 reject。", code="decision_invalid", details={"field": "decision"})


@blp.post("/<int:product_id>/confirm")
@roles_required(Role.SUPPLIER)
def confirm(product_id: int):
    """The yearly re-confirmation by the product's supplier."""
    product = service.confirm_product(current_user, service.get_product(product_id))
    db.session.commit()
    return product_out(product)


class ProductWithdrawIn(Schema):
    reason = fields.Str(required=True)


@blp.post("/<int:product_id>/withdraw")
@roles_required(Role.SUPPLIER, Role.AGENCY_STAFF, Role.ADMIN)
@blp.arguments(ProductWithdrawIn)
def withdraw(data: dict, product_id: int):
    """Take a product off the library for good (its supplier or a reviewer); its offers are withdrawn too."""
    product = service.withdraw_product(current_user, service.get_product(product_id), data["reason"])
    db.session.commit()
    return product_out(product)


@blp.post("/<int:product_id>/offers")
@roles_required(Role.SUPPLIER)
@blp.arguments(ProductOfferIn)
def make_offer(data: dict, product_id: int):
    """Offer a listed product: price in fen (> 0), delivery regions, minimum order quantity."""
    offer = service.make_offer(current_user, service.get_product(product_id), service.OfferData(
        data["price_fen"], data["region_codes"], data["min_order_qty"]))
    db.session.commit()
    return offer_out(offer), 201


@blp.put("/offers/<int:offer_id>")
@roles_required(Role.SUPPLIER)
@blp.arguments(ProductOfferIn)
def update_offer(data: dict, offer_id: int):
    offer = service.update_offer(current_user, service.get_offer(offer_id), service.OfferData(
        data["price_fen"], data["region_codes"], data["min_order_qty"]),
        to_current_version=data["to_current_version"])
    db.session.commit()
    return offer_out(offer)


@blp.post("/offers/<int:offer_id>/withdraw")
@roles_required(Role.SUPPLIER)
def withdraw_offer(offer_id: int):
    offer = service.withdraw_offer(current_user, service.get_offer(offer_id))
    db.session.commit()
    return offer_out(offer)
