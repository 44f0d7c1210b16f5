"""Evaluation tables: committee and members, reviews, scores and flags, price corrections, per-bid
results, the report with its signatures and dissents, candidates and the award.

Money is integer fen (BIGINT: a lot may exceed the 21 million yuan an INTEGER of fen holds).
Scores are integer hundredths of a point (`*_h`), percentages integer hundredths of a percent
(`*_bp`): exact on every backend, where a NUMERIC column on SQLite would pass through a float.
The rules that turn these rows into results live in the pure modules (`evaluation.rules` …);
status moves go through `evaluation.transitions.move`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import enum_column
from core.db import db
from evaluation.consistency import ChangeReason, FlagCode
from evaluation.price_correction import CorrectionRule
from evaluation.review import ReviewStage
from evaluation.scoring import SmeClass
from evaluation.transitions import (
    AwardStatus,
    CommitteeStatus,
    ComplaintStatus,
    MemberStatus,
    ReportStatus,
)
from tender.transitions import EvalMethod

__all__ = [
    "Award",
    "AwardLetter",
    "BidEvaluation",
    "Candidate",
    "ChairVote",
    "Challenge",
    "ClarificationKind",
    "Committee",
    "CommitteeMember",
    "Complaint",
    "EvaluationClarification",
    "EvaluationReport",
    "EvidenceFile",
    "ExpertRating",
    "FlagResolution",
    "LetterKind",
    "OutlierFinding",
    "OutlierVote",
    "PriceCorrectionRecord",
    "ReportSignature",
    "Review",
    "RoomPresence",
    "Score",
    "ScoreFlag",
    "StageDone",
    "from_hundredths",
    "to_hundredths",
]


def _long_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """`enum_column` for values longer than its 24 characters (the Art 59 rule codes)."""
    return Enum(enum_cls, name=name, values_callable=lambda e: [m.value for m in e],
                native_enum=False, create_constraint=True, validate_strings=True, length=48)


def to_hundredths(value: Decimal) -> int:
    """A score with at most two decimals as integer hundredths; more decimals are refused."""
    scaled = Decimal(value).scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"a score keeps two decimals at most: {value}")
    return int(scaled)


def from_hundredths(value: int) -> Decimal:
    return Decimal(value).scaleb(-2).quantize(Decimal("0.01"))


class Committee(db.Model):
    """评标委员会 / 评审小组 of one lot."""

    __tablename__ = "evaluation_committee"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), unique=True)
    draw_request_id: Mapped[int | None] = mapped_column(ForeignKey("expert_draw_request.id"))
    eval_method: Mapped[EvalMethod] = mapped_column(enum_column(EvalMethod, "evaluation_committee_method"))
    status: Mapped[CommitteeStatus] = mapped_column(
        enum_column(CommitteeStatus, "evaluation_committee_status"), default=CommitteeStatus.FORMING,
        index=True)
    suspended_from: Mapped[CommitteeStatus | None] = mapped_column(
        enum_column(CommitteeStatus, "evaluation_committee_suspended_from"))
    rules_json: Mapped[str] = mapped_column(Text)  # the RuleSet values in force, frozen when the room opens
    rules_version: Mapped[int | None]  # the region's rule-set version those values come from (region_rules)
    opens_at: Mapped[datetime]
    created_at: Mapped[datetime]
    summary_locked_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]

    members: Mapped[list[CommitteeMember]] = relationship(
        back_populates="committee", foreign_keys="CommitteeMember.committee_id",
        order_by="CommitteeMember.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint("status NOT IN ('reporting', 'completed') OR summary_locked_at IS NOT NULL",
                        name="locked_before_report"),
        CheckConstraint("status <> 'completed' OR completed_at IS NOT NULL", name="completed_has_time"),
        CheckConstraint("(status = 'suspended') = (suspended_from IS NOT NULL)", name="suspended_from_set"),
    )

    @property
    def chair(self) -> CommitteeMember | None:
        """The elected chair (组长): the member marked `is_chair` (a foreign key from the committee
        to a member would make the two tables a cycle that neither inserts nor deletes cleanly)."""
        return next((x for x in self.members if x.is_chair), None)

    @property
    def active_members(self) -> list[CommitteeMember]:
        return [m for m in self.members if m.status is MemberStatus.DECLARED]

    @property
    def taking_part(self) -> list[CommitteeMember]:
        """The members expected to finish each stage: seated or declared (not those who declared a conflict
        or left). Counting only the declared showed "0/0" while five experts had yet to declare."""
        return [m for m in self.members if m.status in (MemberStatus.SEATED, MemberStatus.DECLARED)]


class CommitteeMember(db.Model):
    """An expert drawn for the committee, or the purchaser's representative (采购人代表)."""

    __tablename__ = "evaluation_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("registry_expert.id"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("expert_draw_invitation.id"))
    is_purchaser_rep: Mapped[bool] = mapped_column(default=False)
    hand_picked: Mapped[bool] = mapped_column(default=False)  # marked in the result notice
    is_chair: Mapped[bool] = mapped_column(default=False)     # elected by vote in the room
    status: Mapped[MemberStatus] = mapped_column(enum_column(MemberStatus, "evaluation_member_status"),
                                                 default=MemberStatus.SEATED)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_member.id"))
    declared_at: Mapped[datetime | None]  # avoidance declaration signed
    conflict_note: Mapped[str | None] = mapped_column(String(300))
    left_at: Mapped[datetime | None]

    committee: Mapped[Committee] = relationship(back_populates="members", foreign_keys=[committee_id])

    __table_args__ = (
        UniqueConstraint("committee_id", "user_id", name="uq_evaluation_member_committee_user"),
        Index("ix_evaluation_member_one_chair", "committee_id", unique=True,
              sqlite_where=text("is_chair"), postgresql_where=text("is_chair")),
        CheckConstraint("NOT is_chair OR status = 'declared'", name="chair_takes_part"),
        CheckConstraint("is_purchaser_rep OR expert_id IS NOT NULL", name="expert_or_rep"),
        CheckConstraint("NOT (is_purchaser_rep AND hand_picked)", name="rep_not_hand_picked"),
        CheckConstraint("status = 'seated' OR declared_at IS NOT NULL", name="declared_has_time"),
        CheckConstraint("status <> 'conflict' OR conflict_note IS NOT NULL", name="conflict_has_note"),
        CheckConstraint("status <> 'left' OR left_at IS NOT NULL", name="left_has_time"),
    )


