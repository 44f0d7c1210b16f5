"""Concurrent draws on one confirmation, each in its own session and transaction: the row lock queues them,
so the held total never passes the amount and the balance equals the arithmetic (PostgreSQL only: SQLite
has one writer at a time and no row locks to prove)."""

from __future__ import annotations

import os
import threading

import pytest

pytestmark = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="row locks are proved on PostgreSQL")

THREADS, AMOUNT, BUDGET = 12, 130, 1_000  # 7 draws fit, 5 are refused (12 threads: within the pool of 15)


class Lot:
    __tablename__ = "tender_lot"

    def __init__(self, id_: int) -> None:
        self.id = id_


def test_concurrent_draws_never_overspend(app, plan_world, make_confirmation):
    from sqlalchemy import func, select

    from accounts.models import User
    from core.db import db
    from core.errors import Conflict
    from plan.models import BudgetDraw, Confirmation
    from plan.service import draw_budget, get_confirmation

    confirmation_id, clerk_id = make_confirmation(BUDGET).id, plan_world.clerk.id
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def one(n: int) -> None:
        with app.app_context():
            actor = db.session.get(User, clerk_id)
            confirmation = get_confirmation(confirmation_id)  # read before the others draw: stale on purpose
            start.wait(30)
            try:
                draw_budget(confirmation, AMOUNT, subject=Lot(n), actor=actor)
                db.session.commit()
                outcomes.append("drawn")
            except Conflict as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    db.session.expire_all()
    held = db.session.scalar(select(func.sum(BudgetDraw.amount_fen))
                             .where(BudgetDraw.confirmation_id == confirmation_id))
    assert outcomes.count("drawn") == BUDGET // AMOUNT
    assert outcomes.count("confirmation_overdrawn") == THREADS - BUDGET // AMOUNT
    assert db.session.get(Confirmation, confirmation_id).drawn_fen == held == (BUDGET // AMOUNT) * AMOUNT
