"""The approval workflow: definitions as data (per region and plan type, versioned), each plan's pass
along the chain, the reviewers' decisions and the automatic rules (系统自动审核).

A definition is a list of steps: who acts (`unit`, the plan's own unit; `finance`, the region's finance
bureau; `org:<id>`, a named organisation such as the 主管单位) and with which post there (checked with
`accounts.posts.has_post`), a condition over the plan's facts (every clause must hold, else the step is
skipped), first or second review (the second reviewer of an organisation is never the first one), or an
automatic rule that passes the step or returns the plan, recorded with the rule and its inputs. Saving a
definition makes a new version; a plan keeps the version it was first submitted under.

Submitting opens round r of the plan's steps; `advance` skips, decides automatically or opens the next
step (its due time from the region's working days); a person approves, returns with a reason (the plan
goes back to the clerk; on resubmission the reviewer sees the field-level diff against the revision they
saw) or rejects. When the last step passes, the plan is approved and its confirmation issued.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from accounts import posts
from accounts.models import Org, User
from accounts.orgs import is_finance
from accounts.service import finance_orgs
from audit.service import record
from core import clock, workdays
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from plan import plans, rules, thresholds
from plan.confirmations import issue_confirmation
from plan.models import Confirmation, Plan, PlanStep, Workflow, WorkflowStep
from plan.transitions import PlanStatus, StepStatus, move

DECISIONS = ("approve", "return", "reject")
STAGES = ("", "first", "second")
OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a is not None and a >= b, "<": lambda a, b: a is not None and a < b,
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "in": lambda a, b: a in b,
}
MAX_STEPS = 20


# ---------------------------------------------------------------- facts and automatic rules

def facts(plan: Plan) -> dict[str, Any]:
    """What conditions and automatic rules read of a plan (the thresholds in force for its month)."""
    from region_rules import store

    category = plan.plan_type if plan.plan_type in rules.CATEGORIES else "goods"
    in_force = store.snapshot(plan.region_code, rules.at_day(_month_day(plan)))  # one read for both thresholds
    threshold = int(in_force[rules.PUBLIC_TENDER_THRESHOLD.format(category=category)])
    limit = int(in_force[rules.DECENTRALISED_LIMIT.format(category=category)])
    return {"budget_fen": plan.budget_fen, "method": plan.method, "plan_type": plan.plan_type,
            "org_form": plan.org_form, "fund_nature": plan.fund_nature, "imported": plan.imported,
            "gov_service": plan.gov_service, "confidential": plan.confidential, "sme_set_aside": plan.sme_set_aside,
            "public_tender_threshold_fen": threshold, "decentralised_limit_fen": limit,
            "above_public_tender_threshold": plan.budget_fen >= threshold,
            "other_method_above_threshold": plan.budget_fen >= threshold and plan.method != "public_tender",
            "above_decentralised_limit": plan.budget_fen >= limit}


def _month_day(plan: Plan):
    from datetime import date

    year, month = (int(x) for x in plan.expected_month.split("-"))
    return date(year, month, 1)


@dataclass(frozen=True)
class AutoResult:
    passed: bool
    inputs: dict[str, Any]
    reason: str = ""


def _budget_under(plan: Plan, params: dict) -> AutoResult:
    limit = int(params.get("limit_fen") or 0)
    ok = plan.budget_fen < limit
    return AutoResult(ok, {"budget_fen": plan.budget_fen, "limit_fen": limit},
                      "" if ok else f"预算 {plan.budget_fen} 分不低于自动审核限额 {limit} 分，请人工审核。")


def _catalogue_allowed(plan: Plan, params: dict) -> AutoResult:
    prefixes = [str(p).upper() for p in params.get("prefixes") or []]
    codes = [i.catalogue_code for i in plan.items]
    refused = [c for c in codes if not any(c.startswith(p) for p in prefixes)]
    return AutoResult(not refused, {"codes": codes, "prefixes": prefixes},
                      f"品目 {'、'.join(refused)} 不在本单位可采购的目录范围内。" if refused else "")


def _no_split(plan: Plan, params: dict) -> AutoResult:
    if plan.method == "public_tender":
        return AutoResult(True, {"method": plan.method})
    on_day = _month_day(plan)
    checks = [thresholds.check_split_purchase(plan.org_id, item.catalogue_code, item.budget_fen, on_day=on_day,
                                              exclude_plan_id=plan.id) for item in plan.items]
    blocked = [c for c in checks if c.level is thresholds.SplitLevel.BLOCK]
    return AutoResult(not blocked, {"checks": [c.as_dict() for c in checks]}, blocked[0].message() if blocked else "")


def _method_within_threshold(plan: Plan, params: dict) -> AutoResult:
    f = facts(plan)
    ok = not f["other_method_above_threshold"]
    return AutoResult(ok, {k: f[k] for k in ("budget_fen", "method", "public_tender_threshold_fen")},
                      "" if ok else "预算达到公开招标数额标准而采用其他采购方式，须经财政部门批准。")


AUTO_RULES: dict[str, tuple[str, Callable[[Plan, dict], AutoResult]]] = {
    "budget_under": ("预算低于限额", _budget_under),
    "catalogue_allowed": ("品目在可采购目录内", _catalogue_allowed),
    "no_split": ("无化整为零", _no_split),
    "method_within_threshold": ("采购方式符合公开招标数额标准", _method_within_threshold),
}


def holds(condition: list[dict[str, Any]], plan_facts: dict[str, Any]) -> bool:
    return all(OPS[c["op"]](plan_facts.get(c["fact"]), c["value"]) for c in condition)


# ---------------------------------------------------------------- definitions

def _check_step(n: int, raw: Any) -> dict[str, Any]:
    step = raw if isinstance(raw, dict) else {}
    where = f"第 {n} 步"
    name = str(step.get("name") or "").strip()
    actor = str(step.get("actor_org") or "")
    post = str(step.get("post") or "").strip()
    auto = str(step.get("auto_rule") or "")
    stage = str(step.get("stage") or "")
    if not 1 <= len(name) <= 60:
        raise ValidationError(f"{where}：请填写环节名称。", code="workflow_invalid")
    if auto and auto not in AUTO_RULES:
        raise ValidationError(f"{where}：自动审核规则无效。", code="workflow_invalid")
    if not auto:
        org_ok = actor in ("unit", "finance") or (actor.startswith("org:") and actor[4:].isdigit()
                                                  and db.session.get(Org, int(actor[4:])) is not None)
        if not org_ok or not 1 <= len(post) <= 40:
            raise ValidationError(f"{where}：请指定办理单位和岗位。", code="workflow_invalid")
    if stage not in STAGES:
        raise ValidationError(f"{where}：初审 / 复审设置无效。", code="workflow_invalid")
    condition = step.get("condition") or []
    if not isinstance(condition, list) or any(
            not isinstance(c, dict) or c.get("op") not in OPS or not isinstance(c.get("fact"), str) for c in condition):
        raise ValidationError(f"{where}：适用条件无效。", code="workflow_invalid")
    due = step.get("due_workdays") or 0
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 30:
        raise ValidationError(f"{where}：办理期限须为 0–30 个工作日。", code="workflow_invalid")
    params = step.get("auto_params") or {}
    if not isinstance(params, dict):
        raise ValidationError(f"{where}：自动审核参数无效。", code="workflow_invalid")
    return {"name": name, "actor_org": actor if not auto else (actor or "unit"), "post": post, "stage": stage,
            "condition": [{"fact": c["fact"], "op": c["op"], "value": c.get("value")} for c in condition],
            "auto_rule": auto, "auto_params": params, "due_workdays": due}


def define_workflow(user: User | None, region_code: str, plan_type: str, name: str, steps: list[Any]) -> Workflow:
    """Finance saves a new version of its region's chain for a plan type (the previous one stays for the plans
    started under it). `user` None: the platform (the demo, a migration of data)."""
    if user is not None and not is_finance(user, region_code):
        raise Forbidden("只有本地区财政部门可以配置审批流程。", code="not_finance")
    if plan_type not in rules.CATEGORIES:
        raise ValidationError("采购类型无效。", code="workflow_invalid")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise ValidationError(f"审批流程须有 1–{MAX_STEPS} 个环节。", code="workflow_invalid")
    checked = [_check_step(n, s) for n, s in enumerate(steps, start=1)]
    latest = db.session.scalar(select(func.max(Workflow.version)).where(
        Workflow.region_code == region_code, Workflow.plan_type == plan_type)) or 0
    for old in db.session.scalars(select(Workflow).where(Workflow.region_code == region_code,
                                                         Workflow.plan_type == plan_type, Workflow.active.is_(True))):
        old.active = False
    flow = Workflow(region_code=region_code, plan_type=plan_type, version=latest + 1,
                    name=(name or "").strip()[:120] or "采购计划审批", active=True,
                    created_by_id=user.id if user else None, created_at=clock.now())
    flow.steps = [WorkflowStep(position=n, **s) for n, s in enumerate(checked, start=1)]
    db.session.add(flow)
    db.session.flush()
    record("plan.workflow_defined", flow, {"region": region_code, "plan_type": plan_type, "version": flow.version,
                                           "steps": checked})
    return flow


def active_workflow(region_code: str, plan_type: str) -> Workflow | None:
    """The version new plans start under: the region's own, else its city's or province's."""
    from region_rules.store import lineage

    for code in lineage(region_code):
        if code is None:
            break
        flow = db.session.scalar(select(Workflow).where(Workflow.region_code == code, Workflow.plan_type == plan_type,
                                                        Workflow.active.is_(True)))
        if flow is not None:
            return flow
    return None


