"""The demo seed: a stocked supermarket with a frozen over-priced listing and its reason, orders in every
state, a signed order contract, the price check's report, and a hotel and a vehicle-repair order whose bill
check caught a line above the filed price list."""

from __future__ import annotations


def test_demo_seed_shows_the_e_mall(app, app_ctx, clock, monkeypatch, tmp_path):
    from argon2 import PasswordHasher

    from accounts import service as accounts
    from core.db import db
    from core.demo import SEEDERS
    from mall.models import Listing, Order, PriceCheckReport, ServiceOrder
    from mall.transitions import OrderStatus

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    context: dict = {"logins": []}
    for name, fn in SEEDERS:
        if name in ("accounts", "registry_suppliers", "catalogue", "products", "mall"):
            fn(context)
    db.session.commit()
    listings = db.session.query(Listing).all()
    assert len(listings) == 11
    [frozen] = [row for row in listings if row.status.value == "frozen"]
    assert frozen.price_fen == 2_950_00 and "惠普官方商城" in frozen.frozen_reason
    states = {o.status for o in db.session.query(Order)}
    assert states == set(OrderStatus)
    confirmed = db.session.query(Order).filter_by(status=OrderStatus.CONFIRMED).one()
    assert confirmed.contract_signed_at is not None
    assert db.session.query(PriceCheckReport).count() == 1
    caught = {o.purpose: o.bill_blocked_lines for o in db.session.query(ServiceOrder)}
    assert caught == {"meeting": [2], "repair": [2]}

