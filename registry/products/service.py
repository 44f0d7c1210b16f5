"""Writes on the product library: proposals, their review, yearly re-confirmation, offers; and reads.

A supplier's staff propose a product (or a new version of one of their products); the central
procurement agency (采购中心, agency staff of a central agency) or the platform administrator
accepts or rejects it in the queue. Accepting makes an immutable `ProductVersion` and makes it
current; offers are made on a snapshot and keep it until their supplier moves them to a newer
one. Every function checks who, the status and the input; audits; flushes; never commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from accounts.models import OrgKind, Region, Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from registry.catalogue import service as catalogue
from registry.products import search
from registry.products.models import (
    Offer,
    OfferRegion,
    OfferStatus,
    Product,
    ProductProposal,
    ProductStatus,
    ProductVersion,
    ProposalStatus,
)
from registry.products.rules import reconfirm_days

MAX_PRICE_FEN = 10**12  # 100 亿元: a typo guard, far above any e-mall listing
MAX_MIN_ORDER = 1_000_000


# ---------------------------------------------------------------- who


def is_reviewer(user: User) -> bool:
    """The central procurement agency's staff, or the platform administrator."""
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.AGENCY_STAFF) and user.org is not None and user.org.kind == OrgKind.CENTRAL_AGENCY


def require_reviewer(user: User) -> None:
    if not is_reviewer(user):
        raise Forbidden("只有集中采购机构或平台管理员可以审核商品。", code="not_product_reviewer")


def require_supplier(user: User) -> None:
    if not user.has_role(Role.SUPPLIER) or user.org is None or user.org.kind != OrgKind.SUPPLIER:
        raise Forbidden("只有供应商账户可以提交商品和报价。", code="not_supplier")


# ---------------------------------------------------------------- reads