def workflows_of(region_code: str) -> list[Workflow]:
    return list(db.session.scalars(select(Workflow).where(Workflow.region_code == region_code)
                                   .order_by(Workflow.plan_type, Workflow.version.desc())))


# ---------------------------------------------------------------- the chain

def resolve_org(plan: Plan, actor_org: str) -> int | None:
    if actor_org == "unit":
        return plan.org_id
    if actor_org == "finance":
        found = finance_orgs(plan.region_code)
        return found[0] if found else None
    if actor_org.startswith("org:"):
        return int(actor_org[4:])
    return None


def submit_plan(user: User, plan_id: int) -> Plan:
    """The unit submits (or resubmits) its plan: the intention and split-purchase checks, a frozen revision,
    round r of the workflow's steps (the version of the first submission), then the chain runs."""
    plan = plans.get_plan(plan_id, lock=True)
    if plans.require_clerk(user) != plan.org_id:
        raise Forbidden("只能提交本单位的采购计划。", code="not_plan_clerk")
    if plan.status not in plans.EDITABLE:
        raise Conflict("该计划已在审批中或已办结。", code="plan_not_editable")
    _check_intention(plan)
    _check_split(plan)
    flow = plan.workflow or active_workflow(plan.region_code, plan.plan_type)
    if flow is None:
        raise Conflict("本地区尚未配置该采购类型的审批流程，请联系财政部门。", code="workflow_missing")
    now = clock.now()
    plan.workflow_id = flow.id
    revision = plans.add_revision(plan, user)
    round_ = 1 + max((s.round for s in plan.steps), default=0)
    for step in flow.steps:
        plan.steps.append(PlanStep(step_id=step.id, round=round_, position=step.position, status=StepStatus.WAITING,
                                   auto_rule=step.auto_rule))
    move(plan, PlanStatus.IN_REVIEW, payload={"revision": revision.revision, "round": round_})
    plan.submitted_at = now
    plan.rules_version = _rules_version(plan.region_code, now)
    db.session.flush()
    record("plan.submitted", plan, {"number": plan.number, "revision": revision.revision, "sha256": revision.sha256,
                                    "workflow": flow.id, "version": flow.version, "round": round_})
    advance(plan)
    return plan


