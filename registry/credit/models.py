"""Credit tables (诚信预警): imported records, the checks made against them, warning cards with the
supplier's answer and evidence, and the sanctions a supervisor applies.

Records are national lists (失信被执行人, 重大税收违法失信主体, 政府采购严重违法失信行为记录), imported from
files; each row keeps the fields of MODULES.md §1 and the day it stops counting (`valid_until`: the end
of the penalty, else the record date plus the region's validity period for its kind). The status tables
of cards and sanctions are declared here, beside their enums.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, User, enum_column
from core import transitions
from core.db import db


class RecordKind(enum.StrEnum):
    DISHONEST_DEBTOR = "dishonest_debtor"  # 失信被执行人 (最高人民法院)
    TAX_VIOLATION = "tax_violation"  # 重大税收违法失信主体 (税务总局)
    PROCUREMENT_VIOLATION = "procurement_violation"  # 政府采购严重违法失信行为记录 (财政部门)


class MatchKind(enum.StrEnum):
    USCC = "uscc"  # the record's USCC is the organisation's: a strong match, it bars
    NAME = "name"  # only the name is the same (no code, or another code): a weak signal, it warns
    NONE = "none"  # no organisation on the platform (yet)


class CardStatus(enum.StrEnum):
    OPEN = "open"  # shown to the supplier, waiting for its answer
    ANSWERED = "answered"  # the supplier made a written statement
    SANCTIONED = "sanctioned"  # the supervisor applied a sanction
    DISMISSED = "dismissed"  # the supervisor found no sanction due


class SanctionLevel(enum.StrEnum):
    WARNING = "warning"  # 警示: on record, shown at every check
    RESTRICTED = "restricted"  # 限制交易: listings frozen, bids flagged, for a period
    BANNED = "banned"  # 禁止参加政府采购活动: no award may be confirmed, for a period (政府采购法第77条)


LADDER = (SanctionLevel.WARNING, SanctionLevel.RESTRICTED, SanctionLevel.BANNED)


class SanctionStatus(enum.StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"  # its period ended (the chronograph lifts it)
    REVOKED = "revoked"  # withdrawn by a supervisor with a reason


CARD_TRANSITIONS = frozenset({
    (CardStatus.OPEN, CardStatus.ANSWERED),
    (CardStatus.OPEN, CardStatus.SANCTIONED),
    (CardStatus.OPEN, CardStatus.DISMISSED),
    (CardStatus.ANSWERED, CardStatus.SANCTIONED),
    (CardStatus.ANSWERED, CardStatus.DISMISSED),
})
CARD = transitions.lifecycle(CardStatus, CARD_TRANSITIONS, code="credit_card_transition_refused",
                             event="registry.credit_card_status")

SANCTION_TRANSITIONS = frozenset({
    (SanctionStatus.ACTIVE, SanctionStatus.LIFTED),
    (SanctionStatus.ACTIVE, SanctionStatus.REVOKED),
})
SANCTION = transitions.lifecycle(SanctionStatus, SANCTION_TRANSITIONS, code="credit_sanction_transition_refused",
                                 event="registry.credit_sanction_status")


class CreditImport(db.Model):
    """One imported file: who, when, its digest, how many rows and how many matched an organisation."""

    __tablename__ = "registry_credit_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int]
    matched: Mapped[int] = mapped_column(default=0)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class CreditRecord(db.Model):
    __tablename__ = "registry_credit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("registry_credit_import.id"), index=True)
    kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind, "registry_credit_record_kind"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)  # 名称
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)  # 统一社会信用代码
    address: Mapped[str] = mapped_column(String(300), default="")  # 地址
    case_text: Mapped[str] = mapped_column(Text, default="")  # 案件 / 主要违法失信事实
    basis: Mapped[str] = mapped_column(String(500), default="")  # 处罚依据
    result: Mapped[str] = mapped_column(String(500), default="")  # 处罚结果
    record_date: Mapped[date]  # 记录日期
    place: Mapped[str] = mapped_column(String(120), default="")  # 发生地 / 作出决定的机关所在地
    penalty_end: Mapped[date | None]  # 处罚截止日期 (None: the list's own period applies)
    valid_until: Mapped[date]  # the last day it counts
    source: Mapped[str] = mapped_column(String(200), default="")  # 来源
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)  # matched at import
    match: Mapped[MatchKind] = mapped_column(enum_column(MatchKind, "registry_credit_match"), default=MatchKind.NONE)

    org: Mapped[Org | None] = relationship()

    __table_args__ = (
        CheckConstraint("penalty_end IS NULL OR record_date <= penalty_end", name="penalty_after_record"),
        CheckConstraint("record_date <= valid_until", name="valid_after_record"),
        CheckConstraint("name != ''", name="has_name"),
    )

    def is_active(self, day: date) -> bool:
        return self.record_date <= day <= self.valid_until


class CreditCheck(db.Model):
    """One check at a stage (registration, bid, award) and what it found: kept so a warning shown to
    the agency, or an award refused, can be explained later with the records of that moment."""

    __tablename__ = "registry_credit_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    stage: Mapped[str] = mapped_column(String(20))  # registration / bid / award
    subject: Mapped[str] = mapped_column(String(60), index=True)  # "tender_bid:12", "evaluation_award:3"
    at: Mapped[datetime]
    barred: Mapped[bool] = mapped_column(default=False)
    warned: Mapped[bool] = mapped_column(default=False)
    score: Mapped[int]
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # each party's records used
    rules_version: Mapped[int] = mapped_column(default=0)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("registry_credit_card.id"))

    org: Mapped[Org] = relationship()


class WarningCard(db.Model):
    """An explainable warning: the rule that fired, its inputs, the threshold and the records used,
    shown to the agency and to the supplier, which may answer before any sanction."""

    __tablename__ = "registry_credit_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    rule: Mapped[str] = mapped_column(String(60))  # the rule key that fired
    stage: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(60), default="")
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # score, deductions, parties
    threshold: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    record_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    proposed_level: Mapped[SanctionLevel] = mapped_column(enum_column(SanctionLevel, "registry_credit_card_level"))
    rules_version: Mapped[int] = mapped_column(default=0)
    status: Mapped[CardStatus] = mapped_column(enum_column(CardStatus, "registry_credit_card_status"),
                                               default=CardStatus.OPEN, index=True)
    issued_at: Mapped[datetime]
    respond_due_at: Mapped[datetime]
    statement: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str] = mapped_column(String(500), default="")

    org: Mapped[Org] = relationship()
    evidence: Mapped[list[CardEvidence]] = relationship(order_by="CardEvidence.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("status != 'answered' OR (answered_at IS NOT NULL AND statement IS NOT NULL)",
                        name="answer_has_statement"),
        CheckConstraint("status NOT IN ('sanctioned', 'dismissed') OR (decided_at IS NOT NULL "
                        "AND decision_note != '')", name="decision_has_reason"),
    )


class CardEvidence(db.Model):
    """A file the supplier attaches to its statement (credit area of the file store)."""

    __tablename__ = "registry_credit_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("registry_credit_card.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(300))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("size > 0", name="not_empty"),)


class Sanction(db.Model):
    """A sanction on the ladder; a timed one (restricted, banned) lifts itself at `ends_at`."""

    __tablename__ = "registry_credit_sanction"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("registry_credit_card.id"), unique=True)
    level: Mapped[SanctionLevel] = mapped_column(enum_column(SanctionLevel, "registry_credit_sanction_level"))
    months: Mapped[int] = mapped_column(default=0)
    repeat: Mapped[bool] = mapped_column(default=False)  # escalated as a repeat offence
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("registry_credit_sanction.id"))
    reason: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[SanctionStatus] = mapped_column(enum_column(SanctionStatus, "registry_credit_sanction_status"),
                                                   default=SanctionStatus.ACTIVE, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    ended_at: Mapped[datetime | None]
    end_note: Mapped[str] = mapped_column(String(500), default="")
    rules_version: Mapped[int] = mapped_column(default=0)

    org: Mapped[Org] = relationship()
    decided_by: Mapped[User | None] = relationship()

    __table_args__ = (
        CheckConstraint("reason != ''", name="has_reason"),
        CheckConstraint("level = 'warning' OR (ends_at IS NOT NULL AND months > 0)", name="timed_has_end"),
        CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name="ended_has_time"),
    )
