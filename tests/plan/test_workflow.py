"""The approval chain: posts decide who acts, conditions skip steps, automatic rules pass or return with
their inputs recorded, a second review is never the first reviewer, a return comes back with its diff, the
last approval issues the confirmation; definitions are versioned and a plan keeps its version."""

from __future__ import annotations

import pytest
from plan_helpers import SEVEN_STEPS, plan_input


def _approve_all(world, plan):
    from core.db import db
    from plan.workflow import act_on_plan, current_step

    order = {"reviewer": {"unit": world.reviewer, "finance": world.guikou},
             "head": {"unit": world.head, "finance": world.caijian}}
    while (step := current_step(plan)) is not None:
        act_on_plan(order[step.step.post][step.step.actor_org], plan.id, "approve")
        db.session.commit()


def test_a_plan_passes_the_chain_and_gets_its_confirmation(plan_world, filed_plan):
    from sqlalchemy import select

    from audit.service import payloads_of
    from core.db import db
    from plan.models import Confirmation
    from plan.transitions import PlanStatus, StepStatus
    from plan.workflow import current_step

    plan = filed_plan()
    assert plan.status is PlanStatus.IN_REVIEW and current_step(plan).step.name == "单位审核（初审）"
    _approve_all(plan_world, plan)
    assert plan.status is PlanStatus.APPROVED
    statuses = [s.status for s in plan.steps]
    assert statuses == [StepStatus.APPROVED] * 6 + [StepStatus.SKIPPED]  # inquiry under the threshold: no step 7
    auto = [p for p in payloads_of("plan.auto_reviewed", plan)]
    assert [a["rule"] for a in auto] == ["no_split", "catalogue_allowed"] and all(a["passed"] for a in auto)
    assert auto[1]["inputs"] == {"codes": ["A02010104"], "prefixes": ["A", "C"]}
    confirmation = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id))
    assert confirmation.amount_fen == 60_000_000 and confirmation.source == "workflow"
    assert payloads_of("plan.approved", plan)[0]["sha256"] == confirmation.sha256


def test_another_method_above_the_threshold_needs_the_finance_step(plan_world, filed_plan):
    from plan.transitions import StepStatus

    plan = filed_plan(items=[{"catalogue_code": "A02010104", "name": "服务器", "quantity": 40,
                              "budget_fen": 450_000_000}], method="competitive_consultation")
    _approve_all(plan_world, plan)
    assert plan.steps[-1].status is StepStatus.APPROVED and plan.steps[-1].acted_by_id == plan_world.caijian.id


@pytest.mark.parametrize("who", ["clerk", "head", "guikou", "outsider"])
def test_only_the_steps_post_may_act(plan_world, filed_plan, who):
    from core.errors import Forbidden
    from plan.workflow import act_on_plan

    plan = filed_plan()
    with pytest.raises(Forbidden) as refused:
        act_on_plan(getattr(plan_world, who), plan.id, "approve")
    assert refused.value.code == "not_step_reviewer"


def test_the_second_review_is_not_the_first_reviewer(plan_world, filed_plan):
    from accounts import posts
    from core.db import db
    from core.errors import Forbidden
    from plan.workflow import act_on_plan, current_step

    posts.assign_post(plan_world.clerk, plan_world.unit.id, "head", plan_world.reviewer.id)  # holds both posts
    db.session.commit()
    plan = filed_plan()
    act_on_plan(plan_world.reviewer, plan.id, "approve")
    db.session.commit()
    with pytest.raises(Forbidden):
        act_on_plan(plan_world.reviewer, plan.id, "approve")
    db.session.rollback()
    act_on_plan(plan_world.head, plan.id, "approve")
    db.session.commit()
    assert current_step(plan).step.actor_org == "finance"


