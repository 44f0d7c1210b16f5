"""Credit's timed step (the chronograph's `credit-sweep`, every minute): a timed sanction (restricted,
banned) whose period is over lifts itself, audited as the system's move."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from registry.credit.models import Sanction, SanctionStatus
from registry.credit.service import lift_sanction

LIFT_SANCTION = TimedStep("credit.lift_sanction", Sanction, lift_sanction, SanctionStatus.ACTIVE,
                          SanctionStatus.LIFTED, due=Sanction.ends_at, key="lifted")
SWEEP = Sweep("credit-sweep", 60.0, (LIFT_SANCTION,), actor="system:credit-sweep")
