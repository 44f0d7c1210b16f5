"""The reverse auction's timed steps (the chronograph's `mall-auction-sweep`, every 5 seconds, so a
close follows the end closely): the start, the close at the (extended) end, and the offer passing to
the next place when the offered bidder did not confirm in time. A bid after the end is refused by the
server clock whether or not the close has run yet."""

from __future__ import annotations

from core.chronograph import Sweep, TimedStep
from mall.auction_models import Auction
from mall.auction_transitions import AuctionStatus


def _start(auction: Auction) -> bool:
    from mall.auction import start_auction

    return start_auction(auction)


def _close(auction: Auction) -> bool:
    from mall.auction import close_auction

    return close_auction(auction)


def _pass(auction: Auction) -> bool:
    from mall.auction import pass_award

    return pass_award(auction)


START = TimedStep("mall.start_auction", Auction, _start, AuctionStatus.SCHEDULED, AuctionStatus.LIVE,
                  due=Auction.starts_at, key="started")
CLOSE = TimedStep("mall.close_auction", Auction, _close, (AuctionStatus.SCHEDULED, AuctionStatus.LIVE),
                  due=Auction.ends_at, key="closed")
PASS = TimedStep("mall.pass_award", Auction, _pass, AuctionStatus.OFFERED, due=Auction.offer_due_at, key="passed")

SWEEP = Sweep("mall-auction-sweep", 5.0, (START, CLOSE, PASS), actor="system:mall-auction-sweep")
