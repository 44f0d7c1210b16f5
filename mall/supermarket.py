"""The online supermarket (网上超市): stores of admitted suppliers, listings of accepted product snapshots,
the listing rules, the review queue of changes to live listings, and browse / search / compare.

Listing rules (checked when a listing is made and when a change is proposed and again when it is accepted):
the product is in the supplier's store (the supplier has an active offer on it in the product library),
the price is at most the maker's latest official price and the lowest latest self-operated platform price
(reference prices, `mall.prices`), it is not a bait price (below the median of the other live quotes by
more than `mall.bait_below_median_pct`), one listing per store and product (no duplicates), and at most
`mall.store_listing_cap` listings per store. A change to a live (or frozen) listing is not applied at once:
it waits in the review queue with the listing as it was kept in `before`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from accounts.models import Region, Role, User
from audit.service import record
from core import clock, money
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.transitions import move
from mall import prices, rules
from mall.models import Listing, ListingChange, ListingPrice, ListingRegion, Store
from mall.transitions import ChangeStatus, ListingStatus, StoreStatus
from registry.products.models import Offer, OfferStatus, ProductStatus, ProductVersion

PAGE = 50
MAX_FEE_FEN = 10**10
UNITS_MAX = 16


def yuan_to_fen(text: str, field_name: str, label: str, *, allow_zero: bool = False) -> int:
    """A typed amount of yuan as fen; three decimals, a negative or a non-number is a clear error."""
    try:
        fen = money.parse_yuan(str(text or ""))
    except money.MoneyError:
        raise ValidationError(f"{label}请填写金额（元），最多两位小数，不能为负数。", code="amount_invalid",
                              details={"field": field_name}) from None
    if fen == 0 and not allow_zero:
        raise ValidationError(f"{label}须大于零。", code="amount_invalid", details={"field": field_name})
    return fen


# ---------------------------------------------------------------- who


def require_supplier(user: User) -> None:
    from registry.products.service import require_supplier as products_require

    products_require(user)


def require_reviewer(user: User) -> None:
    from registry.products.service import is_reviewer

    if not is_reviewer(user):
        raise Forbidden("只有集中采购机构或平台管理员可以审核挂牌变更。", code="not_listing_reviewer")


def is_admitted(org_id: int | None) -> bool:
    from registry.suppliers.models import SupplierStatus
    from registry.suppliers.service import supplier_of_org

    supplier = supplier_of_org(org_id)
    return supplier is not None and supplier.status is SupplierStatus.ACTIVE


# ---------------------------------------------------------------- stores


def store_of(org_id: int | None) -> Store | None:
    if org_id is None:
        return None
    return db.session.scalar(select(Store).where(Store.supplier_org_id == org_id))


def get_store(store_id: int) -> Store:
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound("没有这家店铺。", code="store_not_found")
    return store


def open_store(user: User, name: str = "") -> Store:
    """An admitted supplier opens its store (one per supplier)."""
    require_supplier(user)
    if not is_admitted(user.org_id):
        raise Conflict("供应商入库后才能开设网上超市店铺。", code="supplier_not_admitted")
    if store_of(user.org_id) is not None:
        raise Conflict("本单位已开设店铺。", code="store_exists")
    name = (name or "").strip() or f"{user.org.name}旗舰店"
    if len(name) > 120:
        raise ValidationError("店铺名称不能超过 120 字。", code="store_name_invalid", details={"field": "name"})
    store = Store(supplier_org_id=user.org_id, region_code=user.org.region_code, name=name, status=StoreStatus.OPEN,
                  opened_at=clock.now())
    db.session.add(store)
    db.session.flush()
    record("mall.store_opened", store, {"supplier": user.org_id, "name": name})
    return store


# ---------------------------------------------------------------- listing data and rules


@dataclass
class ListingData:
    price_fen: int
    region_codes: list[str]
    unit: str = "台"
    install_fee_fen: int = 0
    service_fee_fen: int = 0
    in_stock: bool = True
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"price_fen": self.price_fen, "install_fee_fen": self.install_fee_fen,
                "service_fee_fen": self.service_fee_fen, "unit": self.unit, "in_stock": self.in_stock,
                "region_codes": sorted(self.region_codes)}


def _int_fen(value, field_name: str, label: str, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label}须为整数（分）。", code="amount_invalid", details={"field": field_name})
    if value < 0 or (positive and value == 0) or value > MAX_FEE_FEN:
        raise ValidationError(f"{label}须{'大于' if positive else '不小于'}零且在允许范围内。", code="amount_invalid",
                              details={"field": field_name})
    return value


def check_data(data: ListingData) -> ListingData:
    """The listing's own fields: amounts, unit, regions."""
    price = _int_fen(data.price_fen, "price_fen", "挂牌价", True)
    install = _int_fen(data.install_fee_fen, "install_fee_fen", "安装费", False)
    service = _int_fen(data.service_fee_fen, "service_fee_fen", "服务费", False)
    unit = (data.unit or "").strip()
    if not unit or len(unit) > UNITS_MAX:
        raise ValidationError("请填写计量单位（如 台、件）。", code="unit_required", details={"field": "unit"})
    regions = sorted({c.strip() for c in data.region_codes if c and c.strip()})
    if not regions:
        raise ValidationError("请选择供货区域。", code="regions_required", details={"field": "region_codes"})
    known = set(db.session.scalars(select(Region.code).where(Region.code.in_(regions))))
    unknown = [c for c in regions if c not in known]
    if unknown:
        raise ValidationError(f"供货区域不存在：{'、'.join(unknown)}。", code="region_invalid",
                              details={"field": "region_codes", "codes": unknown})
    return ListingData(price, regions, unit, install, service, bool(data.in_stock))


