"""Supplier library tables: the supplier profile beside its organisation, contacts, qualifications and
key-field changes.

The organisation itself (name, USCC, region, is_sme) stays in `accounts.models.Org` (kind supplier);
`registry_supplier` holds what the library adds to it, one row per supplier organisation. Table names
start with `registry_supplier` beside the expert library's.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, User, enum_column
from core import transitions
from core.db import db


class SupplierStatus(enum.StrEnum):
    DRAFT = "draft"  # being filled in by the supplier (also: returned by the reviewer with a reason)
    SUBMITTED = "submitted"  # complete, waiting for the central agency's review
    ACTIVE = "active"  # in the library (入库)
    SUSPENDED = "suspended"  # temporarily barred, with a reason
    DEREGISTERED = "deregistered"  # out of the library for good (注销)


SUPPLIER_TRANSITIONS: frozenset[tuple[SupplierStatus, SupplierStatus]] = frozenset({
    (SupplierStatus.DRAFT, SupplierStatus.SUBMITTED),
    (SupplierStatus.SUBMITTED, SupplierStatus.ACTIVE),
    (SupplierStatus.SUBMITTED, SupplierStatus.DRAFT),  # returned with a reason
    (SupplierStatus.ACTIVE, SupplierStatus.SUSPENDED),
    (SupplierStatus.SUSPENDED, SupplierStatus.ACTIVE),
    (SupplierStatus.ACTIVE, SupplierStatus.DEREGISTERED),
    (SupplierStatus.SUSPENDED, SupplierStatus.DEREGISTERED),
})

SUPPLIER = transitions.lifecycle(SupplierStatus, SUPPLIER_TRANSITIONS, code="supplier_transition_refused",
                                 event="registry.supplier_status")


class SizeClass(enum.StrEnum):
    """Enterprise size under 工信部联企业〔2011〕300号; medium, small and micro are SMEs (财库〔2020〕46号)."""

    LARGE = "large"  # 大型
    MEDIUM = "medium"  # 中型
    SMALL = "small"  # 小型
    MICRO = "micro"  # 微型


SME_SIZES = frozenset({SizeClass.MEDIUM, SizeClass.SMALL, SizeClass.MICRO})
SMALL_MICRO_SIZES = frozenset({SizeClass.SMALL, SizeClass.MICRO})


class QualificationKind(enum.StrEnum):
    BUSINESS_LICENCE = "business_licence"  # 营业执照 (required)
    INDUSTRY = "industry"  # 行业资质证书
    PERMIT = "permit"  # 生产或经营许可证
    CERTIFICATION = "certification"  # 体系认证证书
    OTHER = "other"  # 其他


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Supplier(db.Model):
    __tablename__ = "registry_supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), unique=True)
    admin_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[SupplierStatus] = mapped_column(
        enum_column(SupplierStatus, "registry_supplier_status"), default=SupplierStatus.DRAFT, index=True)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    legal_representative: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(200))
    size_class: Mapped[SizeClass] = mapped_column(enum_column(SizeClass, "registry_supplier_size"), index=True)
    bank_name: Mapped[str] = mapped_column(String(120))
    bank_account_name: Mapped[str] = mapped_column(String(120))
    bank_account_number: Mapped[str] = mapped_column(String(40))
    # the embedded GB 11714 code failed its check: the warning, and who confirmed the code anyway
    uscc_warning: Mapped[str] = mapped_column(String(200), default="")
    uscc_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uscc_confirm_note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    review_due_at: Mapped[datetime | None] = mapped_column(index=True)
    review_rule_version: Mapped[int | None]
    overdue_warned_at: Mapped[datetime | None]
    admitted_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    imported: Mapped[bool] = mapped_column(default=False)

    org: Mapped[Org] = relationship(lazy="selectin")
    admin_user: Mapped[User | None] = relationship(foreign_keys=[admin_user_id])
    contacts: Mapped[list[SupplierContact]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                           order_by="SupplierContact.id")
    qualifications: Mapped[list[SupplierQualification]] = relationship(
        cascade="all, delete-orphan", order_by="SupplierQualification.id", back_populates="supplier",
        lazy="selectin")  # the library's list flags each supplier's expiring certificates

    __table_args__ = (
        CheckConstraint("status != 'active' OR admitted_at IS NOT NULL", name="active_is_admitted"),
        CheckConstraint("status != 'submitted' OR review_due_at IS NOT NULL", name="submitted_has_due"),
        CheckConstraint("status NOT IN ('suspended', 'deregistered') OR status_reason != ''",
                        name="suspension_has_reason"),
    )

    @property
    def name(self) -> str:
        return self.org.name

    @property
    def uscc(self) -> str:
        return self.org.uscc or ""

    @property
    def region_code(self) -> str:
        return self.org.region_code

    @property
    def is_sme(self) -> bool:
        return self.size_class in SME_SIZES

    @property
    def live_qualifications(self) -> list[SupplierQualification]:
        return [q for q in self.qualifications if q.removed_at is None]


class SupplierContact(db.Model):
    __tablename__ = "registry_supplier_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("registry_supplier.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    phone: Mapped[str] = mapped_column(String(20), index=True)


class SupplierQualification(db.Model):
    """A certificate (营业执照, 资质…) with its expiry (NULL: 长期有效) and its scan in the registry area
    (NULL for a record imported from an old library without scans)."""

    __tablename__ = "registry_supplier_qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("registry_supplier.id", ondelete="CASCADE"), index=True)
    kind: Mapped[QualificationKind] = mapped_column(enum_column(QualificationKind, "registry_supplier_qual_kind"))
    name: Mapped[str] = mapped_column(String(120))
    number: Mapped[str] = mapped_column(String(60), default="")
    expires_on: Mapped[date | None]  # the last valid day (Beijing time)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)  # the moment after it, UTC
    remind_at: Mapped[datetime | None] = mapped_column(index=True)  # the reminder ahead, by the region rule
    reminded_at: Mapped[datetime | None]
    expired_flagged_at: Mapped[datetime | None]
    file_name: Mapped[str | None] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(String(300))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]

    supplier: Mapped[Supplier] = relationship(back_populates="qualifications")

    __table_args__ = (
        CheckConstraint("(expires_on IS NULL) = (expires_at IS NULL)", name="expiry_both_or_none"),
        CheckConstraint("size IS NULL OR size > 0", name="not_empty"),
    )

    def expired_on(self, day: date) -> bool:
        return self.expires_on is not None and self.expires_on < day


class SupplierChange(db.Model):
    """A change of key fields waiting for the reviewer: the old values are kept here for good."""

    __tablename__ = "registry_supplier_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("registry_supplier.id", ondelete="CASCADE"), index=True)
    old_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    new_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ChangeStatus] = mapped_column(
        enum_column(ChangeStatus, "registry_supplier_change_status"), default=ChangeStatus.PENDING, index=True)
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(200), default="")

    supplier: Mapped[Supplier] = relationship()

    __table_args__ = (
        CheckConstraint("status = 'pending' OR reviewed_at IS NOT NULL", name="reviewed_has_time"),
        CheckConstraint("status != 'rejected' OR review_note != ''", name="rejection_has_reason"),
    )


class SupplierActivation(db.Model):
    """An invitation that lets a supplier imported from the county's library (which has no account) make
    its administrator's account: a single-use link sent by SMS to the contact mobile on file. Only the
    token's SHA-256 is stored."""

    __tablename__ = "registry_supplier_activation"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("registry_supplier.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))  # where the link went
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship()

    __table_args__ = (CheckConstraint("created_at <= expires_at", name="expires_after_creation"),)
