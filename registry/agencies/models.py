"""The agency registry's tables: an agency's listing (名录登记) with its particulars, its staff, and the
ratings it receives after each project; the listing's lifecycle is declared here beside its status."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core import transitions
from core.db import db


class ListingStatus(enum.StrEnum):
    DRAFT = "draft"          # registered online, particulars or staff not yet complete
    LISTED = "listed"        # complete: on the public list (registration, not approval)
    SUSPENDED = "suspended"  # 暂停: marked by the supervisor, shown as such on the list
    REMOVED = "removed"      # 移出名录: off the list


S = ListingStatus
LISTING_TRANSITIONS = [
    (S.DRAFT, S.LISTED),
    (S.LISTED, S.SUSPENDED), (S.SUSPENDED, S.LISTED),
    (S.LISTED, S.REMOVED), (S.SUSPENDED, S.REMOVED),
]
LISTING = transitions.lifecycle(ListingStatus, LISTING_TRANSITIONS, code="listing_transition_refused",
                                event="registry.agency_status")


class AgencyListing(db.Model):
    """One agency's entry in the registry: the particulars it keeps up to date itself."""

    __tablename__ = "agency_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    status: Mapped[ListingStatus] = mapped_column(enum_column(ListingStatus, "agency_listing_status"),
                                                  default=ListingStatus.DRAFT, index=True)
    legal_rep: Mapped[str] = mapped_column(String(60), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    contact_name: Mapped[str] = mapped_column(String(60), default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    scope: Mapped[str] = mapped_column(Text, default="")  # 代理业务范围, free text
    registered_at: Mapped[datetime]
    listed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    # An open change: the day particulars changed (the agency says so), and when the update is due
    # (the region's working days after it); cleared when the agency finishes the update.
    change_on: Mapped[date | None]
    change_note: Mapped[str] = mapped_column(String(200), default="")
    update_due_at: Mapped[datetime | None] = mapped_column(index=True)
    overdue_warned_at: Mapped[datetime | None]
    mark_reason: Mapped[str] = mapped_column(String(300), default="")  # the supervisor's reason, while marked

    org: Mapped[Org] = relationship()
    staff: Mapped[list[AgencyStaff]] = relationship(back_populates="listing", cascade="all, delete-orphan",
                                                    order_by="AgencyStaff.id")

    __table_args__ = (
        CheckConstraint("status = 'draft' OR listed_at IS NOT NULL", name="listed_has_time"),
        CheckConstraint("(change_on IS NULL) = (update_due_at IS NULL)", name="change_has_due"),
    )


class AgencyStaff(db.Model):
    """A full-time staff member (专职人员) the agency declares."""

    __tablename__ = "agency_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("agency_listing.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    id_last4: Mapped[str] = mapped_column(String(4))  # the identity number's last four: tells namesakes apart
    title: Mapped[str] = mapped_column(String(60), default="")  # 职称 or 岗位
    phone: Mapped[str] = mapped_column(String(20), default="")
    added_at: Mapped[datetime]

    listing: Mapped[AgencyListing] = relationship(back_populates="staff")

    __table_args__ = (UniqueConstraint("listing_id", "name", "id_last4", name="uq_agency_staff_person"),)


class AgencyRating(db.Model):
    """One rater's rating of the agency of one finished project: a score 1–5 per dimension and a comment."""

    __tablename__ = "agency_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id"), index=True)
    rater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    rater_kind: Mapped[str] = mapped_column(String(12))  # purchaser | expert | supplier
    scores: Mapped[dict[str, int]] = mapped_column(JSON)  # dimension code -> 1..5
    average: Mapped[float]  # of the scores, kept so the list's average is one SQL AVG
    comment: Mapped[str] = mapped_column(String(500), default="")
    rated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("project_id", "rater_id", name="uq_agency_rating_project_rater"),
        CheckConstraint("rater_kind IN ('purchaser', 'expert', 'supplier')", name="rater_kind_known"),
        CheckConstraint("average BETWEEN 1 AND 5", name="average_range"),
    )