class Review(db.Model):
    """One member's pass/fail on one requirement of one bid (资格审查 · 符合性审查)."""

    __tablename__ = "evaluation_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"), index=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "evaluation_review_stage"))
    requirement: Mapped[str] = mapped_column(String(100))
    passed: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("member_id", "bid_id", "stage", "requirement", name="uq_evaluation_review_vote"),
        CheckConstraint("passed OR reason <> ''", name="fail_has_reason"),
    )


class Score(db.Model):
    """One member's score for one bid on one criterion, in hundredths of a point."""

    __tablename__ = "evaluation_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"), index=True)
    criterion: Mapped[str] = mapped_column(String(100))
    score_h: Mapped[int]
    submitted_at: Mapped[datetime]
    changed_at: Mapped[datetime | None]  # after the summary: only for an Art 64 reason
    change_reason: Mapped[ChangeReason | None] = mapped_column(
        enum_column(ChangeReason, "evaluation_score_reason"))
    change_note: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("member_id", "bid_id", "criterion", name="uq_evaluation_score_entry"),
        CheckConstraint("score_h >= 0", name="non_negative"),
        CheckConstraint("change_reason IS NULL OR (changed_at IS NOT NULL AND change_note IS NOT NULL)",
                        name="change_explained"),
    )

    @property
    def score(self) -> Decimal:
        return from_hundredths(self.score_h)


class FlagResolution(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"    # the member keeps the score, with a reason
    CORRECTED = "corrected"    # the member changed it, with a reason
    CLEARED = "cleared"        # the rules no longer raise it once a score was corrected (its figures were old)


class ScoreFlag(db.Model):
    """A consistency flag (`evaluation.consistency.FlagCode`) to a member and the chair; 评分畸高畸低
    (the glossary's ScoreOutlier) is a flag with code `score.outlier` or `score.total_outlier`."""

    __tablename__ = "evaluation_score_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"))
    criterion: Mapped[str | None] = mapped_column(String(100))
    code: Mapped[FlagCode] = mapped_column(enum_column(FlagCode, "evaluation_flag_code"))
    message: Mapped[str] = mapped_column(String(300))
    raised_at: Mapped[datetime]
    resolution: Mapped[FlagResolution] = mapped_column(
        enum_column(FlagResolution, "evaluation_flag_resolution"), default=FlagResolution.OPEN)
    resolved_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("resolution = 'open' OR "
                        "(resolved_at IS NOT NULL AND note IS NOT NULL AND note <> '')",
                        name="resolution_explained"),
    )