def test_return_with_reason_then_the_diff_on_resubmission(plan_world, filed_plan):
    from core.db import db
    from core.errors import ValidationError
    from plan.plans import update_plan
    from plan.transitions import PlanStatus
    from plan.workflow import act_on_plan, current_step, diff_for_reviewer, submit_plan

    plan = filed_plan()
    with pytest.raises(ValidationError):
        act_on_plan(plan_world.reviewer, plan.id, "return", "  ")
    db.session.rollback()
    act_on_plan(plan_world.reviewer, plan.id, "return", "数量偏多，请核减")
    db.session.commit()
    assert plan.status is PlanStatus.RETURNED
    update_plan(plan_world.clerk, plan.id, plan_input(intention_id=plan.intention_id, items=[
        {"catalogue_code": "A02010104", "name": "服务器", "quantity": 3, "unit": "台", "budget_fen": 45_000_000}]))
    submit_plan(plan_world.clerk, plan.id)
    db.session.commit()
    assert plan.revision == 2 and current_step(plan).round == 2
    assert diff_for_reviewer(plan) == [("budget_fen", 60_000_000, 45_000_000),
                                       ("items.1.budget_fen", 60_000_000, 45_000_000),
                                       ("items.1.quantity", 4, 3)]


def test_reject_is_final(plan_world, filed_plan):
    from core.db import db
    from core.errors import Conflict
    from plan.transitions import PlanStatus
    from plan.workflow import act_on_plan, submit_plan

    plan = filed_plan()
    act_on_plan(plan_world.reviewer, plan.id, "reject", "无预算")
    db.session.commit()
    assert plan.status is PlanStatus.REJECTED
    with pytest.raises(Conflict):
        submit_plan(plan_world.clerk, plan.id)


def test_an_automatic_rule_returns_the_plan_with_its_inputs(plan_world, filed_plan):
    from audit.service import payloads_of
    from plan.transitions import PlanStatus, StepStatus

    plan = filed_plan(items=[{"catalogue_code": "B01000000", "name": "操场改造", "quantity": 1,
                              "budget_fen": 30_000_000}])
    _approve_all(plan_world, plan)
    assert plan.status is PlanStatus.RETURNED
    step = next(s for s in plan.steps if s.status is StepStatus.RETURNED)
    assert step.auto_rule == "catalogue_allowed" and "B01000000" in step.reason
    stopped = payloads_of("plan.auto_reviewed", plan)[-1]
    assert stopped["passed"] is False and stopped["inputs"]["codes"] == ["B01000000"]


def test_a_split_purchase_is_blocked_at_submission(plan_world, filed_plan):
    from core.db import db
    from core.errors import ValidationError
    from plan.plans import create_plan
    from plan.workflow import submit_plan

    first = filed_plan(items=[{"catalogue_code": "A02010104", "name": "服务器", "quantity": 20,
                               "budget_fen": 350_000_000}])
    assert first.status.value == "in_review"
    second = create_plan(plan_world.clerk, plan_input(intention_id=first.intention_id, items=[
        {"catalogue_code": "A02010104", "name": "服务器", "quantity": 4, "budget_fen": 60_000_000}]))
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        submit_plan(plan_world.clerk, second.id)
    assert refused.value.code == "split_purchase_blocked"
    assert refused.value.details["checks"][0]["total_fen"] == 410_000_000


def test_a_plan_without_its_intention_cannot_be_submitted(plan_world, workflow_goods):
    from core.db import db
    from core.errors import ValidationError
    from plan.plans import create_plan
    from plan.workflow import submit_plan

    plan = create_plan(plan_world.clerk, plan_input())
    db.session.commit()
    with pytest.raises(ValidationError) as refused:
        submit_plan(plan_world.clerk, plan.id)
    assert refused.value.code == "plan_intention_missing"
    confidential = create_plan(plan_world.clerk, plan_input(confidential=True))
    submit_plan(plan_world.clerk, confidential.id)  # 涉密: no intention notice


def test_only_the_clerk_drafts(plan_world):
    from core.errors import Forbidden
    from plan.plans import create_plan

    for who in (plan_world.reviewer, plan_world.daili, plan_world.guikou):
        with pytest.raises(Forbidden):
            create_plan(who, plan_input())


