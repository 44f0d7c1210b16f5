"""Reminders already sent: one row per (user, need, lead time), so the sweep never repeats one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
