"""Tender tables: projects, lots, documents, custody, notices, clarifications, registrations,
sealed bids, custodians' shares, the opening record, and the hall (check-ins, objections).

Money is integer fen; every `_at` column is aware UTC. Statuses and their allowed moves live
in `tender.transitions`; CHECK constraints here are the database's backstop.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, User, enum_column
from core.db import db
from tender.transitions import (
    BidStatus,
    Category,
    EvalMethod,
    LotStatus,
    Method,
    OpeningMode,
    ProjectStatus,
)

TLOCK_ID = "tlock"  # the policy id of the public time-lock custodian (FORMAT.md §15)
TLOCK_LABEL = "时间锁信标（drand）"

class Project(db.Model):
    __tablename__ = "tender_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    catalogue_code: Mapped[str] = mapped_column(String(20))
    category: Mapped[Category] = mapped_column(enum_column(Category, "tender_category"))
    method: Mapped[Method] = mapped_column(enum_column(Method, "tender_method"))
    eval_method: Mapped[EvalMethod] = mapped_column(enum_column(EvalMethod, "tender_eval_method"))
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    price_fixed: Mapped[bool] = mapped_column(default=False)
    same_brand_counts_once: Mapped[bool] = mapped_column(default=False)
    # 技术复杂或社会影响较大 (87号令 Art 47 (二)(三)): the committee needs 7+ members; the reason is stated.
    is_complex: Mapped[bool] = mapped_column(default=False)
    complex_reason: Mapped[str] = mapped_column(String(300), default="")
    # SME price deductions the tender document grants (财库〔2020〕46号 Art 9), within the region's band;
    # None: the band's low end. The consortium/subcontract rate applies at the region's minimum share.
    sme_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    sme_consortium_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    notice_at: Mapped[datetime]
    doc_start_at: Mapped[datetime]
    doc_end_at: Mapped[datetime]
    clarify_deadline: Mapped[datetime]
    deadline: Mapped[datetime] = mapped_column(index=True)  # = opening time
    opening_mode: Mapped[OpeningMode] = mapped_column(enum_column(OpeningMode, "tender_opening_mode"))
    decrypt_window_minutes: Mapped[int] = mapped_column(default=30)
    k: Mapped[int] = mapped_column(default=1)
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus, "tender_project_status"),
                                                  default=ProjectStatus.DRAFT, index=True)
    created_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    opening_started_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    # The region's rule-set version (region_rules) the publication and the opening ran under.
    published_rules_version: Mapped[int | None]
    opened_rules_version: Mapped[int | None]
    # Bumped by every bid submission and by the deadline sweep: a conditional UPDATE of this row
    # is the lock that serialises a submission against the closing (PostgreSQL and SQLite alike).
    lock_version: Mapped[int] = mapped_column(default=0)
    previous_project_id: Mapped[int | None] = mapped_column(ForeignKey("tender_project.id"))  # a failed one redone

    purchaser: Mapped[Org] = relationship(foreign_keys=[purchaser_org_id])
    agency: Mapped[Org] = relationship(foreign_keys=[agency_org_id])
    lots: Mapped[list[Lot]] = relationship(back_populates="project", order_by="Lot.number",
                                           cascade="all, delete-orphan")
    custodians: Mapped[list[ProjectCustodian]] = relationship(order_by="ProjectCustodian.position",
                                                             cascade="all, delete-orphan")
    documents: Mapped[list[TenderDocument]] = relationship(order_by="TenderDocument.id",
                                                          cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("k >= 1", name="k_positive"),
        CheckConstraint("doc_start_at <= doc_end_at", name="doc_period_ordered"),
        CheckConstraint("notice_at <= deadline", name="notice_before_deadline"),
        CheckConstraint("status IN ('draft', 'cancelled') OR published_at IS NOT NULL", name="published_has_time"),
    )

    @property
    def budget_fen(self) -> int:
        return sum(lot.budget_fen for lot in self.lots)


class Lot(db.Model):
    __tablename__ = "tender_lot"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    budget_fen: Mapped[int] = mapped_column(BigInteger)  # integer fen: INTEGER would stop at 21 million yuan
    max_price_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[LotStatus] = mapped_column(enum_column(LotStatus, "tender_lot_status"), default=LotStatus.OPEN)
    policy_json: Mapped[str | None] = mapped_column(Text)  # frozen at publication
    policy_hash: Mapped[str | None] = mapped_column(String(64))
    failure_reason: Mapped[str | None] = mapped_column(String(200))

    project: Mapped[Project] = relationship(back_populates="lots")

    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_tender_lot_project_number"),
        CheckConstraint("budget_fen > 0 AND max_price_fen > 0 AND max_price_fen <= budget_fen",
                        name="money_sane"),
    )

    @property
    def policy(self) -> dict[str, Any] | None:
        return json.loads(self.policy_json) if self.policy_json else None


class ProjectCustodian(db.Model):
    """A holder of one share of every bid: a user's registered encrypt key, the time vault, or the public
    time-lock custodian ("tlock": a drand round, frozen with the beacon's key in the lot's policy)."""

    __tablename__ = "tender_custodian"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]  # 0-based; the share index x is position + 1
    custodian_id: Mapped[str] = mapped_column(String(64))  # the id in the policy: "vault", "tlock" or "u<user id>"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    public_key_id: Mapped[int | None] = mapped_column(ForeignKey("public_key.id"))
    label: Mapped[str] = mapped_column(String(120))
    public_key_pem: Mapped[str] = mapped_column(Text)

    user: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "custodian_id", name="uq_tender_custodian_project_cid"),)

    @property
    def is_vault(self) -> bool:
        return self.user_id is None and self.custodian_id != TLOCK_ID

    @property
    def is_tlock(self) -> bool:
        return self.custodian_id == TLOCK_ID

    @property
    def kind(self) -> str:
        """"user", "vault" or "tlock" (tender/custody.py counts each kind with its party)."""
        return "tlock" if self.is_tlock else "vault" if self.user_id is None else "user"

    @property
    def chain(self) -> str:
        """The beacon chain a time-lock custodian is (or will be, at publication) frozen to."""
        from beacon import current_chain

        return current_chain().chain_hash if self.is_tlock else ""

    @property
    def independent(self) -> bool:
        """Whether a time-lock custodian's beacon is independent of the platform (public drand)."""
        from beacon import current_chain

        return self.is_tlock and current_chain().is_public


