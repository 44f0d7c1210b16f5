"""Plan tables: intentions, plans with their items and revisions, workflow definitions (versioned data)
and each plan's steps, confirmations, budget draws and the region's payment accounts.

Money is integer fen, every `_at` column aware UTC, every `_on` column a local (Beijing) date. A
confirmation's `drawn_fen` is the running total of its held draws, changed only under the confirmation's
row lock; the CHECK constraint is the database's own backstop against a negative remainder.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Org, User, enum_column
from core.db import db
from plan.transitions import DrawStatus, IntentionStatus, PlanStatus, StepStatus


class Intention(db.Model):
    """采购意向公开: what a unit means to buy, public ahead of the procurement (region rule: 30 days)."""

    __tablename__ = "plan_intention"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    needs: Mapped[str] = mapped_column(Text, default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger)
    expected_month: Mapped[str] = mapped_column(String(7))  # "2027-03"
    status: Mapped[IntentionStatus] = mapped_column(enum_column(IntentionStatus, "intention_status"),
                                                    default=IntentionStatus.DRAFT)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    published_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    org: Mapped[Org] = relationship()

    __table_args__ = (CheckConstraint("budget_fen > 0", name="budget_positive"),)


class Workflow(db.Model):
    """One version of a region's approval chain for one plan type; a plan keeps the version it started under."""

    __tablename__ = "plan_workflow"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    plan_type: Mapped[str] = mapped_column(String(12))  # goods | services | works
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)  # the version new plans start under
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    steps: Mapped[list[WorkflowStep]] = relationship(order_by="WorkflowStep.position", cascade="all, delete-orphan",
                                                     back_populates="workflow")

    __table_args__ = (UniqueConstraint("region_code", "plan_type", "version", name="uq_plan_workflow_version"),)


class WorkflowStep(db.Model):
    """A step of a workflow version: who acts (an organisation relative to the plan and a post there), when it
    applies (its condition), whether an automatic rule decides it, and how long the reviewer has."""

    __tablename__ = "plan_workflow_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("plan_workflow.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    actor_org: Mapped[str] = mapped_column(String(24))  # unit | parent | finance | org:<id>
    post: Mapped[str] = mapped_column(String(40), default="")  # the post's code or name at that org
    stage: Mapped[str] = mapped_column(String(8), default="")  # first | second | "" (初审 / 复审)
    condition: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # every clause must hold
    auto_rule: Mapped[str] = mapped_column(String(24), default="")  # "" : a person decides
    auto_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_workdays: Mapped[int] = mapped_column(default=0)  # 0: the region's default

    workflow: Mapped[Workflow] = relationship(back_populates="steps")

    __table_args__ = (UniqueConstraint("workflow_id", "position", name="uq_plan_workflow_step_position"),)


class Plan(db.Model):
    """采购计划: a budget unit's request, drafted by its 经办, submitted by the unit, approved along its chain."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the budget unit
    title: Mapped[str] = mapped_column(String(200))
    plan_type: Mapped[str] = mapped_column(String(12))  # goods | services | works (采购类型)
    budget_project_code: Mapped[str] = mapped_column(String(40))
    budget_fen: Mapped[int] = mapped_column(BigInteger)  # the items' total
    fund_nature: Mapped[str] = mapped_column(String(24))
    org_form: Mapped[str] = mapped_column(String(24))  # centralised | department | decentralised
    method: Mapped[str] = mapped_column(String(32))
    gov_service: Mapped[bool] = mapped_column(default=False)  # 政府购买服务
    imported: Mapped[bool] = mapped_column(default=False)
    sme_set_aside: Mapped[bool] = mapped_column(default=False)
    confidential: Mapped[bool] = mapped_column(default=False)
    expected_month: Mapped[str] = mapped_column(String(7))
    intention_id: Mapped[int | None] = mapped_column(ForeignKey("plan_intention.id"))
    status: Mapped[PlanStatus] = mapped_column(enum_column(PlanStatus, "plan_status"), default=PlanStatus.DRAFT,
                                               index=True)
    workflow_id: Mapped[int | None] = mapped_column(ForeignKey("plan_workflow.id"))
    revision: Mapped[int] = mapped_column(default=0)  # the last submitted revision
    rules_version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]

    org: Mapped[Org] = relationship()
    created_by: Mapped[User] = relationship()
    items: Mapped[list[PlanItem]] = relationship(order_by="PlanItem.position", cascade="all, delete-orphan",
                                                 back_populates="plan")
    steps: Mapped[list[PlanStep]] = relationship(order_by="PlanStep.position", cascade="all, delete-orphan",
                                                 back_populates="plan")
    workflow: Mapped[Workflow | None] = relationship()
    intention: Mapped[Intention | None] = relationship()

    __table_args__ = (CheckConstraint("budget_fen >= 0", name="budget_not_negative"),)


class PlanItem(db.Model):
    """One catalogue item of a plan: the split-purchase check counts a unit's year per catalogue code."""

    __tablename__ = "plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    catalogue_code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    quantity: Mapped[int]
    unit: Mapped[str] = mapped_column(String(12), default="")
    budget_fen: Mapped[int] = mapped_column(BigInteger)

    plan: Mapped[Plan] = relationship(back_populates="items")

    __table_args__ = (CheckConstraint("quantity > 0 AND budget_fen > 0", name="item_positive"),
                      Index("ix_plan_item_code", "catalogue_code"))