ScoreOutlier = ScoreFlag  # the glossary's name for 评分畸高畸低


class OutlierFinding(db.Model):
    """A member's proposal that the committee find one score abnormally high or low (87号令 Art 64 (4)) the
    thresholds missed. The committee decides, not its chair: once more than half of the members taking part
    agree, the finding is made and a flag goes to the score's member (`flag_id`); once half or more
    disagree it cannot be made (`found` False). Each vote is an `OutlierVote`."""

    __tablename__ = "evaluation_outlier_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"))
    criterion: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(String(300))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    proposed_at: Mapped[datetime]
    found: Mapped[bool | None]  # None while the members vote
    decided_at: Mapped[datetime | None]
    flag_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_score_flag.id", ondelete="SET NULL"))
    votes: Mapped[list[OutlierVote]] = relationship(cascade="all, delete-orphan", order_by="OutlierVote.voted_at")

    __table_args__ = (
        CheckConstraint("note <> ''", name="finding_explained"),
        CheckConstraint("(found IS NULL) = (decided_at IS NULL)", name="finding_decided_when"),
    )


class OutlierVote(db.Model):
    """One member's agreement or not with a proposed outlier finding; a member votes once."""

    __tablename__ = "evaluation_outlier_vote"

    finding_id: Mapped[int] = mapped_column(ForeignKey("evaluation_outlier_finding.id", ondelete="CASCADE"),
                                            primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"),
                                           primary_key=True)
    agree: Mapped[bool]
    voted_at: Mapped[datetime]


class ScoreChange(db.Model):
    """One change of a submitted score during the summary (87号令 Art 64): from, to, the rule's reason,
    the member's own words and who made it. `Score` keeps only the latest value; the report lists every
    change from these rows."""

    __tablename__ = "evaluation_score_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("evaluation_score.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"))
    criterion: Mapped[str] = mapped_column(String(100))
    from_h: Mapped[int]
    to_h: Mapped[int]
    reason: Mapped[ChangeReason] = mapped_column(enum_column(ChangeReason, "evaluation_score_change_reason"))
    note: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime]
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("note <> ''", name="change_explained"),)


class BidEvaluation(db.Model):
    """What the committee concluded about one bid: price, deduction, exclusion, scores, rank."""

    __tablename__ = "evaluation_bid"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"))
    read_price_fen: Mapped[int] = mapped_column(BigInteger)       # as read at the opening
    corrected_price_fen: Mapped[int] = mapped_column(BigInteger)  # after Art 59 corrections
    correction_confirmed: Mapped[bool | None]                     # None: nothing to confirm, or not yet
    sme_class: Mapped[SmeClass] = mapped_column(enum_column(SmeClass, "evaluation_bid_sme"),
                                                default=SmeClass.NONE)
    deduction_bp: Mapped[int] = mapped_column(default=0)          # hundredths of a percent
    low_price_due_at: Mapped[datetime | None]                     # explanation requested, due then
    price_score_h: Mapped[int | None]
    total_h: Mapped[int | None]
    rank: Mapped[int | None]
    excluded: Mapped[bool] = mapped_column(default=False)
    exclusion_code: Mapped[str | None] = mapped_column(String(60))
    exclusion_reason: Mapped[str | None] = mapped_column(Text)

    corrections: Mapped[list[PriceCorrectionRecord]] = relationship(
        order_by="PriceCorrectionRecord.position", cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("committee_id", "bid_id", name="uq_evaluation_bid_committee_bid"),
        CheckConstraint("read_price_fen > 0 AND corrected_price_fen > 0", name="prices_positive"),
        CheckConstraint("deduction_bp >= 0 AND deduction_bp < 10000", name="deduction_range"),
        CheckConstraint("NOT excluded OR (exclusion_code IS NOT NULL AND exclusion_reason IS NOT NULL)",
                        name="exclusion_explained"),
        CheckConstraint("rank IS NULL OR (rank >= 1 AND NOT excluded)", name="rank_only_if_valid"),
    )

    @property
    def deduction_percent(self) -> Decimal:
        return from_hundredths(self.deduction_bp)