def _rules_version(region_code: str, at: datetime) -> int:
    from region_rules.store import version

    return version(region_code, at)


def _check_intention(plan: Plan) -> None:
    if plan.confidential or not rules.rule(plan.region_code, "plan.intention_required"):
        return
    if plan.intention is None:
        raise ValidationError("请先公开采购意向并在计划中选择它（涉密项目除外）。", code="plan_intention_missing",
                              details={"fields": {"intention_id": "请选择已公开的采购意向。"}})
    if plan.intention.status.value != "published":
        raise ValidationError("所选采购意向尚未公开。", code="plan_intention_missing",
                              details={"fields": {"intention_id": "所选采购意向尚未公开。"}})


def _check_split(plan: Plan) -> None:
    result = _no_split(plan, {})
    if not result.passed:
        raise ValidationError(result.reason, code="split_purchase_blocked", details=result.inputs)


def current_step(plan: Plan) -> PlanStep | None:
    return next((s for s in plan.steps if s.status is StepStatus.ACTIVE), None)


def _round_steps(plan: Plan) -> list[PlanStep]:
    last = max((s.round for s in plan.steps), default=0)
    return [s for s in plan.steps if s.round == last]


def advance(plan: Plan) -> PlanStep | None:
    """Move the plan on from its current round's waiting steps: skip those whose condition fails, decide the
    automatic ones, open the first one a person must act on; approve the plan when none is left."""
    plan_facts = facts(plan)
    now = clock.now()
    for step in _round_steps(plan):
        if step.status is not StepStatus.WAITING:
            continue
        spec = step.step
        if not holds(spec.condition, plan_facts):
            move(step, StepStatus.SKIPPED, actor="system:plan-workflow",
                 payload={"plan": plan.id, "condition": spec.condition})
            continue
        move(step, StepStatus.ACTIVE, actor="system:plan-workflow", payload={"plan": plan.id})
        step.opened_at, step.seen_revision = now, plan.revision
        if spec.auto_rule:
            _decide_automatically(plan, step, spec)
            if step.status is StepStatus.APPROVED:
                continue
            return None  # returned by rule
        step.actor_org_id = resolve_org(plan, spec.actor_org)
        from region_rules import store

        now_rules = store.snapshot(plan.region_code, now)
        days = spec.due_workdays or int(now_rules["plan.step_due_workdays"])
        later = int(now_rules["plan.step_escalate_workdays"])
        today = clock.to_local(now).date()
        calendar = workdays.get_calendar()
        step.due_at = clock.end_of_local_day(calendar.add_workdays(today, days))
        step.escalate_at = clock.end_of_local_day(calendar.add_workdays(today, days + later))
        db.session.flush()
        _notify(step, "待审批", f"采购计划 {plan.number}《{plan.title}》待您审批（{spec.name}）。")
        return step
    _approve_plan(plan)
    return None


