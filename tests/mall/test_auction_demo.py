"""The demo seed's reverse auctions: one about to start, one live with bids, one awarded whose sealed log
verifies on its own."""

from __future__ import annotations


def test_demo_seed_shows_auctions_in_each_state(app, app_ctx, clock, monkeypatch, tmp_path):
    from argon2 import PasswordHasher

    from accounts import service as accounts
    from core.db import db
    from core.demo import seed_order
    from mall import auction_log, verifier
    from mall.auction_models import Auction
    from mall.auction_transitions import AuctionStatus

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    context: dict = {"logins": []}
    for name, fn in seed_order():
        if name in ("accounts", "registry_suppliers", "catalogue", "products", "mall", "mall_auction"):
            fn(context)
    db.session.commit()
    by_status = {a.status: a for a in db.session.query(Auction)}
    assert set(by_status) == {AuctionStatus.SCHEDULED, AuctionStatus.LIVE, AuctionStatus.ORDERED}
    done = by_status[AuctionStatus.ORDERED]
    found = verifier.verify(auction_log.sealed_log(done))
    assert found["winner"] == "B03" and found["refused"] == 2 and len(found["extensions"]) == 2
    assert done.order_id is not None
    live = by_status[AuctionStatus.LIVE]
    assert live.lowest_fen == 5_800_00 and live.ends_at > clock.now()