class PriceCorrectionRecord(db.Model):
    """One Art 59 correction shown to the committee (`evaluation.price_correction.Correction`)."""

    __tablename__ = "evaluation_price_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    bid_evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation_bid.id", ondelete="CASCADE"),
                                                   index=True)
    position: Mapped[int]
    rule: Mapped[CorrectionRule] = mapped_column(_long_enum(CorrectionRule, "evaluation_correction_rule"))
    field: Mapped[str] = mapped_column(String(120))
    from_fen: Mapped[int] = mapped_column(BigInteger)
    to_fen: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("bid_evaluation_id", "position", name="uq_evaluation_price_correction_position"),
    )


class EvaluationReport(db.Model):
    """评审报告: generated from the locked summary, signed by every member."""

    __tablename__ = "evaluation_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, "evaluation_report_status"),
                                                 default=ReportStatus.DRAFT)
    pdf_path: Mapped[str | None] = mapped_column(String(300))  # relative to FILE_STORE
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    generated_at: Mapped[datetime]
    signed_at: Mapped[datetime | None]

    signatures: Mapped[list[ReportSignature]] = relationship(cascade="all, delete-orphan",
                                                             order_by="ReportSignature.signed_at")
    candidates: Mapped[list[Candidate]] = relationship(cascade="all, delete-orphan",
                                                       order_by="Candidate.position")

    __table_args__ = (
        UniqueConstraint("committee_id", "version", name="uq_evaluation_report_committee_version"),
        CheckConstraint("status = 'draft' OR pdf_sha256 IS NOT NULL", name="pdf_before_signing"),
        CheckConstraint("status <> 'signed' OR signed_at IS NOT NULL", name="signed_has_time"),
    )


class ReportSignature(db.Model):
    """A member's signature on the report; `dissent` holds a minority opinion (NULL = agreement)."""

    __tablename__ = "evaluation_report_signature"

    report_id: Mapped[int] = mapped_column(ForeignKey("evaluation_report.id", ondelete="CASCADE"),
                                           primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id"), primary_key=True)
    signed_at: Mapped[datetime]
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)
    dissent: Mapped[str | None] = mapped_column(Text)
    # the report text this signature covers: a later dissent re-renders the report, and whoever signed the
    # earlier text signs the final one again (NULL: signed before this column, the report's text then)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("dissent IS NULL OR dissent <> ''", name="dissent_has_reasons"),)


class Candidate(db.Model):
    """中标(成交)候选人: a recommended bid, in the report's order (ties share a rank)."""

    __tablename__ = "evaluation_candidate"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("evaluation_report.id", ondelete="CASCADE"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"))
    position: Mapped[int]
    rank: Mapped[int]
    total_h: Mapped[int | None]  # None under the lowest-price method
    price_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("report_id", "position", name="uq_evaluation_candidate_report_position"),
        UniqueConstraint("report_id", "bid_id", name="uq_evaluation_candidate_report_bid"),
        CheckConstraint("position >= 1 AND rank >= 1 AND rank <= position", name="order_sane"),
    )