def _decide_automatically(plan: Plan, step: PlanStep, spec: WorkflowStep) -> None:
    label, rule = AUTO_RULES[spec.auto_rule]
    result = rule(plan, spec.auto_params or {})
    step.auto_inputs = {"rule": spec.auto_rule, "params": spec.auto_params or {}, "inputs": result.inputs,
                        "passed": result.passed}
    step.acted_at = clock.now()
    record("plan.auto_reviewed", plan, {"step": spec.name, "rule": spec.auto_rule, "label": label,
                                        "params": spec.auto_params or {}, "inputs": result.inputs,
                                        "passed": result.passed, "reason": result.reason},
           actor="system:plan-workflow")
    if result.passed:
        move(step, StepStatus.APPROVED, actor="system:plan-workflow", payload={"plan": plan.id, "rule": spec.auto_rule})
        return
    step.reason = result.reason
    move(step, StepStatus.RETURNED, actor="system:plan-workflow", payload={"plan": plan.id, "rule": spec.auto_rule})
    _close_round(plan)
    move(plan, PlanStatus.RETURNED, actor="system:plan-workflow", payload={"reason": result.reason})
    _notify_clerk(plan, f"采购计划 {plan.number} 未通过系统自动审核：{result.reason}")


def _close_round(plan: Plan) -> None:
    for step in _round_steps(plan):
        if step.status in (StepStatus.WAITING, StepStatus.ACTIVE):
            move(step, StepStatus.VOID, actor="system:plan-workflow", payload={"plan": plan.id})


