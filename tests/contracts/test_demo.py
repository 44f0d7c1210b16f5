"""The demo: the closed tender's contract accepted (report signed by caigou1 and the winner with their demo
keys), payment due within the SME days, 60 % paid as the finance intranet reported it."""

from __future__ import annotations


def test_the_demo_contract_is_accepted_and_partly_paid(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from contracts import payments
    from contracts.acceptance import rounds_of
    from contracts.models import Contract
    from core import clock as clock_module
    from core.db import db
    from core.demo import SEEDERS

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "expert_draw", "evaluation", "acceptance"):
        seeders[name](context)
    db.session.commit()
    accepted = [c for c in db.session.scalars(select(Contract)) if c.accepted_at is not None]
    assert len(accepted) == 1
    contract = accepted[0]
    (round_,) = rounds_of(contract)
    assert round_.status.value == "passed" and all(m.signed_at for m in round_.members) and len(round_.members) == 2
    assert contract.paid_fen == contract.amount_fen * 60 // 100 and len(payments.payments_of(contract)) == 1
    assert contract.payment_due_at > clock_module.now()  # the next deadline: the rest is still to pay
    assert (tmp_path / "demo-keys" / "ts-finance-intranet.pem").exists()