class TenderDocument(db.Model):
    __tablename__ = "tender_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(300))  # relative to FILE_STORE
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]


class Clarification(db.Model):
    """A registered supplier's question; the answer goes to every registered supplier, unnamed."""

    __tablename__ = "tender_clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    asked_by_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))  # NULL: the agency's own
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_time"),)


class Registration(db.Model):
    __tablename__ = "tender_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime]
    # A consortium (联合体) bidding as one: its other members, [{"name", "uscc", "org_id"}], declared before
    # the deadline (tender.service.declare_consortium); None: the supplier bids alone. Credit checks each.
    consortium_members: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    org: Mapped[Org] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "org_id", name="uq_tender_registration_project_org"),)


class Bid(db.Model):
    """One accepted sealed container. Only the latest `submitted` one of a supplier counts."""

    __tablename__ = "tender_bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[BidStatus] = mapped_column(enum_column(BidStatus, "tender_bid_status"),
                                              default=BidStatus.SUBMITTED, index=True)
    bidder_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str] = mapped_column(String(300))  # relative to FILE_STORE
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    signed_digest: Mapped[str] = mapped_column(String(64))
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))  # the container's key commitment (b64u), public
    # SHA-256 of the first MiB of its records and of its final record (tender.bids.ciphertext_fingerprint):
    # a relabelled copy of another supplier's container keeps the ciphertext, so it keeps this value
    ciphertext_fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(default=0)  # opening attempts; its UPDATE is the opening lock
    submitted_at: Mapped[datetime]
    # what the platform saw of the upload (network address, browser or tool): evidence for the collusion
    # signals (87号令 Art 37, registry.collusion), never shown to other bidders; NULL before it was recorded
    submitted_ip: Mapped[str | None] = mapped_column(String(45))
    submitted_user_agent: Mapped[str | None] = mapped_column(String(300))
    closed_at: Mapped[datetime | None]  # superseded / withdrawn / opened / failed
    audit_seq: Mapped[int | None]
    # a superseded or withdrawn bid's file, deleted after the opening where the region's rules allow it
    # (tender.bids.remove_superseded_files); the row, its digests and its audit events stay
    file_removed_at: Mapped[datetime | None]
    receipt: Mapped[str | None] = mapped_column(Text)  # signed receipt JSON, given to the supplier
    outcome_code: Mapped[str | None] = mapped_column(String(40))  # crypto error code or cause
    outcome_note: Mapped[str | None] = mapped_column(String(300))
    fault: Mapped[str | None] = mapped_column(String(12))  # "bidder" | "platform" | "custody"

    org: Mapped[Org] = relationship()
    lot: Mapped[Lot] = relationship()

    __table_args__ = (
        Index("ix_tender_bid_commitment", "commitment"),
        Index("ix_tender_bid_one_current", "lot_id", "org_id", unique=True,
              sqlite_where=text("status = 'submitted'"), postgresql_where=text("status = 'submitted'")),
        CheckConstraint("status = 'submitted' OR closed_at IS NOT NULL", name="closed_has_time"),
    )


class ShareSubmission(db.Model):
    """A custodian's unwrapped share of one bid, accepted only after the opening time."""

    __tablename__ = "tender_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id", ondelete="CASCADE"), index=True)
    custodian_id: Mapped[str] = mapped_column(String(64))
    x: Mapped[int]
    share_json: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("bid_id", "x", name="uq_tender_share_bid_x"),)


class OpeningRecord(db.Model):
    """One line of the opening record, read from an opened bid's summary."""

    __tablename__ = "tender_opening_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    bidder_name: Mapped[str] = mapped_column(String(200))
    price_fen: Mapped[int | None] = mapped_column(BigInteger)
    delivery: Mapped[str] = mapped_column(String(200), default="")
    brand: Mapped[str] = mapped_column(String(200), default="")  # for "same brand counts as one bidder"
    remarks: Mapped[str] = mapped_column(Text, default="")
    # The summary's price breakdown as read at the opening (`tender.price_detail`): price_words,
    # body_price_fen, body_price_words, items [{ref, name, quantity, unit_price_fen, total_fen}],
    # *_unreadable, notes. NULL: the summary gave none. The committee corrects the price from it (Art 59).
    price_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime]

    lot: Mapped[Lot] = relationship()


class Checkin(db.Model):
    __tablename__ = "tender_checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    checked_in_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]  # the supplier confirmed the opening record

    org: Mapped[Org] = relationship()

    __table_args__ = (UniqueConstraint("project_id", "org_id", name="uq_tender_checkin_project_org"),)


class Objection(db.Model):
    __tablename__ = "tender_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]

    org: Mapped[Org] = relationship()