def _approve_plan(plan: Plan) -> Confirmation:
    move(plan, PlanStatus.APPROVED, actor="system:plan-workflow")
    plan.decided_at = clock.now()
    db.session.flush()
    snapshot = {"plan": plan.number, "revision": plan.revision, "title": plan.title, "fields": plans.plan_fields(plan),
                "workflow": {"id": plan.workflow_id, "version": plan.workflow.version if plan.workflow else None},
                "steps": [{"name": s.step.name, "status": s.status.value, "by": s.acted_by_id, "rule": s.auto_rule,
                           "at": s.acted_at.isoformat() if s.acted_at else None} for s in _round_steps(plan)],
                "rules_version": plan.rules_version}
    confirmation = issue_confirmation(org=plan.org, title=plan.title, catalogue_code=plan.items[0].catalogue_code,
                                      method=plan.method, plan_type=plan.plan_type, amount_fen=plan.budget_fen,
                                      snapshot=snapshot, source="workflow", plan_id=plan.id)
    record("plan.approved", plan, {"number": plan.number, "confirmation": confirmation.number,
                                   "sha256": confirmation.sha256}, actor="system:plan-workflow")
    _notify_clerk(plan, f"采购计划 {plan.number} 已审批通过，确认书 {confirmation.number}。")
    return confirmation


def can_act(user: User | None, step: PlanStep) -> bool:
    """The holder of the step's post at its organisation (and, for a second review, not its first reviewer)."""
    if step.status is not StepStatus.ACTIVE or step.actor_org_id is None or step.step.auto_rule:
        return False
    if not posts.has_post(user, step.actor_org_id, step.step.post):
        return False
    if step.step.stage == "second":
        first = [s for s in step.plan.steps if s.round == step.round and s.position < step.position
                 and s.step.stage == "first" and s.actor_org_id == step.actor_org_id]
        if first and first[-1].acted_by_id == user.id:
            return False
    return True


def act_on_plan(user: User, plan_id: int, decision: str, reason: str = "") -> Plan:
    """A reviewer approves, returns (with a reason) or rejects (with a reason) the plan's current step."""
    if decision not in DECISIONS:
        raise ValidationError("审批意见无效。", code="decision_invalid")
    plan = plans.get_plan(plan_id, lock=True)
    if plan.status is not PlanStatus.IN_REVIEW:
        raise Conflict("该计划不在审批中。", code="plan_not_in_review")
    step = current_step(plan)
    if step is None or not can_act(user, step):
        raise Forbidden("您不是当前环节的审批人。", code="not_step_reviewer")
    reason = (reason or "").strip()
    if decision != "approve" and not reason:
        raise ValidationError("退回或不予批准时请填写理由。", code="reason_missing")
    step.acted_by_id, step.acted_at, step.reason = user.id, clock.now(), reason[:2000]
    step.seen_revision = plan.revision
    payload = {"plan": plan.id, "step": step.step.name, "revision": plan.revision}
    if decision == "approve":
        move(step, StepStatus.APPROVED, payload=payload)
        record("plan.step_approved", plan, payload)
        advance(plan)
    elif decision == "return":
        move(step, StepStatus.RETURNED, payload={**payload, "reason": reason})
        _close_round(plan)
        move(plan, PlanStatus.RETURNED, payload={"reason": reason})
        record("plan.returned", plan, {**payload, "reason": reason})
        _notify_clerk(plan, f"采购计划 {plan.number} 被退回（{step.step.name}）：{reason}")
    else:
        move(step, StepStatus.REJECTED, payload={**payload, "reason": reason})
        _close_round(plan)
        move(plan, PlanStatus.REJECTED, payload={"reason": reason})
        plan.decided_at = clock.now()
        record("plan.rejected", plan, {**payload, "reason": reason})
        _notify_clerk(plan, f"采购计划 {plan.number} 不予批准（{step.step.name}）：{reason}")
    db.session.flush()
    return plan


