"""Deposit tables: a lot's deposit setting, the deposits (bid and performance, each with the supplier's
virtual sub-account) and each transfer received. Money is integer fen, every `_at` column aware UTC, every `_on`
column a local (Beijing) date."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core.db import db
from deposits.transitions import DepositStatus, Form, Purpose


class LotDeposit(db.Model):
    """What the tender document asks of a lot: a bid deposit (or none), its amount and forms, the bid
    validity a guarantee letter must cover, and the performance security. Fixed at publication."""

    __tablename__ = "deposit_lot_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    required: Mapped[bool] = mapped_column(default=False)
    waiver: Mapped[str] = mapped_column(String(8), default="none")  # the region's rule when it was set
    amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)  # "transfer", "guarantee"
    bank_sender_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_sender.id"))  # the collecting bank
    bid_valid_days: Mapped[int] = mapped_column(default=90)  # 投标有效期, counted from the deadline
    performance_percent: Mapped[int] = mapped_column(default=0)  # 0: no performance security asked
    rules_version: Mapped[int] = mapped_column(default=0)
    # where the lot's deposits stand: open → awarded (losers' refunds scheduled) → contracted (winner's)
    # | ended (failed or cancelled: every refund scheduled). The sweep moves it.
    stage: Mapped[str] = mapped_column(String(12), default="open", index=True)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    set_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("amount_fen >= 0 AND performance_percent >= 0 AND performance_percent <= 10",
                        name="amounts_sane"),
        CheckConstraint("NOT required OR amount_fen > 0", name="required_has_amount"),
    )


class Deposit(db.Model):
    """One supplier's deposit for one lot (bid) or one contract (performance): what is due, how it came
    (transfers or a guarantee letter), and its refund or forfeiture."""

    __tablename__ = "deposit"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    purpose: Mapped[Purpose] = mapped_column(enum_column(Purpose, "deposit_purpose"))
    form: Mapped[Form | None] = mapped_column(enum_column(Form, "deposit_form"))
    status: Mapped[DepositStatus] = mapped_column(enum_column(DepositStatus, "deposit_status"),
                                                  default=DepositStatus.AWAITING, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what is due
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # transfers received in time
    # the supplier's virtual sub-account of the agency at the collecting bank (`service.account_number`:
    # derived from lot, supplier and purpose with a check digit, so it needs no row before the first transfer)
    account_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    contract_amount_fen: Mapped[int | None] = mapped_column(BigInteger)  # performance: the base of the percent
    # a guarantee letter: its issuer (a registered sender), number, validity and the signed letter itself
    issuer_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_sender.id"))
    letter_no: Mapped[str | None] = mapped_column(String(80))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    letter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    letter_signature: Mapped[str | None] = mapped_column(Text)
    held_at: Mapped[datetime | None]
    waiver_reason: Mapped[str | None] = mapped_column(String(200))
    refund_reason: Mapped[str | None] = mapped_column(String(200))
    refund_from_on: Mapped[date | None]  # the day the period counts from (award notice, contract…)
    refund_due_on: Mapped[date | None] = mapped_column(index=True)  # the last working day to refund
    refund_message_id: Mapped[str | None] = mapped_column(String(100))
    refund_sent_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]
    overdue_at: Mapped[datetime | None]  # the refund was not confirmed by its last day (flagged once)
    forfeited_at: Mapped[datetime | None]
    forfeit_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]

    org: Mapped[Org] = relationship()
    credits: Mapped[list[DepositCredit]] = relationship(order_by="DepositCredit.id", back_populates="deposit")

    __table_args__ = (
        Index("ix_deposit_one_per_purpose", "lot_id", "org_id", "purpose", unique=True),
        CheckConstraint("status <> 'refund_due' OR refund_due_on IS NOT NULL", name="refund_due_has_day"),
        CheckConstraint("status <> 'forfeited' OR forfeit_reason IS NOT NULL", name="forfeit_has_reason"),
        CheckConstraint("amount_fen >= 0 AND paid_fen >= 0", name="money_sane"),
    )


class DepositCredit(db.Model):
    """One transfer the bank reported into a sub-account, with the account it came from (Art 37: two
    bidders' deposits from one account is a collusion situation)."""

    __tablename__ = "deposit_credit"

    id: Mapped[int] = mapped_column(primary_key=True)
    deposit_id: Mapped[int] = mapped_column(ForeignKey("deposit.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    payer_account: Mapped[str] = mapped_column(String(40), index=True)
    payer_name: Mapped[str] = mapped_column(String(200))
    bank_ref: Mapped[str] = mapped_column(String(80))
    value_at: Mapped[datetime]  # when the money arrived, as the bank says
    in_time: Mapped[bool]  # before the bid deadline (a late transfer does not count; it is refunded)
    message_id: Mapped[int] = mapped_column(ForeignKey("exchange_message.id"))
    received_at: Mapped[datetime]

    deposit: Mapped[Deposit] = relationship(back_populates="credits")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        Index("ix_deposit_credit_bank_ref", "message_id", "bank_ref", unique=True),
    )


