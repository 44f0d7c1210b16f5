"""The deposits' timed steps (the chronograph's `deposits-sweep`, every 60 s): each lot's refunds are
scheduled as its tender moves on (deadline, award notice, contract, failure), each scheduled refund is
sent to the bank, and a refund not confirmed by its last working day is flagged."""

from __future__ import annotations

from core import clock
from core.chronograph import Sweep, TimedStep
from deposits import service
from deposits.models import Deposit, LotDeposit
from deposits.transitions import DepositStatus

TRACK = TimedStep("deposits.track_lot", LotDeposit, service.track_lot,
                  where=lambda _now: LotDeposit.stage.in_(("open", "closed", "awarded")), key="tracked")
SEND = TimedStep("deposits.send_refund", Deposit, service.send_refund, DepositStatus.REFUND_DUE, key="sent")
OVERDUE = TimedStep("deposits.flag_overdue", Deposit, service.flag_overdue,
                    (DepositStatus.REFUND_DUE, DepositStatus.REFUND_SENT),
                    where=lambda now: (Deposit.refund_due_on < clock.to_local(now).date())
                    & Deposit.overdue_at.is_(None), key="overdue")
SWEEP = Sweep("deposits-sweep", 60.0, (TRACK, SEND, OVERDUE), actor="system:deposits")
