"""The budget API: draws under the confirmation's lock never overspend, releases give back once, the
confirmation's hash is in the audit log, and only its own unit (or an agency of the region) may draw."""

from __future__ import annotations

from datetime import date

import pytest


class Subject:
    """A stand-in subject with an id and a kind, as a mall order is to this package (any object drawing)."""

    __tablename__ = "mall_order"

    def __init__(self, id_: int) -> None:
        self.id = id_


def test_draw_takes_money_and_audits(plan_world, make_confirmation):
    from audit.service import payloads_of
    from core.db import db
    from plan.service import draw_budget, draws_of_subject, remaining_fen

    confirmation = make_confirmation(1_000_000)
    draw = draw_budget(confirmation, 400_000, subject=Subject(7), actor=plan_world.clerk)
    db.session.commit()
    assert remaining_fen(confirmation) == 600_000
    assert (draw.subject_kind, draw.subject_id, draw.status.value) == ("mall_order", 7, "held")
    assert draws_of_subject("mall_order", 7) == [draw]
    [event] = payloads_of("plan.budget_drawn", confirmation)
    assert event["amount_fen"] == 400_000 and event["remaining_fen"] == 600_000
    assert event["subject"] == ["mall_order", 7]


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "100"])
def test_a_bad_amount_is_refused(plan_world, make_confirmation, amount):
    from core.errors import ValidationError
    from plan.service import draw_budget

    confirmation = make_confirmation()
    with pytest.raises(ValidationError) as refused:
        draw_budget(confirmation, amount, subject=Subject(1), actor=plan_world.clerk)
    assert refused.value.code == "draw_amount_invalid"


def test_overdrawing_is_refused_and_changes_nothing(plan_world, make_confirmation):
    from core.db import db
    from core.errors import Conflict
    from plan.models import BudgetDraw
    from plan.service import draw_budget, remaining_fen

    confirmation = make_confirmation(1_000)
    draw_budget(confirmation, 999, subject=Subject(1), actor=plan_world.clerk)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        draw_budget(confirmation, 2, subject=Subject(2), actor=plan_world.clerk)
    db.session.rollback()
    assert refused.value.code == "confirmation_overdrawn"
    assert refused.value.details == {"remaining_fen": 1, "amount_fen": 2, "number": confirmation.number}
    assert remaining_fen(db.session.get(type(confirmation), confirmation.id)) == 1
    assert db.session.query(BudgetDraw).count() == 1
    draw_budget(confirmation, 1, subject=Subject(3), actor=plan_world.clerk)  # exactly what is left
    db.session.commit()
    assert remaining_fen(confirmation) == 0


def test_the_database_refuses_a_negative_remainder_even_past_the_service(plan_world, make_confirmation):
    from sqlalchemy.exc import IntegrityError

    from core.db import db

    confirmation = make_confirmation(1_000)
    confirmation.drawn_fen = 1_001
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize("who, allowed", [("clerk", True), ("reviewer", True), ("daili", True),
                                          ("outsider", False), ("guikou", False), ("admin", False)])
def test_who_may_draw(plan_world, make_confirmation, who, allowed):
    from core.errors import Forbidden
    from plan.service import can_use, draw_budget

    confirmation = make_confirmation()
    actor = getattr(plan_world, who)
    assert can_use(actor, confirmation) is allowed
    if not allowed:
        with pytest.raises(Forbidden) as refused:
            draw_budget(confirmation, 10, subject=Subject(1), actor=actor)
        assert refused.value.code == "confirmation_not_usable"


def test_a_department_of_the_unit_may_draw(plan_world, make_confirmation):
    from conftest import password_hash

    from accounts import orgs
    from accounts.models import Role
    from accounts.service import create_user
    from core.db import db
    from plan.service import can_use

    department = orgs.open_department(plan_world.guikou, plan_world.unit.id, "计划财务科")
    staff = create_user("kezhang", "科长", None, [Role.PURCHASER], plan_world.region, org=department,
                        password_hash=password_hash())
    db.session.commit()
    assert can_use(staff, make_confirmation()) is True


def test_release_gives_back_once(plan_world, make_confirmation):
    from audit.service import payloads_of
    from core.db import db
    from plan.service import draw_budget, release_budget, release_subject, remaining_fen

    confirmation = make_confirmation(1_000)
    draw = draw_budget(confirmation, 600, subject=Subject(5), actor=plan_world.clerk)
    db.session.commit()
    release_budget(draw, reason="订单取消")
    db.session.commit()
    assert remaining_fen(confirmation) == 1_000 and draw.status.value == "released"
    release_budget(draw, reason="再次释放")  # a no-op: nothing given back twice, no second event
    assert release_subject("mall_order", 5, "标项废标") == 0
    db.session.commit()
    assert remaining_fen(confirmation) == 1_000
    assert [p["reason"] for p in payloads_of("plan.budget_released", confirmation)] == ["订单取消"]


def test_release_needs_a_reason(plan_world, make_confirmation):
    from core.errors import ValidationError
    from plan.service import draw_budget, release_budget

    draw = draw_budget(make_confirmation(), 10, subject=Subject(5), actor=plan_world.clerk)
    with pytest.raises(ValidationError):
        release_budget(draw, reason="  ")


def test_usable_confirmations_are_the_units_own_with_money_left(plan_world, make_confirmation, clock):
    from core.db import db
    from plan.service import draw_budget, usable_confirmations

    full = make_confirmation(500)
    spent = make_confirmation(100)
    expired = make_confirmation(100, valid_until=date(2026, 11, 1))
    make_confirmation(100, org=plan_world.other_unit)
    draw_budget(spent, 100, subject=Subject(1), actor=plan_world.clerk)
    db.session.commit()
    assert usable_confirmations(plan_world.unit.id) == [full]
    assert expired not in usable_confirmations(plan_world.unit.id)


def test_an_expired_confirmation_cannot_be_drawn(plan_world, make_confirmation):
    from core.errors import Conflict
    from plan.service import draw_budget

    confirmation = make_confirmation(100, valid_until=date(2026, 11, 26))
    with pytest.raises(Conflict) as refused:
        draw_budget(confirmation, 10, subject=Subject(1), actor=plan_world.clerk)
    assert refused.value.code == "confirmation_expired"


def test_the_confirmation_is_numbered_and_its_hash_audited(plan_world, make_confirmation):
    from audit.service import payloads_of
    from core.db import db
    from plan.confirmations import is_intact, snapshot_hash

    first, second = make_confirmation(100), make_confirmation(200)
    assert first.number == "QR-330329-2026-00001" and second.number == "QR-330329-2026-00002"
    [event] = payloads_of("plan.confirmation_issued", first)
    assert event["sha256"] == first.sha256 == snapshot_hash(first.snapshot)
    assert is_intact(first)
    first.snapshot = {**first.snapshot, "amount_fen": 1}
    db.session.flush()
    assert not is_intact(first)
    db.session.rollback()


def test_a_subject_without_an_id_cannot_draw(plan_world, make_confirmation):
    from core.errors import ValidationError
    from plan.service import draw_budget

    with pytest.raises(ValidationError) as refused:
        draw_budget(make_confirmation(), 10, subject=Subject(None), actor=plan_world.clerk)
    assert refused.value.code == "draw_subject_invalid"