def test_bad_input_names_each_field(plan_world):
    from core.errors import ValidationError
    from plan.plans import create_plan

    with pytest.raises(ValidationError) as refused:
        create_plan(plan_world.clerk, plan_input(fund_nature="私房钱", method="lottery", expected_month="2027-13",
                                                 items=[{"catalogue_code": "Z1", "quantity": 0, "budget_fen": -5}]))
    fields = refused.value.details["fields"]
    assert {"fund_nature", "method", "expected_month", "items.1.catalogue_code", "items.1.quantity",
            "items.1.budget_fen", "items.1.name"} <= set(fields)


def test_definitions_are_versioned_and_a_plan_keeps_its_version(plan_world, filed_plan):
    from core.db import db
    from core.errors import Forbidden
    from plan.transitions import StepStatus
    from plan.workflow import active_workflow, define_workflow

    plan = filed_plan()
    v1 = plan.workflow
    v2 = define_workflow(plan_world.guikou, plan_world.region, "goods", "精简流程", SEVEN_STEPS[:1])
    db.session.commit()
    assert (v1.version, v2.version, active_workflow(plan_world.region, "goods")) == (1, 2, v2)
    _approve_all(plan_world, plan)
    assert len(plan.steps) == 7 and plan.steps[4].status is StepStatus.APPROVED
    with pytest.raises(Forbidden):
        define_workflow(plan_world.clerk, plan_world.region, "goods", "x", SEVEN_STEPS)


def test_an_overdue_step_warns_the_reviewer_then_the_supervisor(app, plan_world, filed_plan, clock):
    from datetime import timedelta

    from audit.service import payloads_of
    from core import chronograph
    from plan.workflow import current_step

    plan = filed_plan()
    step = current_step(plan)
    sweep = "plan-sweep"
    assert chronograph.run_sweep(sweep) == {"warned": [], "escalated": []}
    clock.set(step.due_at + timedelta(seconds=1))
    assert chronograph.run_sweep(sweep) == {"warned": [step.id], "escalated": []}
    assert chronograph.run_sweep(sweep) == {"warned": [], "escalated": []}  # once
    clock.set(step.escalate_at + timedelta(seconds=1))
    assert chronograph.run_sweep(sweep) == {"warned": [], "escalated": [step.id]}
    assert [p["step"] for p in payloads_of("plan.step_escalated", plan)] == ["单位审核（初审）"]


def test_withdrawal_after_approval_only_while_nothing_is_drawn(plan_world, filed_plan):
    from sqlalchemy import select

    from core.db import db
    from core.errors import Conflict
    from plan.models import Confirmation
    from plan.service import draw_budget
    from plan.workflow import withdraw_plan

    plan = filed_plan()
    _approve_all(plan_world, plan)
    confirmation = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id))

    class Order:
        __tablename__ = "mall_order"
        id = 1

    draw_budget(confirmation, 100, subject=Order(), actor=plan_world.clerk)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        withdraw_plan(plan_world.clerk, plan.id, "需求变化")
    assert refused.value.code == "plan_confirmation_in_use"


def test_a_withdrawn_plans_confirmation_cannot_be_drawn(plan_world, filed_plan):
    from sqlalchemy import select

    from core.db import db
    from core.errors import Conflict
    from plan.models import Confirmation
    from plan.service import draw_budget, usable_confirmations
    from plan.workflow import withdraw_plan

    plan = filed_plan()
    _approve_all(plan_world, plan)
    confirmation = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id))
    assert usable_confirmations(plan_world.unit.id) == [confirmation]
    withdraw_plan(plan_world.clerk, plan.id, "需求变化，重新填报")
    db.session.commit()
    assert usable_confirmations(plan_world.unit.id) == []

    class Order:
        __tablename__ = "mall_order"
        id = 2

    with pytest.raises(Conflict) as refused:
        draw_budget(confirmation, 100, subject=Order(), actor=plan_world.clerk)
    assert refused.value.code == "confirmation_withdrawn"
