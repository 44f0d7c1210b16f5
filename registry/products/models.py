"""Product library tables: products, their accepted versions (immutable snapshots), proposals waiting
for review, the search tokens, and offers with their delivery regions.

A product is a brand + model + specification bound to one catalogue leaf. A supplier proposes it
(or a new version of it); the review accepts a proposal into a new `ProductVersion`, a snapshot
that never changes afterwards (an order keeps pointing at the version it bought). The product's
current version is the newest accepted one. Offers are a supplier's price for one snapshot.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core import transitions
from core.db import db


class ProductStatus(enum.StrEnum):
    ACTIVE = "active"  # listed: searchable, offers may be made
    HIDDEN = "hidden"  # not re-confirmed within the region's period: out of search until confirmed
    WITHDRAWN = "withdrawn"  # taken off the library by its supplier or the reviewer


PRODUCT = transitions.lifecycle(ProductStatus, {
    (ProductStatus.ACTIVE, ProductStatus.HIDDEN),
    (ProductStatus.HIDDEN, ProductStatus.ACTIVE),
    (ProductStatus.ACTIVE, ProductStatus.WITHDRAWN),
    (ProductStatus.HIDDEN, ProductStatus.WITHDRAWN),
}, code="product_transition_refused", event="registry.product_status")


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


PROPOSAL = transitions.lifecycle(ProposalStatus, {
    (ProposalStatus.PENDING, ProposalStatus.ACCEPTED),
    (ProposalStatus.PENDING, ProposalStatus.REJECTED),
    (ProposalStatus.PENDING, ProposalStatus.WITHDRAWN),
}, code="proposal_transition_refused", event="registry.product_proposal_status")


class OfferStatus(enum.StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"


OFFER = transitions.lifecycle(OfferStatus, {(OfferStatus.ACTIVE, OfferStatus.WITHDRAWN)},
                              code="offer_transition_refused", event="registry.offer_status")


class Product(db.Model):
    __tablename__ = "registry_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # who keeps it up to date
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the supplier's: its rules apply
    status: Mapped[ProductStatus] = mapped_column(
        enum_column(ProductStatus, "registry_product_status"), default=ProductStatus.ACTIVE, index=True)
    # the current version's key facts, copied for search and lists
    current_version_id: Mapped[int | None]  # the newest accepted version (no foreign key: the two tables
    # point at each other; `versions` is the checked side)
    catalogue_code: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(200))  # brand + model
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime]  # accepted or re-confirmed by its supplier
    confirm_due_at: Mapped[datetime] = mapped_column(index=True)  # hidden unless re-confirmed by then

    supplier: Mapped[Org] = relationship()
    current_version: Mapped[ProductVersion | None] = relationship(
        primaryjoin="foreign(Product.current_version_id) == ProductVersion.id", viewonly=True)
    versions: Mapped[list[ProductVersion]] = relationship(
        foreign_keys="ProductVersion.product_id", order_by="ProductVersion.number", back_populates="product")


class ProductVersion(db.Model):
    """An accepted version: a snapshot. Rows are never updated (`_refuse_update` below)."""

    __tablename__ = "registry_product_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"), index=True)
    number: Mapped[int]  # 1, 2, … per product
    brand: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(120))
    spec: Mapped[str] = mapped_column(Text)  # 规格参数
    catalogue_version_id: Mapped[int] = mapped_column(ForeignKey("registry_catalogue_version.id"))
    catalogue_code: Mapped[str] = mapped_column(String(16))
    catalogue_name: Mapped[str] = mapped_column(String(120))  # as the catalogue named it then
    sha256: Mapped[str] = mapped_column(String(64))  # of the canonical JSON of the fields above
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("registry_product_proposal.id"))
    accepted_at: Mapped[datetime]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    product: Mapped[Product] = relationship(foreign_keys=[product_id], back_populates="versions")

    __table_args__ = (UniqueConstraint("product_id", "number", name="uq_registry_product_version_number"),)


@event.listens_for(ProductVersion, "before_update")
def _refuse_update(_mapper, _connection, target: ProductVersion) -> None:
    raise ValueError(f"product version {target.id} is an accepted snapshot and cannot change")


class ProductProposal(db.Model):
    """A supplier's proposal of a new product (product_id None) or of a new version of its product."""

    __tablename__ = "registry_product_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("registry_product.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    brand: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(120))
    spec: Mapped[str] = mapped_column(Text)
    catalogue_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "registry_product_proposal_status"), default=ProposalStatus.PENDING, index=True)
    submitted_at: Mapped[datetime]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(200), default="")

    supplier: Mapped[Org] = relationship()
    product: Mapped[Product | None] = relationship(foreign_keys=[product_id])

    __table_args__ = (
        CheckConstraint("status = 'pending' OR status = 'withdrawn' OR reviewed_at IS NOT NULL",
                        name="reviewed_has_time"),
        CheckConstraint("status != 'rejected' OR review_note != ''", name="rejection_has_reason"),
    )


class ProductToken(db.Model):
    """One search word of a product's current version (jieba's search-mode segmentation)."""

    __tablename__ = "registry_product_token"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)


class Offer(db.Model):
    """A supplier's offer of one product snapshot: price per unit in fen, minimum order, delivery regions."""

    __tablename__ = "registry_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"))
    product_version_id: Mapped[int] = mapped_column(ForeignKey("registry_product_version.id"))
    price_fen: Mapped[int]
    min_order_qty: Mapped[int] = mapped_column(default=1)
    status: Mapped[OfferStatus] = mapped_column(
        enum_column(OfferStatus, "registry_offer_status"), default=OfferStatus.ACTIVE)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    supplier: Mapped[Org] = relationship()
    product: Mapped[Product] = relationship()
    product_version: Mapped[ProductVersion] = relationship()
    region_rows: Mapped[list[OfferRegion]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("min_order_qty >= 1", name="min_order_positive"),
        Index("ix_registry_offer_product_status_price", "product_id", "status", "price_fen"),
        UniqueConstraint("supplier_org_id", "product_id", name="uq_registry_offer_supplier_product"),
    )

    @property
    def region_codes(self) -> list[str]:
        return sorted(r.region_code for r in self.region_rows)


class OfferRegion(db.Model):
    __tablename__ = "registry_offer_region"

    offer_id: Mapped[int] = mapped_column(ForeignKey("registry_offer.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), primary_key=True, index=True)