def check_rules(store: Store, product_id: int, data: ListingData, listing: Listing | None = None) -> None:
    """The listing rules on a price for a product of the store (raises the first rule broken)."""
    caps = prices.caps_of(product_id)
    for kind, label in (("official", "生产厂商官方指导价"), ("platform", "大型电商平台自营最低价")):
        cap = caps.get(kind)
        if cap is not None and data.price_fen > cap.price_fen:
            raise Conflict(f"挂牌价 {money.format_yuan(data.price_fen)} 元高于{label} "
                           f"{money.format_yuan(cap.price_fen)} 元"
                           f"（{cap.source}，{clock.format_local(cap.captured_at, '%Y-%m-%d')}）。",
                           code="listing_above_" + kind, details={"reference": cap.id, "cap_fen": cap.price_fen})
    others = prices.live_quotes(product_id, but=listing.id if listing else None)
    if len(others) >= 2:
        median = prices.quantile(others, 0.5)
        pct = rules.value(store.region_code, "mall.bait_below_median_pct")
        if data.price_fen * 100 < median * (100 - pct):
            raise Conflict(f"挂牌价低于同商品在售报价中位数 {money.format_yuan(prices.to_fen(median))} 元的 "
                           f"{100 - pct}%，"
                           "视为引流低价，不予挂牌。", code="listing_bait_price",
                           details={"median_fen": prices.to_fen(median)})


def _offer_in_store(store: Store, product_id: int) -> Offer:
    offer = db.session.scalar(select(Offer).where(Offer.supplier_org_id == store.supplier_org_id,
                                                  Offer.product_id == product_id,
                                                  Offer.status == OfferStatus.ACTIVE))
    if offer is None:
        raise ValidationError("该商品不在本店铺中：请先在商品库对该商品报价，再挂牌。", code="product_not_in_store",
                              details={"field": "product_id"})
    if offer.product.status is not ProductStatus.ACTIVE:
        raise Conflict("该商品在商品库中未上架，不能挂牌。", code="product_not_listed")
    return offer


