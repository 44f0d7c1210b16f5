"""An opening never delays a submission (issue 10): tender A decrypts a bid while a supplier submits
to tender B just before B's deadline. Before the fix A's decryption held SQLite's writer lock, the
submission waited for it and read the clock only under the lock — after B's deadline: refused.

Deterministic: A's decryption is held open on an Event until the submission has finished (or has
visibly not finished within a generous bound), and the frozen clock only moves where the test moves it.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

from tender_helpers import hand_in_keeper_shares, seal_bid, submit, vault_and_keeper
from tests_helpers import login

WAIT = 20  # seconds; only reached if the submission is (wrongly) blocked


def test_a_submission_is_not_delayed_by_another_tenders_decryption(app, world, make_project, client, clock,
                                                                  monkeypatch):
    import crypto
    from core.db import db
    from tender import opening
    from tender.models import Bid, Project

    tender_a = make_project(**vault_and_keeper(world))
    lot_a = tender_a.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, tender_a, lot_a, seal_bid(tender_a, lot_a, supplier)).status_code == 201
    clock.advance(timedelta(days=1))
    tender_b = make_project()  # its deadline is a day after A's
    lot_b = tender_b.lots[0]
    b_id, b_lot, b_deadline = tender_b.id, lot_b.id, tender_b.deadline
    late_bid = seal_bid(tender_b, lot_b, world.suppliers[0])
    clock.set(tender_a.deadline)
    opening.sweep()  # A closes, the vault releases its shares
    assert hand_in_keeper_shares(world) == 3
    bid_a = opening.current_bids(db.session.get(Project, tender_a.id).lots[0])[0].id
    shares = opening.shares_of(db.session.get(Bid, bid_a))
    clock.set(b_deadline - timedelta(milliseconds=1500))  # B's supplier sends 1.5 s before B's deadline

    decrypting, resume = threading.Event(), threading.Event()
    real_open = crypto.open_with_shares

    def held_open(*args, **kwargs):  # A's big bid: still decrypting while B's supplier submits
        decrypting.set()
        assert resume.wait(WAIT * 3)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(crypto, "open_with_shares", held_open)
    opened: dict[str, object] = {}

    def open_a() -> None:
        with app.app_context():
            result = opening.open_bid(bid_a, shares=shares)
            opened["status"] = result.status.value if result else None
            db.session.commit()

    answer: dict[str, object] = {}
    who = SimpleNamespace(username=world.suppliers[0].user.username, totp_seed=None)

    def submit_b() -> None:
        with app.app_context():
            c = app.test_client()
            login(c, who)
            response = c.post(f"/api/v1/tender/projects/{b_id}/lots/{b_lot}/bids", data=late_bid,
                              content_type="application/octet-stream")
            answer["status"] = response.status_code
            answer["code"] = (response.get_json().get("error") or {}).get("code")

    opener = threading.Thread(target=open_a, name="opener")
    opener.start()
    assert decrypting.wait(WAIT)
    supplier = threading.Thread(target=submit_b, name="supplier")
    supplier.start()
    supplier.join(WAIT)
    finished_during_decryption = not supplier.is_alive()
    clock.advance(timedelta(seconds=5))  # A's decryption ends after B's deadline
    resume.set()
    supplier.join(WAIT * 3)
    opener.join(WAIT * 3)
    assert finished_during_decryption, "the submission waited for another tender's decryption"
    assert answer == {"status": 201, "code": None}
    assert opened == {"status": "opened"}
    db.session.expire_all()
    [accepted] = Bid.query.filter_by(project_id=b_id).all()
    assert accepted.submitted_at < b_deadline


def test_two_openers_of_one_bid_open_it_once(app, world, make_project, client, clock):
    """The claim after the decryption is conditional: a bid opened by someone else meanwhile is not
    opened (nor recorded) a second time, and the loser's output is discarded."""
    from pathlib import Path

    from core.db import db
    from tender import opening
    from tender.models import Bid, OpeningRecord

    project = make_project(**vault_and_keeper(world))
    lot = project.lots[0]
    for supplier in world.suppliers[:3]:
        assert submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier)).status_code == 201
    clock.set(project.deadline)
    opening.sweep()
    hand_in_keeper_shares(world)
    bid = opening.current_bids(lot)[0]
    shares = opening.shares_of(bid)
    db.session.execute(db.update(Bid).where(Bid.id == bid.id).values(attempts=Bid.attempts + 1))  # a rival claimed
    real_claim = opening._claim

    def claim_after_rival(bid_id, attempts):
        return real_claim(bid_id, attempts - 1)  # we read the count before the rival's claim

    try:
        opening._claim = claim_after_rival
        assert opening.open_bid(bid.id, shares=shares) is None
    finally:
        opening._claim = real_claim
    db.session.commit()
    assert OpeningRecord.query.filter_by(bid_id=bid.id).count() == 0
    work = Path(app.config["FILE_STORE"]) / "tender" / "opened" / str(project.id) / ".work"
    assert not work.exists() or not any(work.iterdir())
    assert opening.open_bid(bid.id, shares=shares).status.value == "opened"
