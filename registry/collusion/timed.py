"""The collusion sweep (the chronograph's `collusion-sweep`, every 30 s).

- `collusion.refresh_identity`: each supplier's identity keys (the identity graph's index) are rebuilt
  when they are missing or a day old, one supplier per transaction (`identity.refresh`);
- `collusion.compute_lot`: each lot whose bids have been opened gets its signals computed once, outside
  the opening's transaction (reading and hashing a lot of large bids takes seconds; the opening must not
  wait for it). The step holds no row lock while it computes (`lock=False`); the run's unique lot makes
  a second computation of the same lot impossible.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select

from accounts.models import Org, OrgKind
from core.chronograph import Sweep, TimedStep
from registry.collusion.models import CollusionRun, IdentityStamp
from tender.models import Lot
from tender.transitions import LotStatus

SWEEP_SECONDS = 30.0
IDENTITY_MAX_AGE = timedelta(days=1)  # how stale a supplier's keys may get between its own bids


def _compute(lot: Lot) -> int:
    from registry.collusion.service import compute_lot

    return len(compute_lot(lot).flags) or True


def _not_computed(_now):
    return ~exists(select(CollusionRun.id).where(CollusionRun.lot_id == Lot.id))


def _refresh(org: Org) -> bool:
    from registry.collusion.identity import refresh

    refresh([org.id])
    return True


def _identity_due(now):
    fresh = exists(select(IdentityStamp.org_id).where(IdentityStamp.org_id == Org.id,
                                                      IdentityStamp.refreshed_at > now - IDENTITY_MAX_AGE))
    return (Org.kind == OrgKind.SUPPLIER) & ~fresh


REFRESH_IDENTITY = TimedStep("collusion.refresh_identity", Org, _refresh, where=_identity_due,
                             key="identity_refreshed", lock=False)
COMPUTE_LOT = TimedStep("collusion.compute_lot", Lot, _compute, (LotStatus.OPENED, LotStatus.CONTRACTED),
                        where=_not_computed, key="computed", lock=False)
SWEEP = Sweep("collusion-sweep", SWEEP_SECONDS, (REFRESH_IDENTITY, COMPUTE_LOT), actor="system:collusion")
