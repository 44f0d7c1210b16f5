"""Expert library tables: specialties, experts, their relations, leave, credit records and rules.

Table names start with `registry_expert`/`registry_specialty` so the other libraries
(suppliers, products, agencies) can live beside them under `registry_…`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, Region, User, enum_column
from core import transitions
from core.db import db


class ExpertStatus(enum.StrEnum):
    PENDING = "pending"  # registered, waiting for finance to review
    ACTIVE = "active"  # admitted (入库)
    REJECTED = "rejected"  # not admitted; the expert may correct and apply again
    SUSPENDED = "suspended"  # temporarily barred (credit rule or finance decision)
    REMOVED = "removed"  # out of the library for good


# The one transition table of an expert's status.
EXPERT_TRANSITIONS: frozenset[tuple[ExpertStatus, ExpertStatus]] = frozenset(
    {
        (ExpertStatus.PENDING, ExpertStatus.ACTIVE),
        (ExpertStatus.PENDING, ExpertStatus.REJECTED),
        (ExpertStatus.REJECTED, ExpertStatus.PENDING),
        (ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED),
        (ExpertStatus.SUSPENDED, ExpertStatus.ACTIVE),
        (ExpertStatus.ACTIVE, ExpertStatus.REMOVED),
        (ExpertStatus.SUSPENDED, ExpertStatus.REMOVED),
    }
)

EXPERT = transitions.lifecycle(ExpertStatus, EXPERT_TRANSITIONS, code="expert_transition_refused",
                               event="registry.expert_status")


class RelationKind(enum.StrEnum):
    PAST_EMPLOYER = "past_employer"  # 曾任职单位 (with dates)
    RELATIVE_EMPLOYER = "relative_employer"  # 近亲属任职单位
    SHAREHOLDING = "shareholding"  # 持股 / 出资
    PENDING_EMPLOYER = "pending_employer"  # 新任职单位（变更审核中，已据此回避）


class CreditKind(enum.StrEnum):
    NO_SHOW = "no_show"  # 无故缺席
    LATE_DECLINE = "late_decline"  # 临近评审才拒绝 / 未按时答复
    MISCONDUCT = "misconduct"  # 违规评审


class Specialty(db.Model):
    """A node of the specialty tree (评审专业); experts hold leaves, draws ask for leaves."""

    __tablename__ = "registry_specialty"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("registry_specialty.code"))

    parent: Mapped[Specialty | None] = relationship(remote_side=[code])


class Expert(db.Model):
    __tablename__ = "registry_expert"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)  # 居民身份证号码
    birth_date: Mapped[date]
    phone: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(120))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    employer_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    employer_name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(60), default="")  # 职称
    qualification: Mapped[str] = mapped_column(String(120), default="")  # 执业资格
    status: Mapped[ExpertStatus] = mapped_column(
        enum_column(ExpertStatus, "registry_expert_status"), default=ExpertStatus.PENDING, index=True
    )
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    suspended_until: Mapped[date | None]
    registered_at: Mapped[datetime]
    admitted_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    region: Mapped[Region] = relationship()
    employer: Mapped[Org | None] = relationship()
    specialty_rows: Mapped[list[ExpertSpecialty]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    relations: Mapped[list[ExpertRelation]] = relationship(cascade="all, delete-orphan", order_by="ExpertRelation.id")
    leaves: Mapped[list[ExpertLeave]] = relationship(cascade="all, delete-orphan", order_by="ExpertLeave.start_on")
    documents: Mapped[list[ExpertDocument]] = relationship(cascade="all, delete-orphan", order_by="ExpertDocument.id")

    __table_args__ = (
        CheckConstraint("status != 'active' OR admitted_at IS NOT NULL", name="active_is_admitted"),
        CheckConstraint(
            "status != 'suspended' OR suspended_until IS NOT NULL OR status_reason != ''",
            name="suspension_has_reason",
        ),
    )

    @property
    def specialty_codes(self) -> list[str]:
        return sorted(r.specialty_code for r in self.specialty_rows)

    def age_on(self, day: date) -> int:
        """Completed years (周岁) on `day`."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)

    def is_on_leave(self, day: date) -> bool:
        return any(leave.start_on <= day <= leave.end_on for leave in self.leaves)


class ExpertSpecialty(db.Model):
    __tablename__ = "registry_expert_specialty"

    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), primary_key=True)
    specialty_code: Mapped[str] = mapped_column(ForeignKey("registry_specialty.code"), primary_key=True, index=True)


