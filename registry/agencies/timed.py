"""The agency registry's timed step (the chronograph's `agency-sweep`, hourly): a listed agency whose
open change is past its update period is warned, with its supervisors, once."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from registry.agencies.models import AgencyListing, ListingStatus


def _warn(listing: AgencyListing) -> bool:
    from registry.agencies.service import warn_overdue_update

    return warn_overdue_update(listing)


WARN_OVERDUE_UPDATE = TimedStep(
    "registry.agency_update_overdue", AgencyListing, _warn, (ListingStatus.LISTED, ListingStatus.SUSPENDED),
    due=AgencyListing.update_due_at, where=lambda _now: AgencyListing.overdue_warned_at.is_(None), key="overdue")
SWEEP = Sweep("agency-sweep", 3600.0, (WARN_OVERDUE_UPDATE,), actor="system:sweep")
