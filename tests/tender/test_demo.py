"""The demo seed: a tender in each stage, with real sealed bids and an opening record."""

from __future__ import annotations


def test_demo_seed_has_a_tender_in_each_stage(app, app_ctx, clock, tmp_path, monkeypatch):
    from core.db import db
    from core.demo import SEEDERS
    from tender.models import Bid, OpeningRecord, Project

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    app.config["TIME_VAULT_KEY_PATH"] = str(tmp_path / "vault.pem")
    try:
        names = [n for n, _ in SEEDERS]
        assert names.index("accounts") < names.index("tender")
        # Only the seeders tender builds on, and tender's own: later ones (evaluation) move projects on.
        context: dict = {"logins": []}
        for _name, fn in SEEDERS[:names.index("tender") + 1]:
            fn(context)
        db.session.commit()
    finally:
        app.config["TIME_VAULT_KEY_PATH"] = None
    by_status = {}
    for project in Project.query.all():
        by_status.setdefault(project.status.value, []).append(project)
    assert set(by_status) == {"draft", "bidding", "opened"}
    assert len(by_status["bidding"]) == 3
    soon = min(by_status["bidding"], key=lambda p: p.deadline)
    assert (soon.deadline - clock.now()).total_seconds() == 30 * 60
    # one tender has the public time-lock custodian (the local beacon in the demo)
    locked = [p for p in by_status["bidding"] if any(c.is_tlock for c in p.custodians)]
    assert len(locked) == 1 and "tlock" in locked[0].lots[0].policy["custodians"][1]
    assert Bid.query.filter_by(status="submitted").count() == 9
    assert [r.price_fen for r in OpeningRecord.query.order_by(OpeningRecord.price_fen)] == [
        768_000_00, 779_500_00, 785_300_00, 791_000_00]
    misplaced = OpeningRecord.query.filter_by(price_fen=779_500_00).one()  # gys2's NVR unit price: Art 59
    assert [i["unit_price_fen"] for i in misplaced.price_detail["items"]] == [5_000_00, 4_487_50]
    assert (tmp_path / "demo-keys" / "gys1.key").exists() and (tmp_path / "demo-keys" / "caijian.key").exists()
