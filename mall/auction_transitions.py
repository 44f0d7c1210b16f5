"""The reverse auction's lifecycle (`core.transitions`).

scheduled → live (the start, a timed step, or the first bid after it) → offered (closed with enough
bidders: the first place is offered the award) → ordered (the offered bidder confirmed: the order is
placed); offered → offered again (the offered bidder let its confirmation window pass: the next place);
scheduled/live → failed (fewer valid bidders than the region's minimum at the end); offered → failed (no
place left to offer).
"""

from __future__ import annotations

import enum

from core.transitions import lifecycle


class AuctionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    OFFERED = "offered"
    ORDERED = "ordered"
    FAILED = "failed"


AUCTION = lifecycle(AuctionStatus, {
    (AuctionStatus.SCHEDULED, AuctionStatus.LIVE),
    (AuctionStatus.SCHEDULED, AuctionStatus.FAILED),
    (AuctionStatus.LIVE, AuctionStatus.OFFERED),
    (AuctionStatus.LIVE, AuctionStatus.FAILED),
    (AuctionStatus.OFFERED, AuctionStatus.OFFERED),
    (AuctionStatus.OFFERED, AuctionStatus.ORDERED),
    (AuctionStatus.OFFERED, AuctionStatus.FAILED),
}, code="auction_transition_refused", event="mall.auction_status")
