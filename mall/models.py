"""The e-mall's tables: stores and listings (with their price history and the review queue of changes),
reference prices and the nightly price check's reports, carts and orders with their lines, payments and
disputes, and the designated-service agreements with their price lists, orders and bill lines.

Money is integer fen everywhere. A listing points at the accepted product snapshot it sells
(`registry_product_version`, never updated), and an order line copies the facts it bought, so a later
change of the listing or the product never changes a placed order.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core.db import db
from mall.transitions import (
    ChangeStatus,
    DisputeStatus,
    ListingStatus,
    OrderStatus,
    ServiceOrderStatus,
    StoreStatus,
)


class Store(db.Model):
    """An admitted supplier's shop in the online supermarket (one per supplier)."""

    __tablename__ = "mall_store"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the supplier's: its listing rules
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[StoreStatus] = mapped_column(enum_column(StoreStatus, "mall_store_status"),
                                                default=StoreStatus.OPEN)
    opened_at: Mapped[datetime]

    supplier: Mapped[Org] = relationship()


class Listing(db.Model):
    """A store's listing of one accepted product snapshot: price, fees, delivery regions, stock state."""

    __tablename__ = "mall_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("mall_store.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the store's
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"))
    product_version_id: Mapped[int] = mapped_column(ForeignKey("registry_product_version.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("registry_offer.id"))  # what puts the product in the store
    title: Mapped[str] = mapped_column(String(200))  # brand + model, copied from the snapshot
    brand: Mapped[str] = mapped_column(String(60), index=True)
    catalogue_code: Mapped[str] = mapped_column(String(16), index=True)
    unit: Mapped[str] = mapped_column(String(16))  # 台, 件, 把…
    price_fen: Mapped[int]
    install_fee_fen: Mapped[int] = mapped_column(default=0)
    service_fee_fen: Mapped[int] = mapped_column(default=0)
    in_stock: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus, "mall_listing_status"),
                                                  default=ListingStatus.LIVE)
    frozen_reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    store: Mapped[Store] = relationship()
    region_rows: Mapped[list[ListingRegion]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("install_fee_fen >= 0 AND service_fee_fen >= 0", name="fees_not_negative"),
        CheckConstraint("status != 'frozen' OR frozen_reason != ''", name="frozen_has_reason"),
        UniqueConstraint("store_id", "product_id", name="uq_mall_listing_store_product"),  # no duplicate listing
        Index("ix_mall_listing_product_status_price", "product_id", "status", "price_fen"),
        Index("ix_mall_listing_status_id", "status", "id"),
    )

    @property
    def region_codes(self) -> list[str]:
        return sorted(r.region_code for r in self.region_rows)


class ListingRegion(db.Model):
    __tablename__ = "mall_listing_region"

    listing_id: Mapped[int] = mapped_column(ForeignKey("mall_listing.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True)


class ListingPrice(db.Model):
    """Each price a listing had, base price and accessory/service fees apart (so a base cut paid for by a
    fee rise shows)."""

    __tablename__ = "mall_listing_price"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("mall_listing.id", ondelete="CASCADE"), index=True)
    price_fen: Mapped[int]
    install_fee_fen: Mapped[int]
    service_fee_fen: Mapped[int]
    at: Mapped[datetime]
    fee_shift: Mapped[bool] = mapped_column(default=False)  # base price down while a fee went up


class ListingChange(db.Model):
    """A change to a live listing, waiting for review; `before` is the listing as it was (kept for good)."""

    __tablename__ = "mall_listing_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("mall_listing.id"), index=True)
    status: Mapped[ChangeStatus] = mapped_column(enum_column(ChangeStatus, "mall_listing_change_status"),
                                                 default=ChangeStatus.PENDING, index=True)
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)
    fee_shift: Mapped[bool] = mapped_column(default=False)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(200), default="")

    listing: Mapped[Listing] = relationship()

    __table_args__ = (CheckConstraint("status != 'rejected' OR review_note != ''", name="rejection_has_reason"),)


