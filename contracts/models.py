"""The contract of any purchase and its parties' signatures.

A contract comes from a source (`contracts.sources`): a tender award today, an e-mall order, a framework
call-off or a designated-service order tomorrow; `source_kind` and `source_id` name it (no foreign key,
as a notice's subject). The parties and the region are copied from the source when it is drafted, so
lists, access checks and the finance export read the contract alone.

`document` is the canonical JSON both parties sign; `sha256` its digest. While a draft nobody has
signed, the open terms may still change (each change a new `revision` with a new digest); the first
signature freezes the text."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import enum_column
from contracts.transitions import AcceptanceStatus, ContractStatus
from core.db import db


class Contract(db.Model):
    __tablename__ = "contract"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(20))   # "award", … (contracts.sources)
    source_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    status: Mapped[ContractStatus] = mapped_column(enum_column(ContractStatus, "contract_status"),
                                                   default=ContractStatus.DRAFT, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    document: Mapped[str] = mapped_column(Text)       # canonical JSON, format biaoyun-contract/1
    sha256: Mapped[str] = mapped_column(String(64))   # of `document`: what both parties sign
    revision: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]                          # the last moment to sign (the source's rule)
    drafted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    drafted_at: Mapped[datetime]
    signed_at: Mapped[datetime | None] = mapped_column(index=True)  # statistics rebuild a month by it
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    voided_at: Mapped[datetime | None]
    # after the acceptance (履约验收): what is owed by when, what was paid, whether finance was warned
    accepted_at: Mapped[datetime | None]
    payment_due_at: Mapped[datetime | None] = mapped_column(index=True)
    paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_warned_at: Mapped[datetime | None]

    signatures: Mapped[list[ContractSignature]] = relationship(order_by="ContractSignature.signed_at",
                                                               cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", name="uq_contract_source"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status <> 'signed' OR (signed_at IS NOT NULL AND notice_id IS NOT NULL)",
                        name="signed_is_published"),
        CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name="voided_has_time"),
        CheckConstraint("purchaser_org_id <> supplier_org_id", name="two_parties"),
        CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid_within_amount"),
        CheckConstraint("(payment_due_at IS NULL) = (accepted_at IS NULL)", name="due_once_accepted"),
    )


class ContractSignature(db.Model):
    """One party's signature over the contract's digest, checked against its registered key."""

    __tablename__ = "contract_signature"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True)
    party: Mapped[str] = mapped_column(String(12), primary_key=True)  # "purchaser" | "supplier"
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    key_id: Mapped[int] = mapped_column(ForeignKey("public_key.id"))
    sha256: Mapped[str] = mapped_column(String(64))     # the digest signed (= the contract's at signing)
    signature: Mapped[str] = mapped_column(String(100))  # base64url raw r||s
    signed_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("party IN ('purchaser', 'supplier')", name="party_known"),)


class Acceptance(db.Model):
    """One round of a contract's acceptance (履约验收, 财库〔2016〕205号): the group the purchaser set, the
    result item by item against the contract's items, the report every member signs with his key.
    A failed round carries its remedy; after a rectification the purchaser organises the next round."""

    __tablename__ = "contract_acceptance"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(default=1)
    status: Mapped[AcceptanceStatus] = mapped_column(enum_column(AcceptanceStatus, "acceptance_status"),
                                                     default=AcceptanceStatus.ORGANISED, index=True)
    mode: Mapped[str] = mapped_column(String(12))   # "purchaser" | "experts" | "third_party"
    third_party: Mapped[str] = mapped_column(String(120), default="")  # the testing body's name, if any
    scheduled_on: Mapped[date]
    organised_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    organised_at: Mapped[datetime]
    delivery_due_on: Mapped[date | None]              # the delivery date the contract promised
    delivered_on: Mapped[date | None]                 # when the goods/works/services were delivered
    items: Mapped[list | None] = mapped_column(JSON)  # [{ref, name, quantity, accepted_quantity, passed, note}]
    conclusion: Mapped[str] = mapped_column(Text, default="")
    passed: Mapped[bool | None]
    document: Mapped[str | None] = mapped_column(Text)  # canonical JSON, format biaoyun-acceptance/1
    sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    remedy: Mapped[str | None] = mapped_column(String(12))  # after a failure: "rectify" | "terminate"
    remedy_due_on: Mapped[date | None]
    remedy_note: Mapped[str] = mapped_column(String(500), default="")
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))

    members: Mapped[list[AcceptanceMember]] = relationship(order_by="AcceptanceMember.user_id",
                                                           cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("contract_id", "round", name="uq_contract_acceptance_round"),
        CheckConstraint("mode IN ('purchaser', 'experts', 'third_party')", name="mode_known"),
        CheckConstraint("remedy IS NULL OR remedy IN ('rectify', 'terminate')", name="remedy_known"),
        CheckConstraint("(document IS NULL) = (recorded_at IS NULL)", name="recorded_has_report"),
        CheckConstraint("status NOT IN ('passed', 'failed') OR decided_at IS NOT NULL", name="decided_has_time"),
    )


class AcceptanceMember(db.Model):
    """A member of the acceptance group (the purchaser's staff, an expert, the third party's tester, the
    supplier's representative) and his signature over the report's digest."""

    __tablename__ = "contract_acceptance_member"

    acceptance_id: Mapped[int] = mapped_column(ForeignKey("contract_acceptance.id", ondelete="CASCADE"),
                                               primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(12))  # "purchaser" | "expert" | "third_party" | "supplier"
    key_id: Mapped[int | None] = mapped_column(ForeignKey("public_key.id"))
    sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(String(100))
    signed_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("role IN ('purchaser', 'expert', 'third_party', 'supplier')", name="role_known"),
        CheckConstraint("(signature IS NULL) = (signed_at IS NULL)", name="signature_has_time"),
    )


class ContractPayment(db.Model):
    """A payment of the contract made by the treasury, as the finance intranet reported it."""

    __tablename__ = "contract_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date]
    voucher: Mapped[str] = mapped_column(String(60), unique=True)  # the intranet's payment voucher number
    message_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_message.id"))
    late: Mapped[bool] = mapped_column(default=False)
    recorded_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)


class PerformanceRating(db.Model):
    """How the supplier performed the contract, from its acceptance: feeds its credit (registry)."""

    __tablename__ = "contract_performance"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id", ondelete="CASCADE"), primary_key=True)
    supplier_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    on_time: Mapped[bool]
    first_round: Mapped[bool]  # accepted at the first acceptance
    defects: Mapped[int]       # items not accepted, over every round
    score: Mapped[int]
    rated_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)
