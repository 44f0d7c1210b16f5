"""The split-purchase check (化整为零): a unit's yearly total for one catalogue item against the threshold in
force that day, warning near it and blocking above it; next year's threshold set ahead applies next year."""

from __future__ import annotations

from datetime import date

import pytest

YUAN = 100


def _plan(world, code: str, amount: int, *, month: str = "2026-12", method: str = "inquiry", status: str = "approved"):
    from core import clock
    from core.db import db
    from plan.models import Plan, PlanItem
    from plan.transitions import PlanStatus

    plan = Plan(number=f"T-{code}-{amount}-{month}-{status}", region_code=world.region, org_id=world.unit.id,
                title="x", plan_type="goods", budget_project_code="2026-001", budget_fen=amount,
                fund_nature="一般公共预算",
                org_form="decentralised", method=method, expected_month=month, status=PlanStatus(status),
                created_by_id=world.clerk.id, created_at=clock.now())
    plan.items.append(PlanItem(position=1, catalogue_code=code, name="x", quantity=1, budget_fen=amount))
    db.session.add(plan)
    db.session.commit()
    return plan


def test_ok_warn_block_against_the_public_tender_threshold(plan_world):
    from plan.service import SplitLevel, check_split_purchase

    threshold = 4_000_000 * YUAN  # national default, goods
    _plan(plan_world, "A02010104", 3_000_000 * YUAN)
    ok = check_split_purchase(plan_world.unit.id, "A02010104", 100_000 * YUAN, on_day=date(2026, 12, 1))
    assert ok.level is SplitLevel.OK and ok.before_fen == 3_000_000 * YUAN and ok.threshold_fen == threshold
    warn = check_split_purchase(plan_world.unit.id, "A02010104", 300_000 * YUAN, on_day=date(2026, 12, 1))
    assert warn.level is SplitLevel.WARN and warn.warn_fen == threshold * 80 // 100 and warn.ok
    block = check_split_purchase(plan_world.unit.id, "A02010104", 1_000_001 * YUAN, on_day=date(2026, 12, 1))
    assert block.level is SplitLevel.BLOCK and not block.ok and block.total_fen == 4_000_001 * YUAN
    assert "化整为零" in block.message() and block.rule_key == "plan.public_tender_threshold_fen.goods"


def test_only_the_same_unit_item_year_and_non_tender_plans_count(plan_world):
    from plan.service import check_split_purchase

    _plan(plan_world, "A02010104", 1_000 * YUAN)
    _plan(plan_world, "A02010105", 2_000 * YUAN)  # another item
    _plan(plan_world, "A02010104", 4_000 * YUAN, month="2027-01")  # next year
    _plan(plan_world, "A02010104", 8_000 * YUAN, method="public_tender")  # tendered: no split
    _plan(plan_world, "A02010104", 16_000 * YUAN, status="draft")  # not filed
    got = check_split_purchase(plan_world.unit.id, "A02010104", 0, on_day=date(2026, 6, 1))
    assert got.before_fen == 1_000 * YUAN and got.year == 2026
    assert check_split_purchase(plan_world.other_unit.id, "A02010104", 0, on_day=date(2026, 6, 1)).before_fen == 0


def test_a_registered_source_adds_to_the_total(plan_world):
    from plan import thresholds
    from plan.service import check_split_purchase, split_source

    def mall_orders(org_id, code, year):
        return 500 * YUAN if (org_id, code, year) == (plan_world.unit.id, "A02010104", 2026) else 0

    split_source(mall_orders)
    split_source(mall_orders)  # registered once
    try:
        assert thresholds.SPLIT_SOURCES.count(mall_orders) == 1
        got = check_split_purchase(plan_world.unit.id, "A02010104", 0, on_day=date(2026, 6, 1))
        assert got.before_fen == 500 * YUAN
    finally:
        thresholds.SPLIT_SOURCES.remove(mall_orders)


def test_next_years_threshold_applies_from_its_effective_date(plan_world):
    from core.db import db
    from plan.service import SplitLevel, check_split_purchase, public_tender_threshold
    from region_rules import store

    store.set_values(plan_world.caijian, plan_world.region,
                     {"plan.public_tender_threshold_fen.goods": 2_000_000 * YUAN}, effective_on=date(2027, 1, 1))
    db.session.commit()
    assert public_tender_threshold(plan_world.region, "goods", date(2026, 12, 31)) == 4_000_000 * YUAN
    assert public_tender_threshold(plan_world.region, "goods", date(2027, 1, 1)) == 2_000_000 * YUAN
    _plan(plan_world, "A02010104", 1_500_000 * YUAN, month="2026-06")
    _plan(plan_world, "A02010104", 1_500_000 * YUAN, month="2027-01")
    this_year = check_split_purchase(plan_world.unit.id, "A02010104", 1_800_000 * YUAN, on_day=date(2026, 12, 31))
    next_year = check_split_purchase(plan_world.unit.id, "A02010104", 1_800_000 * YUAN, on_day=date(2027, 1, 5))
    assert this_year.level is SplitLevel.WARN and next_year.level is SplitLevel.BLOCK


def test_one_purchase_above_the_threshold_alone_is_no_split(plan_world):
    from plan.service import SplitLevel, check_split_purchase

    _plan(plan_world, "A02010104", 100_000 * YUAN)
    got = check_split_purchase(plan_world.unit.id, "A02010104", 4_500_000 * YUAN, on_day=date(2026, 12, 1))
    assert got.level is SplitLevel.OK and got.total_fen == 4_600_000 * YUAN


def test_works_and_services_read_their_own_threshold(plan_world):
    from plan.service import check_split_purchase

    assert check_split_purchase(plan_world.unit.id, "B01000000", 0, on_day=date(2026, 6, 1)).category == "works"
    assert check_split_purchase(plan_world.unit.id, "C02000000", 0, on_day=date(2026, 6, 1)).rule_key.endswith(
        ".services")


@pytest.mark.parametrize("amount", [-1, True, "5"])
def test_a_bad_amount_is_refused(plan_world, amount):
    from core.errors import ValidationError
    from plan.service import check_split_purchase

    with pytest.raises(ValidationError):
        check_split_purchase(plan_world.unit.id, "A02010104", amount, on_day=date(2026, 6, 1))