class ReferencePrice(db.Model):
    """A reference price with its evidence, entered or imported by the price-monitoring body."""

    __tablename__ = "mall_reference_price"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"))
    source_kind: Mapped[str] = mapped_column(String(16))  # official | platform | market
    source: Mapped[str] = mapped_column(String(120))  # the maker's price list, 京东自营…
    captured_at: Mapped[datetime]
    price_fen: Mapped[int]
    evidence: Mapped[str] = mapped_column(Text)  # the page address, the screenshot's digest, the document
    imported: Mapped[bool] = mapped_column(default=False)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    entered_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("price_fen > 0", name="price_positive"),
                      Index("ix_mall_reference_price_product", "product_id", "captured_at"))


class PriceWatch(db.Model):
    """The nightly price check's schedule (one row): the chronograph's due column."""

    __tablename__ = "mall_price_watch"

    id: Mapped[int] = mapped_column(primary_key=True)
    due_at: Mapped[datetime] = mapped_column(index=True)


class PriceCheckReport(db.Model):
    """What one run of the price check did."""

    __tablename__ = "mall_price_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    checked: Mapped[int]
    frozen: Mapped[int]
    fee_shifts: Mapped[int]
    details: Mapped[dict] = mapped_column(JSON)  # frozen and flagged listing ids (the first 1,000), the rules


class CartItem(db.Model):
    __tablename__ = "mall_cart_item"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("mall_listing.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int]
    added_at: Mapped[datetime]

    listing: Mapped[Listing] = relationship()

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)


class Order(db.Model):
    """A purchaser's order with one store."""

    __tablename__ = "mall_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(24), default="supermarket")  # the purchase kind (mall.kinds)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the purchaser's: its rules apply
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("mall_store.id"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "mall_order_status"),
                                                default=OrderStatus.PLACED, index=True)
    amount_fen: Mapped[int]
    rules_version: Mapped[int]
    confirmation_id: Mapped[int | None]  # the budget confirmation drawn on (plan), when the region needs one
    budget_draw_id: Mapped[int | None]
    delivery_address: Mapped[str] = mapped_column(String(200))
    placed_at: Mapped[datetime]
    confirm_due_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]
    received_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    pay_due_at: Mapped[datetime | None] = mapped_column(index=True)
    paid_at: Mapped[datetime | None]
    overdue_warned_at: Mapped[datetime | None]
    contract_signed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(String(300), default="")
    exchanges: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None]
    rating_note: Mapped[str] = mapped_column(String(300), default="")

    purchaser: Mapped[Org] = relationship(foreign_keys=[purchaser_org_id])
    supplier: Mapped[Org] = relationship(foreign_keys=[supplier_org_id])
    lines: Mapped[list[OrderLine]] = relationship(cascade="all, delete-orphan", order_by="OrderLine.id",
                                                  back_populates="order")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("status != 'accepted' OR rating IS NOT NULL", name="accepted_has_rating"),
    )


class OrderLine(db.Model):
    __tablename__ = "mall_order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("mall_listing.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"))
    product_version_id: Mapped[int] = mapped_column(ForeignKey("registry_product_version.id"))
    catalogue_code: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    install_fee_fen: Mapped[int]
    service_fee_fen: Mapped[int]
    total_fen: Mapped[int]
    at: Mapped[datetime]  # the order's time, copied: the rolling statistics read it by product
    counted: Mapped[bool] = mapped_column(default=True)  # False once the order ended without a purchase

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      Index("ix_mall_order_line_product_at", "product_id", "at"))


class Payment(db.Model):
    __tablename__ = "mall_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id"), index=True)
    amount_fen: Mapped[int]
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(64))  # the payment voucher's number
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)


class Dispute(db.Model):
    """A purchaser's complaint about an order's performance; a supervisor upholds or dismisses it."""

    __tablename__ = "mall_dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("mall_order.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[DisputeStatus] = mapped_column(enum_column(DisputeStatus, "mall_dispute_status"),
                                                  default=DisputeStatus.OPEN)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[datetime]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decision: Mapped[str] = mapped_column(String(500), default="")


