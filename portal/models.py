"""The portal's tables: reminders already sent (one row per user, need and lead time, so the sweep never
repeats one), the statistics' rollup with its stale months, and finance's suspensions of a process."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from accounts.models import enum_column
from core import transitions
from core.db import db


class ReminderSent(db.Model):
    __tablename__ = "portal_reminder_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    need_key: Mapped[str] = mapped_column(String(120))
    lead_minutes: Mapped[int]
    due_at: Mapped[datetime]  # the deadline it announced: a moved deadline is reminded again
    sent_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("user_id", "need_key", "lead_minutes", "due_at",
                                       name="uq_portal_reminder_sent_once"),)


class StatRollup(db.Model):
    """Pre-aggregated statistics (portal.statistics): one row per source, dimension, key, region and local
    month, with the sums a report needs. Rebuilt month by month from the source's own rows, so it never
    holds a figure the rows do not; a month whose rows changed is listed in `StatStale` until rebuilt."""

    __tablename__ = "portal_stat_rollup"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[str] = mapped_column(String(40))  # "all" for the totals
    key: Mapped[str] = mapped_column(String(60))
    region_code: Mapped[str] = mapped_column(String(12))
    month: Mapped[str] = mapped_column(String(7))  # "2026-11", Beijing time
    n: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    budget_fen: Mapped[int] = mapped_column(BigInteger)  # over the rows whose budget is known
    budgeted_amount_fen: Mapped[int] = mapped_column(BigInteger)  # their amount: savings = budget − this
    sme_n: Mapped[int] = mapped_column(BigInteger)
    sme_amount_fen: Mapped[int] = mapped_column(BigInteger)
    small_micro_n: Mapped[int] = mapped_column(BigInteger)
    small_micro_amount_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("source", "month", "dimension", "key", "region_code",
                                       name="uq_portal_stat_rollup_cell"),)


class StatStale(db.Model):
    """A month of a statistics source whose rows changed since its rollup was built: read live until the
    chronograph's `portal.statistics_refresh` rebuilds it. Several rows may name the same month (one per
    writing transaction, so two writers never race on one row); a rebuild removes those it has covered."""

    __tablename__ = "portal_stat_stale"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))
    marked_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (Index("ix_portal_stat_stale_source_month", "source", "month"),)


class SuspensionStatus(enum.StrEnum):
    IN_FORCE = "in_force"  # the process is held: its next steps are refused until resumed
    LIFTED = "lifted"      # resumed by finance, with its reason


SUSPENSION = transitions.lifecycle(SuspensionStatus, {(SuspensionStatus.IN_FORCE, SuspensionStatus.LIFTED)},
                                   code="suspension_transition_refused", event="portal.suspension_status")


class Suspension(db.Model):
    """Finance suspends a procurement process (责令暂停采购活动, 政府采购法第五十七条/87号令 Art 6) with a reason and
    resumes it with another: one row per suspension of a subject (`portal.suspensions.kinds`), at most one in
    force at a time."""

    __tablename__ = "portal_suspension"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(30))  # "tender_project"
    subject_id: Mapped[int]
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    status: Mapped[SuspensionStatus] = mapped_column(enum_column(SuspensionStatus, "portal_suspension_status"),
                                                     default=SuspensionStatus.IN_FORCE)
    reason: Mapped[str] = mapped_column(String(500))
    suspended_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    suspended_at: Mapped[datetime]
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))  # its 中止公告
    lift_reason: Mapped[str | None] = mapped_column(String(500))
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lifted_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_portal_suspension_one_in_force", "subject_kind", "subject_id", unique=True,
              sqlite_where=text("status = 'in_force'"), postgresql_where=text("status = 'in_force'")),
        CheckConstraint("status <> 'lifted' OR (lifted_at IS NOT NULL AND lift_reason IS NOT NULL)",
                        name="lifted_explained"),
    )
