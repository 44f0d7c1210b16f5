"""The reverse auction's tables (反向竞价): the auction, its bidders under their pseudonyms and the
hash-chained log of everything that happened while bidding (`mall.auction_log`).

Money is integer fen: the ceiling, the decrement and every bid are unit prices for the auction's one
item (the quantity is fixed at publication); times are UTC. The log rows are never updated: the
auction row carries the head (`log_size`, `log_head`) that the next entry chains to, under the
auction's row lock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core.db import db
from mall.auction_transitions import AuctionStatus


class Auction(db.Model):
    """A purchaser's reverse auction for one catalogue product and a quantity."""

    __tablename__ = "mall_auction"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))  # the purchaser's: its rules apply
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    title: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int] = mapped_column(ForeignKey("registry_product.id"), index=True)
    catalogue_code: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    ceiling_fen: Mapped[int]  # the highest acceptable unit price
    decrement_fen: Mapped[int]  # bids step down from the ceiling by whole multiples of this
    mode: Mapped[str] = mapped_column(String(16), default="free")  # free bidding with a limit window
    delivery_address: Mapped[str] = mapped_column(String(200))
    status: Mapped[AuctionStatus] = mapped_column(enum_column(AuctionStatus, "mall_auction_status"),
                                                  default=AuctionStatus.SCHEDULED, index=True)
    rules_version: Mapped[int]
    min_bidders: Mapped[int]
    window_s: Mapped[int]  # the limit window: a valid bid in the last window_s seconds restarts it
    confirm_hours: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(index=True)
    scheduled_end_at: Mapped[datetime]
    ends_at: Mapped[datetime] = mapped_column(index=True)  # moves with each extension, never past the hard stop
    hard_stop_at: Mapped[datetime]
    extensions: Mapped[int] = mapped_column(default=0)
    lowest_fen: Mapped[int | None]
    accepted_bids: Mapped[int] = mapped_column(default=0)
    refused_bids: Mapped[int] = mapped_column(default=0)
    log_size: Mapped[int] = mapped_column(default=0)
    log_head: Mapped[str] = mapped_column(String(64))
    seal_note: Mapped[str] = mapped_column(Text, default="")  # the head signed at the close
    seal_audit_seq: Mapped[int | None]  # the audit event that anchors the seal
    closed_at: Mapped[datetime | None]
    ranking: Mapped[list] = mapped_column(JSON, default=list)  # [[bidder id, unit price, seq]] at the close
    offer_rank: Mapped[int | None]  # 0-based place in `ranking` of the bidder offered the award
    offer_due_at: Mapped[datetime | None] = mapped_column(index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("mall_order.id"))
    end_reason: Mapped[str] = mapped_column(String(300), default="")
    published_at: Mapped[datetime]

    purchaser: Mapped[Org] = relationship()

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("ceiling_fen > 0 AND decrement_fen > 0 AND decrement_fen < ceiling_fen",
                        name="prices_ordered"),
        CheckConstraint("scheduled_end_at > starts_at AND ends_at >= scheduled_end_at AND hard_stop_at >= ends_at",
                        name="times_ordered"),
        CheckConstraint("min_bidders >= 2", name="never_against_itself"),
    )


class AuctionBidder(db.Model):
    """A supplier that bid (or tried to) in an auction, known in the log and to the others only by its
    pseudonym (B01, B02… in the order they first bid)."""

    __tablename__ = "mall_auction_bidder"

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("mall_auction.id", ondelete="CASCADE"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    pseudonym: Mapped[str] = mapped_column(String(8))
    best_fen: Mapped[int | None]
    best_seq: Mapped[int | None]
    joined_at: Mapped[datetime]

    supplier: Mapped[Org] = relationship()

    __table_args__ = (UniqueConstraint("auction_id", "supplier_org_id", name="uq_mall_auction_bidder_org"),
                      UniqueConstraint("auction_id", "pseudonym", name="uq_mall_auction_bidder_pseudonym"))


class AuctionEntry(db.Model):
    """One entry of an auction's log: open, bid, refused, extend, close — chained by hash."""

    __tablename__ = "mall_auction_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    auction_id: Mapped[int] = mapped_column(ForeignKey("mall_auction.id", ondelete="CASCADE"))
    seq: Mapped[int]
    at: Mapped[str] = mapped_column(String(32))  # the server time, ISO UTC with microseconds (hashed as is)
    kind: Mapped[str] = mapped_column(String(16))
    bidder: Mapped[str | None] = mapped_column(String(8))
    amount_fen: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("auction_id", "seq", name="uq_mall_auction_entry_seq"),
                      Index("ix_mall_auction_entry_auction_kind", "auction_id", "kind"))
