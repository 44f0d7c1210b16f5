"""The credit demo, seeded after the evaluation demo: the lists imported, gys2's answered card, and the
first candidate of the award waiting for caigou1 barred — confirming it is refused, on record."""

from __future__ import annotations

import json


def test_demo_seed_bars_the_pending_winner_and_shows_an_answered_card(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from audit.models import AuditEvent
    from core.db import db
    from core.demo import SEEDERS, seed_order
    from evaluation.models import Award
    from evaluation.transitions import AwardStatus
    from registry.credit import service
    from registry.credit.models import CardStatus, CreditRecord

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    names = [n for n, _ in seed_order()]
    assert names.index("registry.credit") > names.index("evaluation")  # it uses the evaluation's award
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "expert_draw", "evaluation", "registry.credit"):
        seeders[name](context)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(CreditRecord)) == 4
    (award,) = db.session.scalars(select(Award).where(Award.status == AwardStatus.PENDING)).all()
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.credit_award_refused")).all()
    assert [json.loads(e.payload)["code"] for e in refused] == ["winner_credit_barred"]
    assert json.loads(refused[0].payload)["subject"] == f"evaluation_award:{award.id}"
    answered = [c for c in service.list_cards() if c.status is CardStatus.ANSWERED]
    assert [c.org.name for c in answered] == ["温州华瑞办公设备有限公司"] and answered[0].evidence
    assert answered[0].rule == "credit.name_match"