class Award(db.Model):
    """The purchaser's choice among the candidates, then notices and contract. One live award per lot."""

    __tablename__ = "evaluation_award"

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("tender_lot.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("evaluation_candidate.id"))
    status: Mapped[AwardStatus] = mapped_column(enum_column(AwardStatus, "evaluation_award_status"),
                                                default=AwardStatus.PENDING, index=True)
    confirm_due_at: Mapped[datetime]   # working days after the report reached the purchaser
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 87号令 Art 68: the purchaser let the deadline pass, so the first candidate is deemed confirmed
    deemed_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    notified_at: Mapped[datetime | None]
    contracted_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    void_reason: Mapped[str | None] = mapped_column(String(300))

    candidate: Mapped[Candidate] = relationship()

    __table_args__ = (
        Index("ix_evaluation_award_one_live", "lot_id", unique=True,
              sqlite_where=text("status <> 'voided'"), postgresql_where=text("status <> 'voided'")),
        CheckConstraint("status = 'pending' OR status = 'voided' OR "
                        "(confirmed_at IS NOT NULL AND (confirmed_by_id IS NOT NULL OR deemed_confirmed))",
                        name="confirmed_has_who"),
        CheckConstraint("status NOT IN ('notified', 'contracted') OR notified_at IS NOT NULL",
                        name="notified_has_time"),
        CheckConstraint("status <> 'contracted' OR contracted_at IS NOT NULL", name="contracted_has_time"),
        CheckConstraint("status <> 'voided' OR (voided_at IS NOT NULL AND void_reason IS NOT NULL)",
                        name="voided_explained"),
    )


class LetterKind(enum.StrEnum):
    AWARD = "award"    # 中标（成交）通知书, to the winner
    RESULT = "result"  # 采购结果通知书, to each other bidder


class AwardLetter(db.Model):
    """The letter one bidder received when the award was published (87号令 Art 69): the award notice to
    the winner, a result letter with its own evaluation to each other bidder. Kept as issued, also after
    the award is void (a new award issues new letters)."""

    __tablename__ = "evaluation_award_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("evaluation_award.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    kind: Mapped[LetterKind] = mapped_column(enum_column(LetterKind, "evaluation_letter_kind"))
    path: Mapped[str] = mapped_column(String(300))  # relative to FILE_STORE/evaluation (report_pdf.store)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("award_id", "org_id", name="uq_evaluation_award_letter_award_org"),
    )


# -- the room: chair votes, stage progress, clarifications, contracts ---------------------------------

class ChairVote(db.Model):
    """One member's vote for the chair (组长); the first candidate with a majority of the members wins."""

    __tablename__ = "evaluation_chair_vote"

    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    voted_at: Mapped[datetime]


class RoomPresence(db.Model):
    """A member's open connection (Socket.IO sid) to a committee's room, shared by every web process: who
    is present is read from here, not from one process's memory, so members connected to different
    processes see each other. A connection not seen for `events.PRESENCE_TTL` (its process died without
    saying goodbye) no longer counts. Ephemeral: not audited."""

    __tablename__ = "evaluation_presence"

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(index=True)


class StageDone(db.Model):
    """A member finished a stage of the room ("declaration", "qualification", "compliance", "scoring", "signing")."""

    __tablename__ = "evaluation_stage_done"

    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    done_at: Mapped[datetime]
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)


class ClarificationKind(enum.StrEnum):
    CLARIFICATION = "clarification"  # 澄清: a question to one bidder
    LOW_PRICE = "low_price"          # 87号令 Art 60: a written explanation of an abnormally low price
    PRICE_CORRECTION = "price_correction"  # 87号令 Art 59: the bidder confirms (or refuses) its corrected price


class EvaluationClarification(db.Model):
    """A question of the committee to one bidder, its answer from the bidder's own pages, the decision."""

    __tablename__ = "evaluation_clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("tender_bid.id"), index=True)
    kind: Mapped[ClarificationKind] = mapped_column(enum_column(ClarificationKind, "evaluation_clarification_kind"))
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id"))
    asked_at: Mapped[datetime]
    due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answer_sha256: Mapped[str | None] = mapped_column(String(64))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]
    # The bidder's signature (base64url r||s, FORMAT.md §14) over `service.answer_document` with its
    # answer, and the registered key it verifies under: the answer is the bidder's own act.
    answer_signature: Mapped[str | None] = mapped_column(String(100))
    answer_key_id: Mapped[int | None] = mapped_column(ForeignKey("public_key.id"))
    accepted: Mapped[bool | None]        # the committee's decision (low-price explanations)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answer_has_time"),
        CheckConstraint("(answer IS NULL) = (answer_signature IS NULL)", name="answer_signed"),
        CheckConstraint("(accepted IS NULL) = (decided_at IS NULL)", name="decision_has_time"),
        CheckConstraint("question <> ''", name="question_not_empty"),
    )


class ExpertRating(db.Model):
    """The agency's or the purchaser's record of an expert's performance in one evaluation (feeds credit)."""

    __tablename__ = "evaluation_expert_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("evaluation_committee.id", ondelete="CASCADE"),
                                              index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("evaluation_member.id", ondelete="CASCADE"))
    rater_kind: Mapped[str] = mapped_column(String(12))  # "agency" | "purchaser"
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    score: Mapped[int]
    misconduct: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    rated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("member_id", "rater_kind", name="uq_evaluation_expert_rating_member_rater"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        CheckConstraint("rater_kind IN ('agency', 'purchaser')", name="rater_kind_known"),
        CheckConstraint("NOT misconduct OR note <> ''", name="misconduct_explained"),
    )