def list_product(user: User, product_id: int, data: ListingData) -> Listing:
    """A supplier lists a product of its store: the rules are checked, the listing goes live."""
    require_supplier(user)
    store = store_of(user.org_id)
    if store is None or store.status is not StoreStatus.OPEN:
        raise Conflict("请先开设店铺。", code="store_not_open")
    db.session.scalar(select(Store).where(Store.id == store.id).with_for_update())  # the cap counts under a lock
    clean = check_data(data)
    offer = _offer_in_store(store, product_id)
    duplicate = db.session.scalar(select(Listing.id).where(Listing.store_id == store.id,
                                                           Listing.product_id == product_id))
    if duplicate is not None:
        raise Conflict("本店铺已挂牌该商品，不能重复挂牌；请修改原挂牌。", code="listing_duplicate",
                       details={"listing_id": duplicate})
    cap = rules.value(store.region_code, "mall.store_listing_cap")
    count = db.session.scalar(select(func.count()).select_from(Listing).where(
        Listing.store_id == store.id, Listing.status != ListingStatus.WITHDRAWN)) or 0
    if count >= cap:
        raise Conflict(f"本店铺在售商品已达上限 {cap} 件。", code="store_listing_cap", details={"cap": cap})
    check_rules(store, product_id, clean)
    version = db.session.get(ProductVersion, offer.product_version_id)
    now = clock.now()
    listing = Listing(store_id=store.id, supplier_org_id=store.supplier_org_id, region_code=store.region_code,
                      product_id=product_id, product_version_id=version.id, offer_id=offer.id,
                      title=f"{version.brand} {version.model}", brand=version.brand,
                      catalogue_code=version.catalogue_code, unit=clean.unit, price_fen=clean.price_fen,
                      install_fee_fen=clean.install_fee_fen, service_fee_fen=clean.service_fee_fen,
                      in_stock=clean.in_stock, status=ListingStatus.LIVE, frozen_reason="", created_at=now,
                      updated_at=now, region_rows=[ListingRegion(region_code=c) for c in clean.region_codes])
    db.session.add(listing)
    db.session.flush()
    db.session.add(ListingPrice(listing_id=listing.id, price_fen=clean.price_fen, install_fee_fen=clean.install_fee_fen,
                                service_fee_fen=clean.service_fee_fen, at=now))
    record("mall.listed", listing, {"store": store.id, "product_id": product_id, "version_id": version.id,
                                    **clean.as_dict()})
    prices.freeze_if_above_reference(listing)
    return listing


def get_listing(listing_id: int, lock: bool = False) -> Listing:
    stmt = select(Listing).where(Listing.id == listing_id)
    listing = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if listing is None:
        raise NotFound("没有这件挂牌商品。", code="listing_not_found")
    return listing


def snapshot_of(listing: Listing) -> dict:
    """A listing's changeable fields as they are (kept in a change's `before`)."""
    return {"price_fen": listing.price_fen, "install_fee_fen": listing.install_fee_fen,
            "service_fee_fen": listing.service_fee_fen, "unit": listing.unit, "in_stock": listing.in_stock,
            "region_codes": listing.region_codes, "status": listing.status.value,
            "product_version_id": listing.product_version_id}


def is_fee_shift(before: dict, after: dict) -> bool:
    """A base-price cut paid for by a rise of the installation or service fee."""
    return after["price_fen"] < before["price_fen"] and (
        after["install_fee_fen"] > before["install_fee_fen"] or after["service_fee_fen"] > before["service_fee_fen"])


def propose_change(user: User, listing: Listing, data: ListingData) -> ListingChange:
    """The supplier proposes a change to its live (or frozen) listing: checked now, applied after review."""
    require_supplier(user)
    listing = get_listing(listing.id, lock=True)
    if listing.supplier_org_id != user.org_id:
        raise Forbidden("只能修改本店铺的挂牌商品。", code="not_own_listing")
    if listing.status is ListingStatus.WITHDRAWN:
        raise Conflict("挂牌已撤下。", code="listing_withdrawn")
    pending = db.session.scalar(select(ListingChange.id).where(ListingChange.listing_id == listing.id,
                                                               ListingChange.status == ChangeStatus.PENDING))
    if pending is not None:
        raise Conflict("该挂牌已有一项变更待审核。", code="listing_change_pending", details={"change_id": pending})
    clean = check_data(data)
    check_rules(listing.store, listing.product_id, clean, listing)
    before, after = snapshot_of(listing), clean.as_dict()
    shift = is_fee_shift(before, after)
    change = ListingChange(listing_id=listing.id, status=ChangeStatus.PENDING, before=before, after=after,
                           fee_shift=shift, proposed_by_id=user.id, proposed_at=clock.now())
    db.session.add(change)
    db.session.flush()
    record("mall.listing_change_proposed", change, {"listing": listing.id, "before": before, "after": after,
                                                    "fee_shift": shift})
    return change


