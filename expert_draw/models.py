"""Draw tables: the region rule table, draw requests, draws, candidates, exclusions, invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, enum_column
from core import transitions
from core.db import db
from registry.experts.models import Expert


class RequestStatus(enum.StrEnum):
    REQUESTED = "requested"  # filled in; exclusions may still be added
    COMMITTED = "committed"  # pool and seed hash committed, waiting for the supervisor's number
    DRAWN = "drawn"  # invitations out, committee not yet full
    SHORT = "short"  # the pool ran dry: the agency sees what is missing
    COMPLETE = "complete"  # every seat confirmed
    CANCELLED = "cancelled"


REQUEST_TRANSITIONS: frozenset[tuple[RequestStatus, RequestStatus]] = frozenset(
    {
        (RequestStatus.REQUESTED, RequestStatus.COMMITTED),
        (RequestStatus.COMMITTED, RequestStatus.REQUESTED),  # a committed draw discarded (stays in the log)
        (RequestStatus.COMMITTED, RequestStatus.DRAWN),
        (RequestStatus.COMMITTED, RequestStatus.SHORT),
        (RequestStatus.DRAWN, RequestStatus.COMPLETE),
        (RequestStatus.DRAWN, RequestStatus.SHORT),
        (RequestStatus.COMPLETE, RequestStatus.DRAWN),  # a confirmed expert withdrawn, a replacement runs
        (RequestStatus.COMPLETE, RequestStatus.SHORT),
        (RequestStatus.SHORT, RequestStatus.COMMITTED),  # supplementary draw over a wider scope
        (RequestStatus.SHORT, RequestStatus.DRAWN),
        (RequestStatus.SHORT, RequestStatus.COMPLETE),
        *(
            (s, RequestStatus.CANCELLED)
            for s in (
                RequestStatus.REQUESTED,
                RequestStatus.COMMITTED,
                RequestStatus.DRAWN,
                RequestStatus.SHORT,
            )
        ),
    }
)


class DrawKind(enum.StrEnum):
    INITIAL = "initial"
    SUPPLEMENT = "supplement"  # after the pool ran dry, over a wider scope


class DrawStatus(enum.StrEnum):
    COMMITTED = "committed"
    DRAWN = "drawn"
    DISCARDED = "discarded"


DRAW_TRANSITIONS: frozenset[tuple[DrawStatus, DrawStatus]] = frozenset(
    {
        (DrawStatus.COMMITTED, DrawStatus.DRAWN),
        (DrawStatus.COMMITTED, DrawStatus.DISCARDED),
    }
)

REQUEST = transitions.lifecycle(RequestStatus, REQUEST_TRANSITIONS, code="draw_request_transition_refused",
                                event="expert_draw.request_status")
DRAW = transitions.lifecycle(DrawStatus, DRAW_TRANSITIONS, code="draw_transition_refused",
                             event="expert_draw.draw_status")


class InvitationKind(enum.StrEnum):
    PRIMARY = "primary"
    BACKUP = "backup"
    REPLACEMENT = "replacement"
    HAND_PICKED = "hand_picked"


class InvitationStatus(enum.StrEnum):
    STANDBY = "standby"  # a backup, not called yet
    INVITED = "invited"  # notified, reply pending
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    WITHDRAWN = "withdrawn"  # avoidance found later, or removed by finance
    RELEASED = "released"  # a backup not needed once the evaluation started (called if a member leaves)


INVITATION_TRANSITIONS: frozenset[tuple[InvitationStatus, InvitationStatus]] = frozenset(
    {
        (InvitationStatus.STANDBY, InvitationStatus.INVITED),
        (InvitationStatus.STANDBY, InvitationStatus.WITHDRAWN),
        (InvitationStatus.STANDBY, InvitationStatus.RELEASED),
        # a backup released at the evaluation start is called after all when a member leaves the room
        (InvitationStatus.RELEASED, InvitationStatus.INVITED),
        (InvitationStatus.INVITED, InvitationStatus.CONFIRMED),
        (InvitationStatus.INVITED, InvitationStatus.DECLINED),
        (InvitationStatus.INVITED, InvitationStatus.TIMED_OUT),
        (InvitationStatus.INVITED, InvitationStatus.WITHDRAWN),
        (InvitationStatus.CONFIRMED, InvitationStatus.WITHDRAWN),
    }
)
INVITATION = transitions.lifecycle(InvitationStatus, INVITATION_TRANSITIONS, code="invitation_transition_refused",
                                   event="expert_draw.invitation_status")
SEATED = (InvitationStatus.INVITED, InvitationStatus.CONFIRMED)


class DrawRequest(db.Model):
    __tablename__ = "expert_draw_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column(index=True)  # tender's project, when there is one
    lot_id: Mapped[int | None]
    project_title: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    purchaser_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    method: Mapped[str] = mapped_column(String(32))
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    evaluation_start_at: Mapped[datetime] = mapped_column(index=True)
    evaluation_end_at: Mapped[datetime]
    place: Mapped[str] = mapped_column(String(200))
    is_remote: Mapped[bool] = mapped_column(default=False)
    purchaser_reps: Mapped[int] = mapped_column(default=0)
    # 技术复杂或社会影响较大 (87号令 Art 47): 7+ members for a tender; allows hand-picked experts, with approval
    is_complex: Mapped[bool] = mapped_column(default=False)
    complex_reason: Mapped[str] = mapped_column(String(300), default="")
    is_offsite: Mapped[bool] = mapped_column(default=False)  # 异地评审: exempt from the draw window (198号 Art 14)
    opens_at: Mapped[datetime | None]  # None: the method is exempt
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus, "expert_draw_request_status"), default=RequestStatus.REQUESTED, index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    salts_published_at: Mapped[datetime | None]

    purchaser: Mapped[Org] = relationship(foreign_keys=[purchaser_org_id])
    agency: Mapped[Org] = relationship(foreign_keys=[agency_org_id])
    specialties: Mapped[list[DrawRequestSpecialty]] = relationship(
        cascade="all, delete-orphan", order_by="DrawRequestSpecialty.position", lazy="selectin"
    )
    suppliers: Mapped[list[DrawRequestSupplier]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    exclusions: Mapped[list[ManualExclusion]] = relationship(
        cascade="all, delete-orphan", order_by="ManualExclusion.id"
    )
    hand_picks: Mapped[list[HandPick]] = relationship(cascade="all, delete-orphan", order_by="HandPick.id")
    draws: Mapped[list[Draw]] = relationship(order_by="Draw.id", back_populates="request")
    invitations: Mapped[list[Invitation]] = relationship(order_by="Invitation.id", back_populates="request")

    __table_args__ = (
        CheckConstraint("evaluation_start_at < evaluation_end_at", name="evaluation_ordered"),
        CheckConstraint("purchaser_reps >= 0 AND budget_fen >= 0", name="non_negative"),
    )

    @property
    def supplier_org_ids(self) -> set[int]:
        return {s.org_id for s in self.suppliers}

    @property
    def primary_total(self) -> int:
        return sum(s.primary_count for s in self.specialties)


class DrawRequestSpecialty(db.Model):
    __tablename__ = "expert_draw_request_specialty"

    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    specialty_code: Mapped[str] = mapped_column(ForeignKey("registry_specialty.code"))
    primary_count: Mapped[int]
    backup_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        UniqueConstraint("request_id", "specialty_code", name="uq_expert_draw_request_specialty_code"),
        CheckConstraint("primary_count >= 1 AND backup_count >= 0", name="counts"),
    )


class DrawRequestSupplier(db.Model):
    """A supplier that registered for or bid on the project (avoidance)."""

    __tablename__ = "expert_draw_request_supplier"

    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), primary_key=True)


class ManualExclusion(db.Model):
    __tablename__ = "expert_draw_manual_exclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id"))
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    expert: Mapped[Expert] = relationship()

    __table_args__ = (
        UniqueConstraint("request_id", "expert_id", name="uq_expert_draw_manual_exclusion_pair"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
    )


class HandPick(db.Model):
    """An expert chosen by hand for a technically complex project, with the approval reference."""

    __tablename__ = "expert_draw_hand_pick"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id"))
    specialty_code: Mapped[str] = mapped_column(ForeignKey("registry_specialty.code"))
    approval_ref: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(300))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    expert: Mapped[Expert] = relationship()

    __table_args__ = (UniqueConstraint("request_id", "expert_id", name="uq_expert_draw_hand_pick_pair"),)


class Draw(db.Model):
    """One run of the draw; its id is logged at the commitment, so a thrown-away run shows up."""

    __tablename__ = "expert_draw_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id"), index=True)
    kind: Mapped[DrawKind] = mapped_column(enum_column(DrawKind, "expert_draw_kind"))
    status: Mapped[DrawStatus] = mapped_column(
        enum_column(DrawStatus, "expert_draw_status"), default=DrawStatus.COMMITTED
    )
    scope_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))
    rule_version: Mapped[int]
    sealed_seed: Mapped[bytes | None] = mapped_column(LargeBinary)  # server seed, sealed until the draw
    seed_hash: Mapped[str] = mapped_column(String(64))
    beacon: Mapped[str | None] = mapped_column(String(120))  # the beacon round announced, if any
    pool_size: Mapped[int]
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    supervisor_input: Mapped[str | None] = mapped_column(String(40))
    beacon_value: Mapped[str | None] = mapped_column(String(200))
    seed: Mapped[str | None] = mapped_column(String(64))
    replacement_count: Mapped[int] = mapped_column(default=0)
    committed_at: Mapped[datetime]
    drawn_at: Mapped[datetime | None]

    request: Mapped[DrawRequest] = relationship(back_populates="draws")

    __table_args__ = (
        CheckConstraint("status != 'drawn' OR (seed IS NOT NULL AND drawn_at IS NOT NULL)", name="drawn_has_seed"),
    )


class DrawCandidate(db.Model):
    """An expert in the committed pool of a draw, with the salt of its leaf (published later)."""

    __tablename__ = "expert_draw_candidate"

    draw_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_draw.id", ondelete="CASCADE"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id"), primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    leaf: Mapped[str] = mapped_column(String(64))
    weight: Mapped[int] = mapped_column(default=1)

    __table_args__ = (Index("ix_expert_draw_candidate_leaf", "draw_id", "leaf", unique=True),)


class DrawExclusion(db.Model):
    """Why an expert of the requested specialties and scope was not in the pool."""

    __tablename__ = "expert_draw_exclusion"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_draw.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id"))
    rule: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(200), default="")


class Invitation(db.Model):
    """A seat offered to a drawn expert (or a backup on standby), with its reply code and deadline."""

    __tablename__ = "expert_draw_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("expert_draw_request.id"), index=True)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("expert_draw_draw.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("registry_expert.id"), index=True)
    specialty_code: Mapped[str] = mapped_column(ForeignKey("registry_specialty.code"))
    kind: Mapped[InvitationKind] = mapped_column(enum_column(InvitationKind, "expert_draw_invitation_kind"))
    leaf: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[InvitationStatus] = mapped_column(
        enum_column(InvitationStatus, "expert_draw_invitation_status"), index=True
    )
    reply_code: Mapped[str] = mapped_column(String(16), unique=True)
    notified_at: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None] = mapped_column(index=True)
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str] = mapped_column(String(300), default="")
    # a reply given by telephone and recorded by the agency (record_phone_reply); audited with its time
    reply_by_phone: Mapped[bool] = mapped_column(default=False)
    reply_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reply_note: Mapped[str] = mapped_column(String(200), default="")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("expert_draw_invitation.id"))

    request: Mapped[DrawRequest] = relationship(back_populates="invitations")
    expert: Mapped[Expert] = relationship()

    __table_args__ = (
        CheckConstraint("status != 'invited' OR deadline_at IS NOT NULL", name="invited_has_deadline"),
        CheckConstraint("NOT reply_by_phone OR reply_recorded_by_id IS NOT NULL", name="phone_reply_has_recorder"),
        CheckConstraint("kind = 'hand_picked' OR leaf IS NOT NULL", name="drawn_has_leaf"),
        CheckConstraint("status != 'declined' OR length(decline_reason) > 0", name="decline_has_reason"),
    )
