"""The plans' timed steps (run by the chronograph): a reviewer warned once a step is past its time, then the
region's finance bureau once it is past the escalation time."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from plan import workflow
from plan.models import PlanStep
from plan.transitions import StepStatus

WARN = TimedStep("plan.warn_overdue_step", PlanStep, workflow.warn_overdue, StepStatus.ACTIVE, due=PlanStep.due_at,
                 where=lambda now: PlanStep.warned_at.is_(None), key="warned")
ESCALATE = TimedStep("plan.escalate_overdue_step", PlanStep, workflow.escalate_overdue, StepStatus.ACTIVE,
                     due=PlanStep.escalate_at, where=lambda now: PlanStep.escalated_at.is_(None), key="escalated")
SWEEP = Sweep("plan-sweep", 900.0, (WARN, ESCALATE), actor="system:plan-sweep")