def get_change(change_id: int, lock: bool = False) -> ListingChange:
    stmt = select(ListingChange).where(ListingChange.id == change_id)
    change = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if change is None:
        raise NotFound("没有这项挂牌变更。", code="listing_change_not_found")
    return change


def review_queue() -> list[ListingChange]:
    return list(db.session.scalars(select(ListingChange).where(ListingChange.status == ChangeStatus.PENDING)
                                   .order_by(ListingChange.proposed_at, ListingChange.id)))


def accept_change(reviewer: User, change_id: int, note: str = "") -> Listing:
    """Apply a reviewed change (the rules are checked again: prices may have moved meanwhile)."""
    require_reviewer(reviewer)
    change = get_change(change_id, lock=True)
    listing = get_listing(change.listing_id, lock=True)
    if listing.status is ListingStatus.WITHDRAWN:
        raise Conflict("挂牌已撤下。", code="listing_withdrawn")
    after = change.after
    data = ListingData(after["price_fen"], after["region_codes"], after["unit"], after["install_fee_fen"],
                       after["service_fee_fen"], after["in_stock"])
    check_rules(listing.store, listing.product_id, data, listing)
    move(change, ChangeStatus.ACCEPTED)
    change.reviewed_by_id, change.reviewed_at, change.review_note = reviewer.id, clock.now(), (note or "").strip()[:200]
    listing.price_fen, listing.install_fee_fen, listing.service_fee_fen = (
        data.price_fen, data.install_fee_fen, data.service_fee_fen)
    listing.unit, listing.in_stock = data.unit, data.in_stock
    listing.region_rows = [ListingRegion(region_code=c) for c in sorted(data.region_codes)]
    listing.updated_at = clock.now()
    db.session.add(ListingPrice(listing_id=listing.id, price_fen=data.price_fen, install_fee_fen=data.install_fee_fen,
                                service_fee_fen=data.service_fee_fen, at=clock.now(), fee_shift=change.fee_shift))
    db.session.flush()
    record("mall.listing_changed", listing, {"change": change.id, "before": change.before, "after": after,
                                             "fee_shift": change.fee_shift})
    if listing.status is ListingStatus.FROZEN:
        prices.unfreeze_if_within(listing)
    else:
        prices.freeze_if_above_reference(listing)
    return listing


def reject_change(reviewer: User, change_id: int, reason: str) -> ListingChange:
    require_reviewer(reviewer)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ValidationError("请写明不通过的理由（200 字以内）。", code="review_note_required",
                              details={"field": "review_note"})
    change = get_change(change_id, lock=True)
    move(change, ChangeStatus.REJECTED, payload={"reason": reason})
    change.reviewed_by_id, change.reviewed_at, change.review_note = reviewer.id, clock.now(), reason
    db.session.flush()
    return change


def withdraw_listing(user: User, listing: Listing) -> Listing:
    require_supplier(user)
    listing = get_listing(listing.id, lock=True)
    if listing.supplier_org_id != user.org_id:
        raise Forbidden("只能撤下本店铺的挂牌商品。", code="not_own_listing")
    move(listing, ListingStatus.WITHDRAWN)
    for change in db.session.scalars(select(ListingChange).where(ListingChange.listing_id == listing.id,
                                                                 ListingChange.status == ChangeStatus.PENDING)):
        move(change, ChangeStatus.WITHDRAWN)
    db.session.flush()
    return listing


def listings_of_store(store: Store) -> list[Listing]:
    return list(db.session.scalars(select(Listing).where(Listing.store_id == store.id).order_by(Listing.id)))


def store_products(store: Store) -> list[Offer]:
    """The products in a store: the supplier's active offers in the product library."""
    return list(db.session.scalars(select(Offer).where(Offer.supplier_org_id == store.supplier_org_id,
                                                       Offer.status == OfferStatus.ACTIVE).order_by(Offer.id)))


# ---------------------------------------------------------------- search, browse, compare


@dataclass
class Filters:
    words: str = ""
    code: str = ""
    brand: str = ""
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    region_code: str | None = None


def product_ids_for(words: str, code: str) -> list[int] | None:
    """The product library's word and catalogue search (jieba tokens); None when neither was asked."""
    from registry.products.search import search_products

    if not words.strip() and not code.strip():
        return None
    return [h.product_id for h in search_products(words, code, limit=100)]


