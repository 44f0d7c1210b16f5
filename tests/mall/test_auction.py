"""The reverse auction: publication, the bid rules under the server clock (each refusal written to the
log and nothing else), the limit window and the hard stop, the minimum number of bidders, the offer and
its lapse to the second place, the order, the sealed log that `mall.verifier` checks on its own, and
the live room on /auction (the same service function over the socket and over HTTP)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests_helpers import login

ADDRESS = "泰顺县罗阳镇新城大道 1 号"


def _publish(world, *, minutes: int = 30, ceiling: int = 5_000_00, step: int = 10_00, qty: int = 10, start=None):
    from core import clock
    from core.db import db
    from mall import auction

    made = auction.publish_auction(world.buyer, auction.AuctionData(
        world.products[0].id, qty, ceiling, step, start or clock.now(), minutes, ADDRESS))
    db.session.commit()
    return made


def _bid(user, auction_id: int, amount):
    """Bid and commit; a refusal is settled as a request would (its log entry kept) and returned."""
    from core.db import db
    from core.errors import DomainError, settle_refusal
    from mall import auction

    try:
        auction.place_bid(user, auction_id, amount)
    except DomainError as exc:
        settle_refusal(exc)
        return exc
    db.session.commit()
    return None


def _entries(a):
    from mall import auction_log

    return [(e.kind, e.bidder, e.amount_fen, e.reason) for e in auction_log.entries_of(a)]


def _audit_count(action: str) -> int:
    from audit.models import AuditEvent
    from core.db import db

    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def _close(a):
    from core.db import db
    from mall import auction

    assert auction.close_auction(auction.get_auction(a.id, lock=True))
    db.session.commit()


@pytest.mark.parametrize(("amount", "reason"), [
    (5_000_01, "above_ceiling"), (4_995_00, "not_multiple"), (4_990_00, "not_below_lowest"),
    (4_985_00, "not_multiple"), (0, "amount_invalid"), ("4980", "amount_invalid"),
])
def test_a_refused_bid_is_a_clear_error_and_only_its_log_entry(stocked, clock, amount, reason):
    from core.db import db

    a = _publish(stocked)
    assert _bid(stocked.suppliers[0], a.id, 4_990_00) is None
    before = (_audit_count("mall.auction_bid"), a.lowest_fen, a.accepted_bids, a.ends_at)
    exc = _bid(stocked.suppliers[1], a.id, amount)
    assert exc is not None and exc.code == f"bid_{reason}" and exc.message
    db.session.expire_all()
    assert (_audit_count("mall.auction_bid"), a.lowest_fen, a.accepted_bids, a.ends_at) == before
    assert _entries(a)[-1] == ("refused", "B02", amount if isinstance(amount, int) else None, reason)
    assert a.refused_bids == 1


def test_a_bid_after_the_end_by_the_server_clock_is_refused_before_the_close_runs(stocked, clock):
    a = _publish(stocked, minutes=10)
    clock.advance(timedelta(minutes=10))
    exc = _bid(stocked.suppliers[0], a.id, 4_990_00)
    assert exc.code == "bid_closed" and exc.status == 409
    assert _entries(a)[-1] == ("refused", "B01", 4_990_00, "closed") and a.lowest_fen is None


def test_before_the_start_a_bid_is_refused_and_only_sellers_bid(stocked, clock, make_user):
    from core.errors import Forbidden
    from mall import auction

    a = _publish(stocked, start=clock.now() + timedelta(hours=1))
    assert _bid(stocked.suppliers[0], a.id, 4_990_00).code == "bid_not_started"
    outsider = make_user("supplier", org_kind="supplier", totp=False)
    with pytest.raises(Forbidden) as refused:
        auction.place_bid(outsider, a.id, 4_990_00)
    assert refused.value.code == "not_auction_seller"
    assert len(_entries(a)) == 2  # open and the one refusal: the outsider is nobody's bid


def test_the_limit_window_and_the_hard_stop(stocked, clock):
    from core.db import db

    a = _publish(stocked, minutes=10)  # window 300 s, hard stop 60 minutes after the scheduled end
    end = a.ends_at
    clock.advance(timedelta(minutes=2))
    assert _bid(stocked.suppliers[0], a.id, 4_990_00) is None
    db.session.expire_all()
    assert a.ends_at == end and a.extensions == 0  # not within the last five minutes
    clock.advance(timedelta(minutes=6))  # two minutes left
    assert _bid(stocked.suppliers[1], a.id, 4_980_00) is None
    db.session.expire_all()
    assert a.ends_at == clock.now() + timedelta(seconds=300) and a.extensions == 1
    amount = 4_970_00
    while clock.now() + timedelta(seconds=300) < a.hard_stop_at:
        clock.advance(timedelta(minutes=4))
        assert _bid(stocked.suppliers[2], a.id, amount) is None
        amount -= 10_00
        db.session.expire_all()
    assert a.ends_at == a.hard_stop_at  # never past the hard stop
    clock.set(a.hard_stop_at - timedelta(seconds=1))
    assert _bid(stocked.suppliers[0], a.id, amount) is None
    db.session.expire_all()
    assert a.ends_at == a.hard_stop_at
    clock.set(a.hard_stop_at)
    assert _bid(stocked.suppliers[1], a.id, amount - 10_00).code == "bid_closed"
    assert [k for k, *_ in _entries(a)].count("extend") == a.extensions


def test_fewer_than_three_valid_bidders_fails_with_a_notice(stocked, clock):
    from core.db import db
    from mall.auction_transitions import AuctionStatus
    from notices.models import Notice

    a = _publish(stocked)
    _bid(stocked.suppliers[0], a.id, 4_990_00)
    _bid(stocked.suppliers[1], a.id, 4_980_00)
    _bid(stocked.suppliers[2], a.id, 5_000_01)  # refused: a third bidder without a valid bid
    clock.advance(timedelta(minutes=31))
    _close(a)
    assert a.status is AuctionStatus.FAILED and "少于 3 家" in a.end_reason
    notice = db.session.scalars(select(Notice).where(Notice.subject_id == a.id)).one()
    assert notice.kind == "failure"
    assert a.seal_note and _entries(a)[-1][0] == "close"


def _won(world, clock):
    a = _publish(world)
    for who, amount in ((0, 4_990_00), (1, 4_980_00), (2, 4_970_00), (0, 4_950_00)):
        clock.advance(timedelta(minutes=1))
        assert _bid(world.suppliers[who], a.id, amount) is None
    clock.advance(timedelta(minutes=30))
    _close(a)
    return a


def test_the_winner_confirms_and_the_order_and_contract_follow(stocked, clock):
    from contracts.models import Contract
    from core.db import db
    from mall import contracts
    from mall.auction import confirm_award
    from mall.auction_transitions import AuctionStatus
    from mall.transitions import OrderStatus

    a = _won(stocked, clock)
    assert a.status is AuctionStatus.OFFERED and [r[0] for r in a.ranking] == ["B01", "B03", "B02"]
    order = confirm_award(stocked.suppliers[0], a.id)
    db.session.commit()
    assert a.status is AuctionStatus.ORDERED and order.status is OrderStatus.CONFIRMED
    assert order.kind == "auction" and order.amount_fen == 4_950_00 * 10 and order.lines[0].unit_price_fen == 4_950_00
    contract = contracts.draft_contract(stocked.buyer, order.id)
    db.session.commit()
    assert isinstance(contract, Contract) and contract.amount_fen == order.amount_fen


def test_an_offer_not_confirmed_in_time_passes_to_the_second(stocked, clock):
    from core import chronograph
    from core.errors import Conflict, Forbidden
    from mall.auction import confirm_award
    from mall.auction_transitions import AuctionStatus

    a = _won(stocked, clock)
    with pytest.raises(Forbidden):
        confirm_award(stocked.suppliers[2], a.id)  # the third place is not offered
    clock.advance(timedelta(hours=72, seconds=1))
    chronograph.run_step(chronograph.step("mall.pass_award"))
    from core.db import db

    db.session.expire_all()
    assert a.status is AuctionStatus.OFFERED and a.offer_rank == 1
    with pytest.raises(Forbidden):
        confirm_award(stocked.suppliers[0], a.id)  # the first place's window passed
    db.session.rollback()
    confirm_award(stocked.suppliers[2], a.id)  # B03, the second place
    db.session.commit()
    assert a.status is AuctionStatus.ORDERED
    clock.advance(timedelta(hours=1))
    with pytest.raises(Conflict):
        confirm_award(stocked.suppliers[2], a.id)


def test_the_sealed_log_verifies_alone_and_any_change_breaks_it(stocked, clock, tmp_path):
    from core.db import db
    from mall import auction_log, verifier

    a = _won(stocked, clock)
    _bid(stocked.suppliers[1], a.id, 4_000_00)  # after the close: refused without an entry (the log is sealed)
    db.session.rollback()
    log = auction_log.sealed_log(a)
    found = verifier.verify(log)
    assert found["winner"] == "B01" and found["outcome"] == "offered" and found["size"] == len(log["entries"])
    assert found["audit_seq"] is not None
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log), encoding="utf-8")
    assert verifier.main([str(path)]) == 0
    forged = json.loads(json.dumps(log))
    forged["entries"][2]["amount_fen"] = 4_940_00
    with pytest.raises(verifier.Unverified, match="hash"):
        verifier.verify(forged)
    rehashed = json.loads(json.dumps(log))  # a rewritten chain: every hash redone, the signature no longer fits
    prev = verifier.GENESIS
    for entry in rehashed["entries"]:
        if entry["kind"] == "close":
            entry["data"]["winner"] = "B03"
        entry["prev"] = prev
        entry["hash"] = prev = verifier.entry_hash(entry)
    with pytest.raises(verifier.Unverified):
        verifier.verify(rehashed)


def test_a_bidder_sees_its_rank_and_the_lowest_never_names(stocked, clock):
    from flask_babel import force_locale

    from mall.auction import state_for

    a = _publish(stocked)
    _bid(stocked.suppliers[0], a.id, 4_990_00)
    _bid(stocked.suppliers[1], a.id, 4_980_00)
    with force_locale("zh_CN"):
        view = state_for(stocked.suppliers[0], a)
    assert view["me"]["rank"] == 2 and view["me"]["pseudonym"] == "B01" and view["lowest"] == "4,980.00"
    text = json.dumps(view, ensure_ascii=False)
    assert stocked.suppliers[1].org.name not in text and view["ranking"] == []


def test_a_bid_over_the_socket_reaches_every_watcher_and_http_downloads_the_log(app, stocked, clock, monkeypatch):
    from core.extensions import socketio

    a = _publish(stocked)
    monkeypatch.setattr(socketio, "server", app.wsgi_app.engineio_app)
    clients = []
    for user in (stocked.suppliers[0], stocked.suppliers[1], stocked.buyer):
        with app.app_context():
            flask_client = app.test_client()
            login(flask_client, user)
        with app.app_context():
            sio = socketio.test_client(app, namespace="/auction", flask_test_client=flask_client)
            assert sio.emit("join", {"auction_id": a.id}, namespace="/auction", callback=True)["ok"]
        clients.append((sio, flask_client))
    try:
        with app.app_context():
            reply = clients[0][0].emit("bid", {"auction_id": a.id, "amount": "4990"}, namespace="/auction",
                                       callback=True)
        assert reply == {"ok": True}
        for sio, _c in clients:
            pushed = [e["args"][0] for e in sio.get_received("/auction") if e["name"] == "changed"]
            assert pushed and pushed[-1]["state"]["lowest_fen"] == 4_990_00
        with app.app_context():
            refused = clients[1][0].emit("bid", {"auction_id": a.id, "amount": "4995"}, namespace="/auction",
                                         callback=True)
        assert refused["ok"] is False and refused["error"]["code"] == "bid_not_multiple"
        with app.app_context():
            response = clients[1][1].post(f"/mall/auctions/{a.id}/bids", json={"amount_fen": 4_980_00})
        assert response.status_code == 200 and response.get_json()["bidder"] == "B02"
        with app.app_context():
            response = clients[2][1].post(f"/mall/auctions/{a.id}/bids", json={"amount_fen": 4_970_00})
        assert response.status_code == 403  # a purchaser never bids
        with app.app_context():
            assert clients[2][1].get(f"/mall/auctions/{a.id}").status_code == 200
            assert clients[2][1].get(f"/mall/auctions/{a.id}/log.json").status_code == 409  # not sealed yet
    finally:
        for sio, _c in clients:
            sio.disconnect(namespace="/auction")
