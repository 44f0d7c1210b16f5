"""The deposits demo: on the evaluation demo's awarded tender, a waiver, a guarantee letter and two
transfers from one account, the losers' refunds scheduled within 5 working days of the award notice and
sent to the bank (one confirmed); a performance security asked and paid on the signed contract."""

from __future__ import annotations


def test_demo_seed_shows_deposits_refunds_and_a_performance_security(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from core import clock as clock_module
    from core.db import db
    from core.demo import SEEDERS
    from core.workdays import get_calendar
    from deposits import bank, service, stages
    from deposits.models import Deposit
    from evaluation.models import Award
    from tender.models import Bid, Lot, Project

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "expert_draw", "evaluation", "deposits"):
        seeders[name](context)
    db.session.commit()
    assert (tmp_path / "demo-keys" / "deposit-bank.pem").exists()
    awarded = db.session.scalar(select(Award.lot_id).join(Lot, Lot.id == Award.lot_id)
                                .join(Project, Project.id == Lot.project_id)
                                .where(Award.notified_at.is_not(None), Award.contracted_at.is_(None),
                                       Project.title == "泰顺县罗阳镇中心小学课桌椅采购"))  # the deposits demo's tender
    rows = [d for d in service.deposits_of_lot(awarded) if d.purpose.value == "bid"]
    assert sorted(d.form.value for d in rows) == ["guarantee", "transfer", "transfer", "transfer"]
    lot_id = awarded
    assert len(next(iter(service.shared_payer_accounts(lot_id).values()))) == 2
    award = db.session.scalar(select(Award).where(Award.lot_id == lot_id))
    winner = stages.award_facts(lot_id).winner_org_id
    due = get_calendar().add_workdays(clock_module.to_local(award.notified_at).date(), 5)
    assert next(d for d in rows if d.org_id == winner).status.value == "held"  # until the contract is signed
    losers = [d for d in rows if d.org_id != winner]
    assert losers and all(d.refund_due_on == due and d.status.value in ("refund_sent", "refunded") for d in losers)
    assert any(d.status.value == "refunded" for d in losers)
    waived = db.session.scalar(select(Deposit).where(Deposit.form == "waived"))
    assert waived.status.value == "waived" and waived.lot_id != lot_id
    flagged = [o for o in {r.org_id for r in db.session.scalars(select(Bid).where(Bid.lot_id == waived.lot_id))}
               if service.opening_note(waived.lot_id, o)]
    assert len(flagged) == 1
    security = db.session.scalar(select(Deposit).where(Deposit.purpose == "performance"))
    assert security.status.value == "held" and security.amount_fen == security.contract_amount_fen * 5 // 100
    sent_on = clock_module.to_local(losers[0].refund_sent_at).date()
    report = bank.reconciliation(sent_on)
    assert report["totals"]["refund_sent_fen"] > 0 and report["totals"]["credited_fen"] > 0
