"""The demo seed's collusion lot: the planted pair (one sealing machine, one address, a copied text) is
flagged, the honest bidders are not, and the supervisor's page shows it."""

from __future__ import annotations


def test_demo_seed_flags_the_planted_pair(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from accounts.models import User
    from core.db import db
    from core.demo import SEEDERS
    from registry.collusion.models import CollusionFlag

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    names = [n for n, _ in SEEDERS]
    assert names.index("tender") < names.index("collusion")
    context: dict = {"logins": []}
    seeders = dict(SEEDERS)
    for name in ("accounts", "collusion"):
        seeders[name](context)
    db.session.commit()
    org_of = {u.username: u.org_id for u in db.session.scalars(select(User))}
    pair = sorted([org_of["gys5"], org_of["gys6"]])
    flags = db.session.scalars(select(CollusionFlag)).all()
    assert {f.kind for f in flags} >= {"same_sealing_device", "same_network_address", "near_duplicate_text"}
    assert all(f.org_ids == pair for f in flags), [(f.kind, f.org_ids) for f in flags]
