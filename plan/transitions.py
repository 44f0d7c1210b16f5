"""The plan package's statuses and their transition tables: intention, plan, plan step, budget draw."""

from __future__ import annotations

import enum

from core import transitions


class IntentionStatus(enum.StrEnum):
    DRAFT = "draft"          # written by the unit, not public yet
    PUBLISHED = "published"  # 采购意向公开: its notice is out, the 30-day count runs from here
    WITHDRAWN = "withdrawn"  # the unit gave it up (its notice withdrawn)


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"          # 经办 drafting
    IN_REVIEW = "in_review"  # submitted by the unit: on the workflow's steps
    RETURNED = "returned"    # a reviewer sent it back with a reason: the clerk edits and resubmits
    APPROVED = "approved"    # every step passed: its confirmation is issued
    REJECTED = "rejected"    # a reviewer (or an automatic rule) refused it: final
    WITHDRAWN = "withdrawn"  # the unit withdrew it (a substantive change after approval means re-filing)


class StepStatus(enum.StrEnum):
    WAITING = "waiting"    # a later step, not reached yet
    ACTIVE = "active"      # the step the plan is on: its post may act, its clock runs
    APPROVED = "approved"  # passed by a person or by its automatic rule
    RETURNED = "returned"  # sent back to the clerk (the plan starts the chain again on resubmission)
    REJECTED = "rejected"  # refused by a person or stopped by its automatic rule
    SKIPPED = "skipped"    # its condition does not hold for this plan
    VOID = "void"          # a step left unfinished by a return, a rejection or a withdrawal


class DrawStatus(enum.StrEnum):
    HELD = "held"          # counts against its confirmation
    RELEASED = "released"  # given back (a failed lot, a cancelled order): no longer counts


N, P, S, D = IntentionStatus, PlanStatus, StepStatus, DrawStatus
INTENTION = transitions.lifecycle(IntentionStatus, {(N.DRAFT, N.PUBLISHED), (N.PUBLISHED, N.WITHDRAWN),
                                                    (N.DRAFT, N.WITHDRAWN)},
                                  code="intention_transition_refused", event="plan.intention_status")
PLAN = transitions.lifecycle(PlanStatus, {
    (P.DRAFT, P.IN_REVIEW), (P.IN_REVIEW, P.RETURNED), (P.IN_REVIEW, P.APPROVED), (P.IN_REVIEW, P.REJECTED),
    (P.RETURNED, P.IN_REVIEW), (P.DRAFT, P.WITHDRAWN), (P.RETURNED, P.WITHDRAWN), (P.IN_REVIEW, P.WITHDRAWN),
    (P.APPROVED, P.WITHDRAWN),
}, code="plan_transition_refused", event="plan.status")
STEP = transitions.lifecycle(StepStatus, {
    (S.WAITING, S.ACTIVE), (S.WAITING, S.SKIPPED), (S.WAITING, S.VOID), (S.ACTIVE, S.APPROVED),
    (S.ACTIVE, S.RETURNED), (S.ACTIVE, S.REJECTED), (S.ACTIVE, S.VOID),
}, code="plan_step_transition_refused", event="plan.step_status")
DRAW = transitions.lifecycle(DrawStatus, {(D.HELD, D.RELEASED)}, code="draw_transition_refused",
                             event="plan.draw_status")

move = transitions.move