def withdraw_plan(user: User, plan_id: int, reason: str) -> Plan:
    """The unit withdraws its plan; an approved one only while nothing was drawn on its confirmation (a
    substantive change after approval means withdrawing and filing again)."""
    plan = plans.get_plan(plan_id, lock=True)
    if plans.require_clerk(user) != plan.org_id:
        raise Forbidden("只能撤回本单位的采购计划。", code="not_plan_clerk")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写撤回原因。", code="reason_missing")
    if plan.status is PlanStatus.APPROVED:
        confirmation = db.session.scalar(select(Confirmation).where(Confirmation.plan_id == plan.id)
                                         .with_for_update())
        if confirmation is not None and confirmation.drawn_fen > 0:
            raise Conflict("确认书已被项目或订单使用，不能撤回计划。", code="plan_confirmation_in_use")
    _close_round(plan)
    move(plan, PlanStatus.WITHDRAWN, payload={"reason": reason[:200]})
    plan.decided_at = clock.now()
    record("plan.withdrawn", plan, {"reason": reason[:200]})
    return plan


def diff_for_reviewer(plan: Plan) -> list[tuple[str, Any, Any]]:
    """What changed since the revision the last returning reviewer saw (empty on a first submission)."""
    returned = [s for s in plan.steps if s.status is StepStatus.RETURNED and s.acted_by_id is not None]
    if not returned or plan.revision <= 1:
        return []
    seen = plans.revision_of(plan, returned[-1].seen_revision)
    now = plans.revision_of(plan, plan.revision)
    return plans.diff_fields(seen.fields, now.fields) if seen and now and seen.revision != now.revision else []


def steps_waiting_for(user: User, limit: int = 200) -> list[PlanStep]:
    """The active steps this user may act on (their organisation's posts)."""
    if user.org_id is None:
        return []
    held = [p.code for p in posts.posts_held(user)] + [p.name for p in posts.posts_held(user)]
    if not held:
        return []
    rows = db.session.scalars(select(PlanStep).join(WorkflowStep, WorkflowStep.id == PlanStep.step_id).where(
        PlanStep.status == StepStatus.ACTIVE, PlanStep.actor_org_id == user.org_id, WorkflowStep.post.in_(held))
        .order_by(PlanStep.due_at, PlanStep.id).limit(limit))
    return [s for s in rows if can_act(user, s)]


# ---------------------------------------------------------------- timed steps

def _reviewers(step: PlanStep) -> list[int]:
    return [u.id for u in posts.holders(step.actor_org_id, step.step.post)] if step.actor_org_id else []


def _notify(step: PlanStep, title: str, body: str) -> None:
    from core.tasks import send_message

    users = _reviewers(step)
    if users:
        after_commit(send_message.delay, {"title": title, "body": body, "level": "info",
                                          "url": f"/plans/{step.plan_id}"}, user_ids=users)


def _notify_clerk(plan: Plan, body: str) -> None:
    from core.tasks import send_message

    clerks = [u.id for u in posts.holders(plan.org_id, "clerk")]
    if clerks:
        after_commit(send_message.delay, {"title": "采购计划", "body": body, "level": "info",
                                          "url": f"/plans/{plan.id}"}, user_ids=clerks)


def warn_overdue(step: PlanStep) -> bool:
    """The reviewers are told once that their step is past its time."""
    if step.warned_at is not None:
        return False
    step.warned_at = clock.now()
    record("plan.step_overdue", step.plan, {"step": step.step.name, "due_at": step.due_at.isoformat()},
           actor="system:plan-sweep")
    _notify(step, "审批逾期", f"采购计划 {step.plan.number} 的“{step.step.name}”已超过办理期限。")
    return True


def escalate_overdue(step: PlanStep) -> bool:
    """Later, the region's supervisors (finance bureau) are told once."""
    from core.tasks import send_message

    if step.escalated_at is not None:
        return False
    step.escalated_at = clock.now()
    record("plan.step_escalated", step.plan, {"step": step.step.name, "escalate_at": step.escalate_at.isoformat()},
           actor="system:plan-sweep")
    orgs = finance_orgs(step.plan.region_code)
    if orgs:
        after_commit(send_message.delay, {"title": "审批逾期", "level": "warning", "url": f"/plans/{step.plan_id}",
                                          "body": f"采购计划 {step.plan.number} 的“{step.step.name}”逾期未办理。"},
                     org_ids=orgs)
    return True


def get_step(step_id: int) -> PlanStep:
    step = db.session.get(PlanStep, step_id)
    if step is None:
        raise NotFound("审批环节不存在。", code="plan_step_not_found")
    return step
