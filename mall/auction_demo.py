"""Demo reverse auctions on the first demo computer (listed by gys1, gys2 and gys4): one awarded three
days ago — three bidders, refused bids in its log, a late bid that extended the end, the winner's
confirmation and its order — with its sealed log verified by `mall.verifier`; one live now with bids; and
one about to start in half an hour."""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from core import clock
from core.db import db
from core.demo import seeder

ADDRESS = "泰顺县罗阳镇新城大道 1 号"


@seeder("mall_auction", after="mall")
def seed_auctions(context: dict) -> None:
    from mall import auction, auction_log, verifier
    from mall.auction import AuctionData

    users = context.get("users", {})
    products = context.get("products")
    buyer = users.get("caigou1")
    bidders = [users.get(name) for name in ("gys1", "gys2", "gys4")]
    if not products or buyer is None or None in bidders:
        return
    product = products[0]
    real_now = clock.now()

    def bid(user, auction_id: int, amount: int) -> None:
        with suppress(auction.BidRefused):  # a refused bid is kept in the log, as it is in production
            auction.place_bid(user, auction_id, amount)

    # awarded: 30 minutes from three days ago, a late bid in the window extends it
    start = real_now - timedelta(days=3)
    with clock.clock.frozen(start - timedelta(hours=2)):
        done = auction.publish_auction(buyer, AuctionData(product.id, 20, 5_800_00, 10_00, start, 30, ADDRESS,
                                                          "2026 年第四季度台式计算机反向竞价"))
    for minutes, who, amount in ((2, 0, 5_750_00), (5, 1, 5_700_00), (6, 2, 5_705_00), (9, 2, 5_650_00),
                                 (15, 0, 5_600_00), (18, 1, 5_800_01), (27, 1, 5_550_00), (29, 2, 5_540_00)):
        with clock.clock.frozen(start + timedelta(minutes=minutes)):
            bid(bidders[who], done.id, amount)
    with clock.clock.frozen(start + timedelta(minutes=40)):
        auction.close_auction(auction.get_auction(done.id, lock=True))
    with clock.clock.frozen(start + timedelta(hours=5)):
        auction.confirm_award(bidders[2], done.id)
    verifier.verify(auction_log.sealed_log(done))  # raises if the seed's own log did not verify

    # live: began 20 minutes ago for four hours
    with clock.clock.frozen(real_now - timedelta(minutes=20)):
        live = auction.publish_auction(buyer, AuctionData(product.id, 8, 5_900_00, 20_00, clock.now(), 240, ADDRESS,
                                                          "教学楼机房计算机反向竞价"))
    for minutes, who, amount in ((18, 0, 5_860_00), (16, 1, 5_840_00), (10, 0, 5_800_00)):
        with clock.clock.frozen(real_now - timedelta(minutes=minutes)):
            bid(bidders[who], live.id, amount)
    # about to start in half an hour
    auction.publish_auction(buyer, AuctionData(product.id, 5, 5_850_00, 10_00, real_now + timedelta(minutes=30), 60,
                                               ADDRESS, "档案室计算机反向竞价"))
    db.session.flush()
