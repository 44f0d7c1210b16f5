"""The agency registry's demo: 温州正信 listed with its staff, rated by the experts and the bidders of the
closed demo project (the ratings seeder runs after the evaluation demo), averaged on the public list."""

from __future__ import annotations


def test_demo_seed_lists_the_agency_with_ratings(app, app_ctx, clock, tmp_path, monkeypatch):
    from sqlalchemy import select

    from core.db import db
    from core.demo import SEEDERS
    from registry.agencies.models import AgencyRating
    from registry.agencies.service import public_list

    monkeypatch.setattr(app, "instance_path", str(tmp_path))  # demo key files, not the developer's
    monkeypatch.setitem(app.config, "TIME_VAULT_KEY_PATH", str(tmp_path / "vault.pem"))
    seeders = dict(SEEDERS)
    context: dict = {"logins": []}
    for name in ("accounts", "registry", "agencies", "expert_draw", "evaluation", "agency_ratings"):
        seeders[name](context)
    db.session.commit()
    [entry] = public_list()
    assert entry.listing.org.name == "温州正信招标代理有限公司" and entry.staff_count == 6
    kinds = sorted({r.rater_kind for r in db.session.scalars(select(AgencyRating))})
    assert kinds == ["expert", "supplier"]  # the purchaser (caigou1) is left to rate through the page
    assert entry.ratings >= 5 and 4 <= entry.rating <= 5


def test_the_ratings_seeder_runs_after_the_evaluation_demo(app):
    from core.demo import seed_order

    names = [name for name, _fn in seed_order()]
    assert names.index("agencies") < names.index("evaluation") < names.index("agency_ratings")