def get_product(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        raise NotFound("没有这个商品。", code="product_not_found")
    return product


def get_proposal(proposal_id: int) -> ProductProposal:
    proposal = db.session.get(ProductProposal, proposal_id)
    if proposal is None:
        raise NotFound("没有这份商品申请。", code="proposal_not_found")
    return proposal


def get_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound("没有这条报价。", code="offer_not_found")
    return offer


def review_queue() -> list[ProductProposal]:
    """Proposals waiting for review, oldest first."""
    return list(db.session.scalars(select(ProductProposal).where(ProductProposal.status == ProposalStatus.PENDING)
                                   .order_by(ProductProposal.submitted_at, ProductProposal.id)))


def proposals_of(org_id: int) -> list[ProductProposal]:
    return list(db.session.scalars(select(ProductProposal).where(ProductProposal.supplier_org_id == org_id)
                                   .order_by(ProductProposal.id.desc())))


def products_of(org_id: int) -> list[Product]:
    return list(db.session.scalars(select(Product).where(Product.supplier_org_id == org_id).order_by(Product.id)))


def offers_of_supplier(org_id: int) -> list[Offer]:
    return list(db.session.scalars(select(Offer).where(Offer.supplier_org_id == org_id).order_by(Offer.id)))


def version_content(version: ProductVersion) -> dict:
    """What a snapshot says, as stored and hashed."""
    return {"product_id": version.product_id, "number": version.number, "brand": version.brand,
            "model": version.model, "spec": version.spec, "catalogue_version_id": version.catalogue_version_id,
            "catalogue_code": version.catalogue_code, "catalogue_name": version.catalogue_name}


def content_digest(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


# ---------------------------------------------------------------- proposals


@dataclass
class ProductData:
    brand: str
    model: str
    spec: str
    catalogue_code: str


def _check_data(data: ProductData) -> ProductData:
    brand, model, spec = data.brand.strip(), data.model.strip(), data.spec.strip()
    if not brand:
        raise ValidationError("请填写品牌。", code="brand_required", details={"field": "brand"})
    if len(brand) > 60:
        raise ValidationError("品牌不超过 60 个字。", code="brand_too_long", details={"field": "brand"})
    if not model:
        raise ValidationError("请填写型号。", code="model_required", details={"field": "model"})
    if len(model) > 120:
        raise ValidationError("型号不超过 120 个字。", code="model_too_long", details={"field": "model"})
    if not spec:
        raise ValidationError("请填写规格参数。", code="spec_required", details={"field": "spec"})
    if len(spec) > 4000:
        raise ValidationError("规格参数不超过 4000 个字。", code="spec_too_long", details={"field": "spec"})
    item = catalogue.require_leaf(data.catalogue_code)
    return ProductData(brand, model, spec, item.code)


def propose_product(user: User, data: ProductData, product: Product | None = None) -> ProductProposal:
    """A supplier proposes a new product, or (with `product`) a new version of one of its own products."""
    require_supplier(user)
    checked = _check_data(data)
    if product is not None:
        if product.supplier_org_id != user.org_id:
            raise Forbidden("只能为本单位的商品提交新版本。", code="not_own_product")
        if product.status == ProductStatus.WITHDRAWN:
            raise Conflict("商品已下架，不能提交新版本。", code="product_withdrawn")
        waiting = db.session.scalar(select(ProductProposal.id).where(
            ProductProposal.product_id == product.id, ProductProposal.status == ProposalStatus.PENDING))
        if waiting is not None:
            raise Conflict("该商品已有一份待审核的变更。", code="proposal_pending")
    proposal = ProductProposal(product_id=product.id if product else None, supplier_org_id=user.org_id,
                               proposed_by_id=user.id, brand=checked.brand, model=checked.model, spec=checked.spec,
                               catalogue_code=checked.catalogue_code, status=ProposalStatus.PENDING,
                               submitted_at=clock.now())
    db.session.add(proposal)
    db.session.flush()
    record("registry.product_proposed", proposal, {"product_id": proposal.product_id,
                                                   "catalogue_code": proposal.catalogue_code})
    return proposal


def withdraw_proposal(user: User, proposal: ProductProposal) -> ProductProposal:
    require_supplier(user)
    if proposal.supplier_org_id != user.org_id:
        raise Forbidden("只能撤回本单位的申请。", code="not_own_proposal")
    move(proposal, ProposalStatus.WITHDRAWN)
    db.session.flush()
    return proposal


def _lock(proposal: ProductProposal) -> ProductProposal:
    return db.session.execute(select(ProductProposal).where(ProductProposal.id == proposal.id)
                              .with_for_update()).scalar_one()


def accept_proposal(reviewer: User | None, proposal: ProductProposal, note: str = "") -> ProductVersion:
    """Accept a proposal: a new immutable version, current from now on; a new product when it had none.
    `reviewer` None is the platform itself (the demo seed)."""
    if reviewer is not None:
        require_reviewer(reviewer)
    proposal = _lock(proposal)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict("该申请已处理。", code="proposal_transition_refused")
    item = catalogue.require_leaf(proposal.catalogue_code)  # the catalogue may have moved on since
    now = clock.now()
    product = proposal.product
    supplier = proposal.supplier
    if product is None:
        due = now + timedelta(days=reconfirm_days(supplier.region_code))
        product = Product(supplier_org_id=proposal.supplier_org_id, region_code=supplier.region_code,
                          status=ProductStatus.ACTIVE, catalogue_code=item.code, title="", created_at=now,
                          confirmed_at=now, confirm_due_at=due)
        db.session.add(product)
        db.session.flush()
        proposal.product_id = product.id
    number = (db.session.scalar(select(func.max(ProductVersion.number)).where(
        ProductVersion.product_id == product.id)) or 0) + 1
    version = ProductVersion(product_id=product.id, number=number, brand=proposal.brand, model=proposal.model,
                             spec=proposal.spec, catalogue_version_id=item.version_id, catalogue_code=item.code,
                             catalogue_name=item.name, sha256="", proposal_id=proposal.id, accepted_at=now,
                             accepted_by_id=reviewer.id if reviewer else None)
    version.sha256 = content_digest(version_content(version))
    db.session.add(version)
    db.session.flush()
    product.current_version_id = version.id
    product.catalogue_code = item.code
    product.title = f"{version.brand} {version.model}"[:200]
    product.confirmed_at = now
    product.confirm_due_at = now + timedelta(days=reconfirm_days(product.region_code))
    proposal.reviewed_by_id = reviewer.id if reviewer else None
    proposal.reviewed_at = now
    proposal.review_note = note.strip()[:200]
    move(proposal, ProposalStatus.ACCEPTED, payload={"version_id": version.id})
    search.reindex(product, version.brand, version.model, version.spec, version.catalogue_name)
    db.session.flush()
    record("registry.product_version_accepted", product, {"version_id": version.id, "number": number,
                                                          "sha256": version.sha256, "proposal_id": proposal.id},
           **({"actor": "system:products"} if reviewer is None else {}))
    return version


def reject_proposal(reviewer: User, proposal: ProductProposal, reason: str) -> ProductProposal:
    require_reviewer(reviewer)
    if not reason.strip():
        raise ValidationError("请填写不予通过的理由。", code="reason_required", details={"field": "reason"})
    proposal = _lock(proposal)
    proposal.reviewed_by_id = reviewer.id
    proposal.reviewed_at = clock.now()
    proposal.review_note = reason.strip()[:200]
    move(proposal, ProposalStatus.REJECTED, payload={"reason": proposal.review_note})
    db.session.flush()
    return proposal


# ---------------------------------------------------------------- yearly re-confirmation


def confirm_product(user: User, product: Product) -> Product:
    """The supplier confirms its product is still made and as described: listed again for a period."""
    require_supplier(user)
    if product.supplier_org_id != user.org_id:
        raise Forbidden("只能确认本单位的商品。", code="not_own_product")
    product = db.session.execute(select(Product).where(Product.id == product.id).with_for_update()).scalar_one()
    if product.status == ProductStatus.WITHDRAWN:
        raise Conflict("商品已下架。", code="product_withdrawn")
    now = clock.now()
    product.confirmed_at = now
    product.confirm_due_at = now + timedelta(days=reconfirm_days(product.region_code))
    if product.status == ProductStatus.HIDDEN:
        move(product, ProductStatus.ACTIVE, payload={"reason": "confirmed"})
    db.session.flush()
    record("registry.product_confirmed", product, {"due_at": product.confirm_due_at.isoformat()})
    return product


def hide_unconfirmed(product: Product) -> bool:
    """The chronograph's step: a product not confirmed by its due time leaves the search (its offers too)."""
    if product.status != ProductStatus.ACTIVE or product.confirm_due_at > clock.now():
        return False
    move(product, ProductStatus.HIDDEN, payload={"reason": "not_confirmed",
                                                 "due_at": product.confirm_due_at.isoformat()})
    db.session.flush()
    return True


def withdraw_product(user: User, product: Product, reason: str) -> Product:
    """Take a product off the library for good (its supplier, or a reviewer); its offers are withdrawn."""
    if not (is_reviewer(user) or (user.has_role(Role.SUPPLIER) and product.supplier_org_id == user.org_id)):
        raise Forbidden("只能下架本单位的商品。", code="not_own_product")
    if not reason.strip():
        raise ValidationError("请填写下架理由。", code="reason_required", details={"field": "reason"})
    move(product, ProductStatus.WITHDRAWN, payload={"reason": reason.strip()[:200]})
    for offer in db.session.scalars(select(Offer).where(Offer.product_id == product.id,
                                                        Offer.status == OfferStatus.ACTIVE)):
        move(offer, OfferStatus.WITHDRAWN, payload={"reason": "product_withdrawn"})
    db.session.flush()
    return product


# ---------------------------------------------------------------- offers


@dataclass
class OfferData:
    price_fen: int
    region_codes: list[str]
    min_order_qty: int = 1


def _check_offer(data: OfferData) -> tuple[int, int, list[str]]:
    try:
        price = int(data.price_fen)
    except (TypeError, ValueError):
        raise ValidationError("价格须为整数（单位：分）。", code="price_invalid",
                              details={"field": "price_fen"}) from None
    if price <= 0:
        raise ValidationError("价格须大于零。", code="price_not_positive", details={"field": "price_fen"})
    if price > MAX_PRICE_FEN:
        raise ValidationError("价格超出允许范围。", code="price_too_high", details={"field": "price_fen"})
    try:
        qty = int(data.min_order_qty)
    except (TypeError, ValueError):
        raise ValidationError("起订量须为整数。", code="min_order_invalid",
                              details={"field": "min_order_qty"}) from None
    if not 1 <= qty <= MAX_MIN_ORDER:
        raise ValidationError("起订量须在 1 至 1000000 之间。", code="min_order_invalid",
                              details={"field": "min_order_qty"})
    regions = sorted({c.strip() for c in data.region_codes if c and c.strip()})
    if not regions:
        raise ValidationError("请选择供货区域。", code="regions_required", details={"field": "region_codes"})
    known = set(db.session.scalars(select(Region.code).where(Region.code.in_(regions))))
    unknown = [c for c in regions if c not in known]
    if unknown:
        raise ValidationError(f"供货区域不存在：{'、'.join(unknown)}。", code="region_invalid",
                              details={"field": "region_codes", "codes": unknown})
    return price, qty, regions


def make_offer(user: User, product: Product, data: OfferData) -> Offer:
    """A supplier offers a listed product's current snapshot at a price (one offer per supplier and product)."""
    require_supplier(user)
    price, qty, regions = _check_offer(data)
    if product.status != ProductStatus.ACTIVE or product.current_version_id is None:
        raise Conflict("商品未在库中上架，不能报价。", code="product_not_listed")
    taken = db.session.scalar(select(Offer.id).where(Offer.supplier_org_id == user.org_id,
                                                     Offer.product_id == product.id))
    if taken is not None:
        raise Conflict("本单位已对该商品报价，请修改原报价。", code="offer_exists", details={"offer_id": taken})
    now = clock.now()
    offer = Offer(supplier_org_id=user.org_id, product_id=product.id, product_version_id=product.current_version_id,
                  price_fen=price, min_order_qty=qty, status=OfferStatus.ACTIVE, created_at=now, updated_at=now,
                  region_rows=[OfferRegion(region_code=c) for c in regions])
    db.session.add(offer)
    db.session.flush()
    record("registry.offer_made", offer, {"product_id": product.id, "version_id": offer.product_version_id,
                                          "price_fen": price, "min_order_qty": qty, "regions": regions})
    return offer


def update_offer(user: User, offer: Offer, data: OfferData, *, to_current_version: bool = False) -> Offer:
    """Change an offer's price, minimum order or regions (and, if asked, move it to the current snapshot)."""
    require_supplier(user)
    if offer.supplier_org_id != user.org_id:
        raise Forbidden("只能修改本单位的报价。", code="not_own_offer")
    if offer.status != OfferStatus.ACTIVE:
        raise Conflict("报价已撤回。", code="offer_withdrawn")
    price, qty, regions = _check_offer(data)
    before = {"price_fen": offer.price_fen, "min_order_qty": offer.min_order_qty, "regions": offer.region_codes,
              "version_id": offer.product_version_id}
    offer.price_fen, offer.min_order_qty = price, qty
    offer.region_rows = [OfferRegion(region_code=c) for c in regions]
    if to_current_version and offer.product.current_version_id:
        offer.product_version_id = offer.product.current_version_id
    offer.updated_at = clock.now()
    db.session.flush()
    record("registry.offer_changed", offer, {"before": before, "after": {
        "price_fen": price, "min_order_qty": qty, "regions": regions, "version_id": offer.product_version_id}})
    return offer


def withdraw_offer(user: User, offer: Offer) -> Offer:
    require_supplier(user)
    if offer.supplier_org_id != user.org_id:
        raise Forbidden("只能撤回本单位的报价。", code="not_own_offer")
    move(offer, OfferStatus.WITHDRAWN)
    db.session.flush()
    return offer