class ServiceAgreement(db.Model):
    """A designated-service entrant's framework agreement: ceiling prices, minimum discount, price list."""

    __tablename__ = "mall_service_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    category: Mapped[str] = mapped_column(String(24))  # hotel | vehicle_repair | vehicle_insurance | printing
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    min_discount_pct: Mapped[int]  # the agreed price is at least this much below the list price
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    filed_at: Mapped[datetime]
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    supplier: Mapped[Org] = relationship()
    items: Mapped[list[PriceListItem]] = relationship(cascade="all, delete-orphan", order_by="PriceListItem.id",
                                                      back_populates="agreement")

    __table_args__ = (CheckConstraint("min_discount_pct BETWEEN 0 AND 90", name="discount_range"),
                      CheckConstraint("valid_to >= valid_from", name="validity_ordered"))


class PriceListItem(db.Model):
    """One filed price: labour hour, part, room night, meeting room, page… with its unit and ceiling."""

    __tablename__ = "mall_price_list_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("mall_service_agreement.id", ondelete="CASCADE"),
                                              index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(16))
    list_price_fen: Mapped[int]
    ceiling_fen: Mapped[int]

    agreement: Mapped[ServiceAgreement] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("agreement_id", "code", name="uq_mall_price_list_code"),
                      CheckConstraint("unit != ''", name="unit_required"),
                      CheckConstraint("list_price_fen > 0 AND ceiling_fen > 0", name="prices_positive"))


class ServiceOrder(db.Model):
    """An order under a designated-service agreement: the negotiated price within the ceiling and caps."""

    __tablename__ = "mall_service_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("mall_service_agreement.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    purpose: Mapped[str] = mapped_column(String(24))  # meeting | training | repair | insurance | printing
    subject: Mapped[str] = mapped_column(String(200))
    vehicle_plate: Mapped[str] = mapped_column(String(16), default="")
    days: Mapped[int] = mapped_column(default=1)
    persons: Mapped[int] = mapped_column(default=1)
    negotiated_fen: Mapped[int]
    cap_fen: Mapped[int | None]  # the per-unit budget cap that applied (meeting day, vehicle year)
    status: Mapped[ServiceOrderStatus] = mapped_column(enum_column(ServiceOrderStatus, "mall_service_order_status"),
                                                       default=ServiceOrderStatus.PLACED)
    rules_version: Mapped[int]
    placed_at: Mapped[datetime]
    billed_at: Mapped[datetime | None]
    bill_total_fen: Mapped[int | None]
    bill_blocked_lines: Mapped[list] = mapped_column(JSON, default=list)  # line numbers above the price list
    paid_at: Mapped[datetime | None]

    agreement: Mapped[ServiceAgreement] = relationship()
    lines: Mapped[list[BillLine]] = relationship(cascade="all, delete-orphan", order_by="BillLine.number",
                                                 back_populates="service_order")

    __table_args__ = (CheckConstraint("negotiated_fen > 0", name="negotiated_positive"),
                      CheckConstraint("days > 0 AND persons > 0", name="days_persons_positive"))


class BillLine(db.Model):
    """One line of a service bill, with the filed price it was checked against."""

    __tablename__ = "mall_bill_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_order_id: Mapped[int] = mapped_column(ForeignKey("mall_service_order.id", ondelete="CASCADE"),
                                                  index=True)
    number: Mapped[int]
    item_code: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    unit_price_fen: Mapped[int]
    total_fen: Mapped[int]
    filed_price_fen: Mapped[int | None]  # None: the item is not on the filed price list
    deviation_bp: Mapped[int | None]  # (billed − filed) / filed, in basis points
    blocked: Mapped[bool]
    reason: Mapped[str] = mapped_column(String(200), default="")

    service_order: Mapped[ServiceOrder] = relationship(back_populates="lines")

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),
                      UniqueConstraint("service_order_id", "number", name="uq_mall_bill_line_number"))
