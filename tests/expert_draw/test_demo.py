"""The demo seeders of the library and the draw run on the accounts demo and leave a verifiable draw."""

from core.db import db


def test_demo_seed_makes_a_verifiable_draw(app_ctx, clock, monkeypatch):
    from argon2 import PasswordHasher

    from accounts import service as accounts
    from core.demo import SEEDERS
    from expert_draw import service
    from expert_draw.models import DrawRequest, RequestStatus
    from expert_draw.verifier import verify_draw
    from registry.experts.models import Expert, ExpertStatus

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    context: dict = {"logins": []}
    seeders = dict(SEEDERS)  # in the app they run in FEATURES order; here imports may have reordered them
    for name in ("accounts", "registry", "expert_draw"):
        seeders[name](context)
    db.session.commit()
    statuses = [e.status for e in db.session.query(Expert)]
    assert len(statuses) == 42 and statuses.count(ExpertStatus.SUSPENDED) == 1
    assert db.session.query(Expert).filter(Expert.user_id.is_(None)).count() == 2  # imported, no account yet
    assert statuses.count(ExpertStatus.PENDING) == 2
    draw_id = context["demo_draw_id"]
    check = verify_draw(service.draw_events(draw_id), draw_id)
    assert check.primary == 5 and check.replacements == 1
    done = db.session.query(DrawRequest).order_by(DrawRequest.id).first()
    assert done.status == RequestStatus.COMPLETE
    rules = {e.rule for e in service.exclusions_of(done.draws[0])}
    assert {"relation_party", "agency_staff", "finance_staff", "not_active", "age_limit", "manual"} <= rules