class PlanRevision(db.Model):
    """The plan's fields as submitted each time: a resubmission is shown as a diff against what the reviewer saw."""

    __tablename__ = "plan_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int]
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("plan_id", "revision", name="uq_plan_revision_number"),)


class PlanStep(db.Model):
    """A plan's pass through one workflow step: its status, who decided (or which rule, with its inputs),
    the reason of a return or a rejection, the revision the reviewer saw, and the step's clock."""

    __tablename__ = "plan_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("plan_workflow_step.id"))
    round: Mapped[int] = mapped_column(default=1)  # the submission this pass belongs to
    position: Mapped[int]
    status: Mapped[StepStatus] = mapped_column(enum_column(StepStatus, "plan_step_status"),
                                               default=StepStatus.WAITING)
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))  # resolved when the step opens
    acted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acted_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    seen_revision: Mapped[int] = mapped_column(default=0)
    auto_rule: Mapped[str] = mapped_column(String(24), default="")
    auto_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    opened_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]       # the reviewer is warned once past it
    escalate_at: Mapped[datetime | None]  # then the supervisor
    warned_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    plan: Mapped[Plan] = relationship(back_populates="steps")
    step: Mapped[WorkflowStep] = relationship()

    __table_args__ = (Index("ix_plan_step_active", "status", "actor_org_id"),)


class Confirmation(db.Model):
    """确认书: the immutable numbered snapshot of an approved plan (or one the finance intranet confirmed), the
    only source a project or an e-mall order draws money from. Only `drawn_fen` changes, under a row lock."""

    __tablename__ = "plan_confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    catalogue_code: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(32))
    plan_type: Mapped[str] = mapped_column(String(12))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    drawn_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(12))  # workflow | intranet | file
    message_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_message.id"))
    issued_at: Mapped[datetime]
    valid_until: Mapped[date | None]

    org: Mapped[Org] = relationship()
    plan: Mapped[Plan | None] = relationship()

    __table_args__ = (CheckConstraint("amount_fen > 0 AND drawn_fen >= 0 AND drawn_fen <= amount_fen",
                                      name="drawn_within_amount"),)


class BudgetDraw(db.Model):
    """Money a tender lot or an e-mall order took from a confirmation; released when the lot fails or the order
    is cancelled. The subject is (kind, id) so that any package can draw without this one knowing it."""

    __tablename__ = "plan_budget_draw"

    id: Mapped[int] = mapped_column(primary_key=True)
    confirmation_id: Mapped[int] = mapped_column(ForeignKey("plan_confirmation.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    subject_kind: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[DrawStatus] = mapped_column(enum_column(DrawStatus, "draw_status"), default=DrawStatus.HELD)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    drawn_at: Mapped[datetime]
    released_at: Mapped[datetime | None]
    release_reason: Mapped[str] = mapped_column(String(200), default="")

    confirmation: Mapped[Confirmation] = relationship()

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),
                      Index("ix_plan_budget_draw_subject", "subject_kind", "subject_id"))


class PaymentAccount(db.Model):
    """财政零余额账户: a region's zero-balance payment account (optionally one unit's), from its effective day."""

    __tablename__ = "plan_payment_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("region.code"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))
    name: Mapped[str] = mapped_column(String(120))
    bank: Mapped[str] = mapped_column(String(120))
    account_no: Mapped[str] = mapped_column(String(40))
    effective_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("region_code", "account_no", name="uq_plan_payment_account_no"),)


class ProjectSource(db.Model):
    """Where a tender project came from: the confirmation it was created from (its lots drew from it) and the
    intention whose notice must be out long enough before the project is published."""

    __tablename__ = "plan_project_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("tender_project.id", ondelete="CASCADE"), unique=True)
    confirmation_id: Mapped[int | None] = mapped_column(ForeignKey("plan_confirmation.id"), index=True)
    intention_id: Mapped[int | None] = mapped_column(ForeignKey("plan_intention.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]

    confirmation: Mapped[Confirmation | None] = relationship()
    intention: Mapped[Intention | None] = relationship()
