"""The contracts' timed steps (run by the chronograph): finance warned of a payment overdue."""

from __future__ import annotations

from contracts import payments
from contracts.models import Contract
from contracts.transitions import ContractStatus
from core.chronograph import Sweep, TimedStep

PAYMENT_OVERDUE = TimedStep("contracts.warn_payment_overdue", Contract, payments.warn_payment_overdue,
                            ContractStatus.SIGNED, due=Contract.payment_due_at, where=payments.overdue_condition,
                            key="payment_overdue")
SWEEP = Sweep("contracts-sweep", 3600.0, (PAYMENT_OVERDUE,), actor="system:contracts-sweep")
