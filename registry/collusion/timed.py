"""The collusion sweep (the chronograph's `collusion-sweep`, every 30 s): each lot whose bids have been
opened gets its signals computed once, outside the opening's transaction (reading and hashing a lot of
large bids takes seconds; the opening must not wait for it). The step holds no row lock while it
computes (`lock=False`); the run's unique lot makes a second computation of the same lot impossible."""

from __future__ import annotations

from sqlalchemy import exists, select

from core.chronograph import Sweep, TimedStep
from registry.collusion.models import CollusionRun
from tender.models import Lot
from tender.transitions import LotStatus

SWEEP_SECONDS = 30.0


def _compute(lot: Lot) -> int:
    from registry.collusion.service import compute_lot

    return len(compute_lot(lot).flags) or True


def _not_computed(_now):
    return ~exists(select(CollusionRun.id).where(CollusionRun.lot_id == Lot.id))


COMPUTE_LOT = TimedStep("collusion.compute_lot", Lot, _compute, (LotStatus.OPENED, LotStatus.CONTRACTED),
                        where=_not_computed, key="computed", lock=False)
SWEEP = Sweep("collusion-sweep", SWEEP_SECONDS, (COMPUTE_LOT,), actor="system:collusion")