class Challenge(db.Model):
    """质疑: a bidder's challenge to the result, within the period, and the agency's answer."""

    __tablename__ = "evaluation_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("evaluation_award.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime]
    answer_due_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    upheld: Mapped[bool | None]
    remedy: Mapped[str | None] = mapped_column(String(20))  # "void_award" | "reevaluate"
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None]

    files: Mapped[list[EvidenceFile]] = relationship(
        primaryjoin="EvidenceFile.challenge_id == Challenge.id", order_by="EvidenceFile.id", viewonly=True)

    __table_args__ = (
        CheckConstraint("text <> ''", name="text_not_empty"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL) AND (answer IS NULL) = (upheld IS NULL)",
                        name="answer_complete"),
        CheckConstraint("remedy IS NULL OR (upheld AND remedy IN ('void_award', 'reevaluate'))",
                        name="remedy_only_if_upheld"),
    )


class Complaint(db.Model):
    """投诉: a challenger's complaint to the finance department of the project's region (94号令), after
    the challenge was answered or its answer period ran out; finance accepts or refuses it, may suspend
    the procurement while handling it, and decides it."""

    __tablename__ = "evaluation_complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("evaluation_challenge.id", ondelete="CASCADE"),
                                              unique=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("evaluation_award.id", ondelete="CASCADE"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)  # the project's
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    facts: Mapped[str] = mapped_column(Text)
    requests: Mapped[str] = mapped_column(Text)
    status: Mapped[ComplaintStatus] = mapped_column(enum_column(ComplaintStatus, "evaluation_complaint_status"),
                                                    default=ComplaintStatus.FILED, index=True)
    filed_at: Mapped[datetime]
    accept_due_at: Mapped[datetime]     # finance accepts or refuses within 5 working days
    decide_due_at: Mapped[datetime]     # and decides within 30 working days of receipt
    accepted_at: Mapped[datetime | None]
    suspended_until: Mapped[datetime | None]  # the procurement is suspended until then (at most 30 days)
    refusal_code: Mapped[str | None] = mapped_column(String(24))
    decision: Mapped[str | None] = mapped_column(Text)  # the refusal's or the decision's reasons
    remedy: Mapped[str | None] = mapped_column(String(20))  # "void_award" | "reevaluate"
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]

    files: Mapped[list[EvidenceFile]] = relationship(
        primaryjoin="EvidenceFile.complaint_id == Complaint.id", order_by="EvidenceFile.id", viewonly=True)

    __table_args__ = (
        CheckConstraint("facts <> '' AND requests <> ''", name="facts_and_requests"),
        CheckConstraint("status NOT IN ('accepted', 'dismissed', 'upheld') OR accepted_at IS NOT NULL",
                        name="accepted_has_time"),
        CheckConstraint("(status IN ('refused', 'dismissed', 'upheld')) = (decided_at IS NOT NULL)",
                        name="decided_has_time"),
        CheckConstraint("status NOT IN ('refused', 'dismissed', 'upheld') OR "
                        "(decision IS NOT NULL AND handled_by_id IS NOT NULL)", name="decision_has_reasons"),
        CheckConstraint("(status = 'refused') = (refusal_code IS NOT NULL)", name="refusal_has_code"),
        CheckConstraint("(status = 'upheld') = (remedy IS NOT NULL) AND "
                        "(remedy IS NULL OR remedy IN ('void_award', 'reevaluate'))", name="remedy_only_if_upheld"),
        CheckConstraint("suspended_until IS NULL OR accepted_at IS NOT NULL", name="suspended_once_accepted"),
    )


class EvidenceFile(db.Model):
    """An evidence file of a challenge or of a complaint, kept in the file store as uploaded."""

    __tablename__ = "evaluation_evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_challenge.id", ondelete="CASCADE"),
                                                     index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_complaint.id", ondelete="CASCADE"),
                                                     index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))  # relative to FILE_STORE/tender (tender.filestore)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("(challenge_id IS NULL) <> (complaint_id IS NULL)", name="one_owner"),
        CheckConstraint("size > 0 AND name <> ''", name="not_empty"),
    )
