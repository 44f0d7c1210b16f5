"""The contract of any purchase and its parties' signatures.

A contract comes from a source (`contracts.sources`): a tender award today, an e-mall order, a framework
call-off or a designated-service order tomorrow; `source_kind` and `source_id` name it (no foreign key,
as a notice's subject). The parties and the region are copied from the source when it is drafted, so
lists, access checks and the finance export read the contract alone.

`document` is the canonical JSON both parties sign; `sha256` its digest. While a draft nobody has
signed, the open terms may still change (each change a new `revision` with a new digest); the first
signature freezes the text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import enum_column
from contracts.transitions import ContractStatus
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
    signed_at: Mapped[datetime | None]
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    voided_at: Mapped[datetime | None]

    signatures: Mapped[list[ContractSignature]] = relationship(order_by="ContractSignature.signed_at",
                                                               cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", name="uq_contract_source"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status <> 'signed' OR (signed_at IS NOT NULL AND notice_id IS NOT NULL)",
                        name="signed_is_published"),
        CheckConstraint("status <> 'voided' OR voided_at IS NOT NULL", name="voided_has_time"),
        CheckConstraint("purchaser_org_id <> supplier_org_id", name="two_parties"),
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