class ExpertRelation(db.Model):
    """A declared relation that feeds the avoidance rules: an org by id when known, else by name."""

    __tablename__ = "registry_expert_relation"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RelationKind] = mapped_column(enum_column(RelationKind, "registry_relation_kind"))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    org_name: Mapped[str] = mapped_column(String(120))
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]  # past employment: the day it ended
    note: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint("kind != 'past_employer' OR end_on IS NOT NULL", name="past_employer_has_end"),
        CheckConstraint("start_on IS NULL OR end_on IS NULL OR start_on <= end_on", name="dates_ordered"),
    )


class ExpertLeave(db.Model):
    """A period the expert is unavailable (dates in Beijing time, both ends included)."""

    __tablename__ = "registry_expert_leave"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    start_on: Mapped[date]
    end_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("start_on <= end_on", name="dates_ordered"),)


class CreditRecord(db.Model):
    __tablename__ = "registry_expert_credit"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CreditKind] = mapped_column(enum_column(CreditKind, "registry_credit_kind"))
    points: Mapped[int]
    occurred_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(60), default="")  # e.g. "invitation:12"
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    __table_args__ = (CheckConstraint("points >= 0", name="points_non_negative"),)


class CreditRule(db.Model):
    """Credit rules of a region (NULL region = the national default row), versioned.

    Penalty points per kind; an expert whose points within `window_days` reach `suspend_points`
    is suspended for `suspend_days`. Tiers: A below `tier_b_points`, B below `tier_c_points`, C above.
    """

    __tablename__ = "registry_expert_credit_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"))
    version: Mapped[int] = mapped_column(default=1)
    no_show_points: Mapped[int]
    late_decline_points: Mapped[int]
    misconduct_points: Mapped[int]
    window_days: Mapped[int]
    suspend_points: Mapped[int]
    suspend_days: Mapped[int]
    tier_b_points: Mapped[int]
    tier_c_points: Mapped[int]

    __table_args__ = (
        UniqueConstraint("region_code", name="uq_registry_expert_credit_rule_region"),
        CheckConstraint("suspend_points > 0 AND window_days > 0 AND suspend_days > 0", name="positive"),
        CheckConstraint("0 < tier_b_points AND tier_b_points <= tier_c_points", name="tiers_ordered"),
    )

    def points_for(self, kind: CreditKind) -> int:
        return {
            CreditKind.NO_SHOW: self.no_show_points,
            CreditKind.LATE_DECLINE: self.late_decline_points,
            CreditKind.MISCONDUCT: self.misconduct_points,
        }[CreditKind(kind)]


class Activation(db.Model):
    """An invitation that lets an expert without an account (imported from a list) make one: a
    single-use link sent to the phone and e-mail on file. Only the token's SHA-256 is stored."""

    __tablename__ = "registry_expert_activation"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    expert: Mapped[Expert] = relationship()

    __table_args__ = (CheckConstraint("created_at <= expires_at", name="expires_after_creation"),)


class DocumentKind(enum.StrEnum):
    ID_CARD = "id_card"  # 身份证件
    TITLE = "title"  # 职称证书
    QUALIFICATION = "qualification"  # 执业资格证书
    EMPLOYMENT = "employment"  # 在职证明（单位变更时）


class ExpertDocument(db.Model):
    """Evidence an expert uploads for finance to review (registry area of the file store)."""

    __tablename__ = "registry_expert_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "registry_expert_document_kind"))
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(300))  # relative to the registry area
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    change_id: Mapped[int | None] = mapped_column(ForeignKey("registry_expert_change.id"), index=True)

    __table_args__ = (CheckConstraint("size > 0", name="not_empty"),)


class ChangeStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EmployerChange(db.Model):
    """An admitted expert's new employer, waiting for finance: the old one is kept here and, once
    approved, as a past-employer relation, so avoidance covers both while it waits and after."""

    __tablename__ = "registry_expert_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id", ondelete="CASCADE"), index=True)
    old_employer_name: Mapped[str] = mapped_column(String(120))
    old_employer_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))
    new_employer_name: Mapped[str] = mapped_column(String(120))
    new_employer_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    starts_on: Mapped[date]
    status: Mapped[ChangeStatus] = mapped_column(
        enum_column(ChangeStatus, "registry_expert_change_status"), default=ChangeStatus.PENDING, index=True
    )
    submitted_at: Mapped[datetime]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str] = mapped_column(String(200), default="")

    expert: Mapped[Expert] = relationship()
    documents: Mapped[list[ExpertDocument]] = relationship(order_by="ExpertDocument.id")

    __table_args__ = (
        CheckConstraint("status = 'pending' OR reviewed_at IS NOT NULL", name="reviewed_has_time"),
        CheckConstraint("status != 'rejected' OR review_note != ''", name="rejection_has_reason"),
    )