def listing_query(filters: Filters, product_ids: list[int] | None, limit: int = PAGE):
    """The listing page's SQL given the product library's hits: live listings, cheapest first."""
    query = select(Listing).where(Listing.status == ListingStatus.LIVE)
    if product_ids is not None:
        query = query.where(Listing.product_id.in_(product_ids))
    if filters.brand.strip():
        query = query.where(Listing.brand == filters.brand.strip())
    if filters.price_min_fen is not None:
        query = query.where(Listing.price_fen >= filters.price_min_fen)
    if filters.price_max_fen is not None:
        query = query.where(Listing.price_fen <= filters.price_max_fen)
    if filters.region_code:
        query = query.where(prices.delivers_to(filters.region_code))
    order = (Listing.price_fen, Listing.id) if product_ids is not None else (Listing.id.desc(),)
    return query.order_by(*order).limit(max(1, min(int(limit), 100)))


def search_listings(filters: Filters, limit: int = PAGE) -> list[Listing]:
    """Browse and search: words (Chinese, segmented by the product library), catalogue code, brand, price
    range, the buyer's region. Frozen and withdrawn listings never show."""
    ids = product_ids_for(filters.words, filters.code)
    if ids == []:
        return []
    return list(db.session.scalars(listing_query(filters, ids, limit)))


def brands() -> list[str]:
    return list(db.session.scalars(select(Listing.brand).where(Listing.status == ListingStatus.LIVE).distinct()
                                   .order_by(Listing.brand).limit(200)))


@dataclass
class Compared:
    listing: Listing
    version: ProductVersion
    median_fen: int | None
    reference_fen: int | None


def compare(listing_ids: list[int]) -> list[Compared]:
    """Two to four listings side by side with their snapshots, the median live quote and the reference."""
    ids = list(dict.fromkeys(int(i) for i in listing_ids))
    if not 2 <= len(ids) <= 4:
        raise ValidationError("请选择 2 至 4 件商品进行比较。", code="compare_count", details={"field": "ids"})
    out = []
    for listing_id in ids:
        listing = get_listing(listing_id)
        reference = prices.reference_of(listing.product_id)
        out.append(Compared(listing, db.session.get(ProductVersion, listing.product_version_id),
                            prices.median_live_quote(listing.product_id),
                            reference.price_fen if reference else None))
    return out


def can_see(user: User, listing: Listing) -> bool:
    """Live and frozen listings (shown frozen, with the reason) are for everyone signed in; withdrawn ones for
    their supplier and the staff."""
    from registry.products.service import is_reviewer

    return (listing.status is not ListingStatus.WITHDRAWN or listing.supplier_org_id == user.org_id or is_reviewer(user)
            or user.has_role(Role.SUPERVISOR))


def is_reviewer_user(user: User) -> bool:
    from registry.products.service import is_reviewer

    return is_reviewer(user)


def version_of(listing: Listing) -> ProductVersion:
    return db.session.get(ProductVersion, listing.product_version_id)


def pending_change(listing: Listing) -> ListingChange | None:
    return db.session.scalar(select(ListingChange).where(ListingChange.listing_id == listing.id,
                                                         ListingChange.status == ChangeStatus.PENDING))


def frozen_listings(limit: int = 100) -> list[Listing]:
    return list(db.session.scalars(select(Listing).where(Listing.status == ListingStatus.FROZEN)
                                   .order_by(Listing.updated_at.desc(), Listing.id.desc()).limit(limit)))


def catalogue_tree(limit: int = 60) -> list[tuple[str, str, int]]:
    """The catalogue items with live listings and their ancestors, as (code, name, depth) in tree order, for
    browsing (each links to the search under its code)."""
    from registry.catalogue.service import names_of

    leaves = list(db.session.scalars(select(Listing.catalogue_code).where(Listing.status == ListingStatus.LIVE)
                                     .distinct().order_by(Listing.catalogue_code).limit(limit)))
    codes = sorted({leaf[:n] for leaf in leaves for n in range(3, len(leaf) + 1, 2)})
    names = names_of(codes)
    return [(code, names.get(code, code), (len(code) - 3) // 2) for code in codes if code in names or code in leaves]
