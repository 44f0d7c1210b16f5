"""Intentions (采购意向公开) and plans (采购计划): drafted by the unit's 经办, the intention published as a
notice, the plan submitted by the unit onto its workflow (plan.workflow runs the chain).

Who may write is a post of the unit (`accounts.posts.has_post(user, unit, "clerk")`), never a role alone.
Every write checks the post, the status and the clock, audits and flushes; the caller commits.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import func, select

from accounts import posts
from accounts.models import User
from audit.canonical import canonical_json
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.i18n import N_
from notices import kinds
from notices.service import publish_notice, withdraw_notice
from plan import rules
from plan.models import Intention, Plan, PlanItem, PlanRevision
from plan.transitions import IntentionStatus, PlanStatus, move

INTENTION_NOTICE = kinds.register("intention", N_("采购意向公开"))
ORG_FORMS = {"centralised": N_("政府集中采购"), "department": N_("部门集中采购"), "decentralised": N_("分散采购")}
METHODS = {"public_tender": N_("公开招标"), "invited_tender": N_("邀请招标"),
           "competitive_negotiation": N_("竞争性谈判"), "competitive_consultation": N_("竞争性磋商"),
           "inquiry": N_("询价"), "single_source": N_("单一来源"), "framework": N_("框架协议"),
           "mall": N_("电子卖场")}
FLAGS = ("gov_service", "imported", "sme_set_aside", "confidential")
MAX_ITEMS = 50
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)


def is_clerk(user: User | None, org_id: int) -> bool:
    return posts.has_post(user, org_id, "clerk")


def require_clerk(user: User) -> int:
    """The unit of a user holding its 经办 post (the only one who drafts and submits its plans)."""
    if user is None or user.org_id is None or not is_clerk(user, user.org_id):
        raise Forbidden("只有本单位的经办岗位人员可以填报采购意向和计划。", code="not_plan_clerk")
    return user.org_id


def _month(errors: dict[str, str], value: Any) -> str:
    text = str(value or "").strip()
    try:
        year, month = (int(x) for x in text.split("-"))
        if len(text) != 7 or not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        errors["expected_month"] = "请填写预计采购月份（如 2027-03）。"
        return ""
    return text


def _fen(errors: dict[str, str], field: str, value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= rules.MAX_FEN:
        errors[field] = f"{label}须为正整数（分），不超过 10 亿元。"
        return 0
    return value


# ---------------------------------------------------------------- intentions

def create_intention(user: User, data: dict[str, Any]) -> Intention:
    """The clerk drafts the unit's intention: name, needs, budget, expected month."""
    org_id = require_clerk(user)
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = "请填写采购项目名称（不超过 200 字）。"
    budget = _fen(errors, "budget_fen", data.get("budget_fen"), "预算金额")
    month = _month(errors, data.get("expected_month"))
    if errors:
        raise ValidationError("采购意向填写有误。", code="intention_invalid", details={"fields": errors})
    row = Intention(region_code=user.org.region_code, org_id=org_id, title=title,
                    needs=str(data.get("needs") or "").strip()[:4000], budget_fen=budget, expected_month=month,
                    created_by_id=user.id, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    record("plan.intention_created", row, {"title": title, "budget_fen": budget, "expected_month": month})
    return row


def get_intention(intention_id: int, *, lock: bool = False) -> Intention:
    stmt = select(Intention).where(Intention.id == intention_id)
    row = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("采购意向不存在。", code="intention_not_found")
    return row


def publish_intention(user: User, intention_id: int) -> Intention:
    """The intention goes public as a notice; the region's days before the procurement start count from now."""
    intention = get_intention(intention_id, lock=True)
    if require_clerk(user) != intention.org_id:
        raise Forbidden("只能公开本单位的采购意向。", code="not_plan_clerk")
    move(intention, IntentionStatus.PUBLISHED)
    now = clock.now()
    from core.money import format_yuan

    body = "\n".join([f"采购单位：{intention.org.name}", f"采购项目名称：{intention.title}",
                      f"采购需求概况：{intention.needs or '—'}", f"预算金额：{format_yuan(intention.budget_fen)} 元",
                      f"预计采购时间：{intention.expected_month}",
                      "本次公开的采购意向是本单位政府采购工作的初步安排，具体采购项目情况以相关采购公告和采购文件为准。"])
    notice = publish_notice(intention, INTENTION_NOTICE, f"{intention.org.name} {intention.title} 采购意向", body,
                            rule_version=None)
    intention.notice_id, intention.published_at = notice.id, now
    record("plan.intention_published", intention, {"notice": notice.id, "at": now.isoformat()})
    return intention


def withdraw_intention(user: User, intention_id: int, reason: str) -> Intention:
    intention = get_intention(intention_id, lock=True)
    if require_clerk(user) != intention.org_id:
        raise Forbidden("只能撤回本单位的采购意向。", code="not_plan_clerk")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写撤回原因。", code="reason_missing")
    was = move(intention, IntentionStatus.WITHDRAWN, payload={"reason": reason[:200]})
    if was is IntentionStatus.PUBLISHED and intention.notice_id:
        from notices.models import Notice

        withdraw_notice(db.session.get(Notice, intention.notice_id), f"{intention.title} 采购意向撤回",
                        f"原因：{reason[:200]}")
    return intention


def intention_ready_on(intention: Intention | None, region_code: str, start_on: date) -> str | None:
    """Why a procurement starting on `start_on` may not rely on this intention (None: it may)."""
    if intention is None:
        return "该采购项目尚未公开采购意向。"
    if intention.status is not IntentionStatus.PUBLISHED or intention.published_at is None:
        return "该采购项目的采购意向尚未公开。"
    days = int(rules.rule(region_code, "plan.intention_min_days"))
    published_on = clock.to_local(intention.published_at).date()
    if (start_on - published_on).days < days:
        return f"采购意向须于采购活动开始前至少 {days} 日公开（{published_on.isoformat()} 公开）。"
    return None


def intentions_of(org_id: int) -> list[Intention]:
    return list(db.session.scalars(select(Intention).where(Intention.org_id == org_id)
                                   .order_by(Intention.created_at.desc(), Intention.id.desc())))


# ---------------------------------------------------------------- plans

def check_plan_data(region_code: str, org_id: int, data: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    """The one check of a plan's input, for create and edit: every MODULES.md §2 field, the region's lists,
    the items. Raises `plan_invalid` with each field's message; changes nothing."""
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = "请填写计划名称（不超过 200 字）。"
    plan_type = str(data.get("plan_type") or "")
    if plan_type not in rules.plan_types(region_code):
        errors["plan_type"] = "请选择本地区的采购类型。"
    project_code = str(data.get("budget_project_code") or "").strip()
    if not 1 <= len(project_code) <= 40:
        errors["budget_project_code"] = "请填写预算项目编码。"
    fund = str(data.get("fund_nature") or "")
    if fund not in rules.fund_natures(region_code):
        errors["fund_nature"] = "请选择资金性质。"
    org_form = str(data.get("org_form") or "")
    if org_form not in ORG_FORMS:
        errors["org_form"] = "请选择组织形式。"
    method = str(data.get("method") or "")
    if method not in METHODS:
        errors["method"] = "请选择采购方式。"
    month = _month(errors, data.get("expected_month"))
    intention_id = data.get("intention_id")
    if intention_id is not None:
        intention = db.session.get(Intention, intention_id) if isinstance(intention_id, int) else None
        if intention is None or intention.org_id != org_id:
            errors["intention_id"] = "请选择本单位的采购意向。"
    items = _items(errors, data.get("items"))
    if errors:
        raise ValidationError("采购计划填写有误。", code="plan_invalid", details={"fields": errors})
    columns = {"title": title, "plan_type": plan_type, "budget_project_code": project_code, "fund_nature": fund,
               "org_form": org_form, "method": method, "expected_month": month, "intention_id": intention_id,
               "budget_fen": sum(i["budget_fen"] for i in items),
               **{flag: bool(data.get(flag)) for flag in FLAGS}}
    return columns, items


def _items(errors: dict[str, str], raw: Any) -> list[dict]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ITEMS:
        errors["items"] = f"请填写 1–{MAX_ITEMS} 个采购品目。"
        return []
    items = []
    for n, item in enumerate(raw, start=1):
        item = item if isinstance(item, dict) else {}
        code = str(item.get("catalogue_code") or "").strip().upper()
        name = str(item.get("name") or "").strip()
        quantity, budget = item.get("quantity"), item.get("budget_fen")
        if not (2 <= len(code) <= 20 and code[0] in "ABC" and code[1:].isalnum()):
            errors[f"items.{n}.catalogue_code"] = f"品目 {n}：采购目录编码无效（如 A02010104）。"
        if not 1 <= len(name) <= 120:
            errors[f"items.{n}.name"] = f"品目 {n}：请填写名称。"
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= 10**9:
            errors[f"items.{n}.quantity"] = f"品目 {n}：数量须为正整数。"
        if isinstance(budget, bool) or not isinstance(budget, int) or not 0 < budget <= rules.MAX_FEN:
            errors[f"items.{n}.budget_fen"] = f"品目 {n}：预算须为正整数（分）。"
        items.append({"catalogue_code": code, "name": name, "quantity": quantity, "budget_fen": budget,
                      "unit": str(item.get("unit") or "").strip()[:12]})
    return items


def _next_number(region_code: str) -> str:
    prefix = f"JH-{region_code}-{clock.to_local(clock.now()).year}-"
    count = db.session.scalar(select(func.count()).select_from(Plan).where(Plan.number.like(prefix + "%")))
    return f"{prefix}{(count or 0) + 1:06d}"


def _apply(plan: Plan, columns: dict[str, Any], items: list[dict]) -> None:
    for name, value in columns.items():
        setattr(plan, name, value)
    current = list(plan.items)
    for position, values in enumerate(items, start=1):
        if position <= len(current):
            for name, value in values.items():
                setattr(current[position - 1], name, value)
        else:
            plan.items.append(PlanItem(position=position, **values))
    del plan.items[len(items):]


def create_plan(user: User, data: dict[str, Any]) -> Plan:
    """The clerk drafts a plan of the unit."""
    org_id = require_clerk(user)
    region_code = user.org.region_code
    columns, items = check_plan_data(region_code, org_id, data)
    plan = Plan(number=_next_number(region_code), region_code=region_code, org_id=org_id, created_by_id=user.id,
                created_at=clock.now(), status=PlanStatus.DRAFT)
    _apply(plan, columns, items)
    db.session.add(plan)
    db.session.flush()
    record("plan.created", plan, {"number": plan.number, "budget_fen": plan.budget_fen, "method": plan.method,
                                  "items": len(items)})
    return plan


def get_plan(plan_id: int, *, lock: bool = False) -> Plan:
    stmt = select(Plan).where(Plan.id == plan_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    plan = db.session.scalar(stmt)
    if plan is None:
        raise NotFound("采购计划不存在。", code="plan_not_found")
    return plan


def update_plan(user: User, plan_id: int, data: dict[str, Any]) -> Plan:
    """The clerk edits a draft or a returned plan (an approved one is withdrawn and filed again)."""
    plan = get_plan(plan_id, lock=True)
    if require_clerk(user) != plan.org_id:
        raise Forbidden("只能修改本单位的采购计划。", code="not_plan_clerk")
    if plan.status not in EDITABLE:
        raise Conflict("只有草稿或被退回的计划可以修改；已批准的计划须撤回后重新填报。", code="plan_not_editable")
    before = plan_fields(plan)
    columns, items = check_plan_data(plan.region_code, plan.org_id, data)
    _apply(plan, columns, items)
    db.session.flush()
    after = plan_fields(plan)
    record("plan.updated", plan, {"changed": sorted(k for k in after if after[k] != before.get(k))})
    return plan


def plan_fields(plan: Plan) -> dict[str, Any]:
    """The plan's fields as a reviewer sees them: what a revision stores and a diff compares."""
    return {"title": plan.title, "plan_type": plan.plan_type, "budget_project_code": plan.budget_project_code,
            "budget_fen": plan.budget_fen, "fund_nature": plan.fund_nature, "org_form": plan.org_form,
            "method": plan.method, "expected_month": plan.expected_month, "intention_id": plan.intention_id,
            **{flag: getattr(plan, flag) for flag in FLAGS},
            "items": [{"catalogue_code": i.catalogue_code, "name": i.name, "quantity": i.quantity, "unit": i.unit,
                       "budget_fen": i.budget_fen} for i in plan.items]}


def add_revision(plan: Plan, user: User) -> PlanRevision:
    """Freeze what is being submitted (the reviewer's view of this round)."""
    plan.revision += 1
    fields = plan_fields(plan)
    row = PlanRevision(plan_id=plan.id, revision=plan.revision, fields=fields,
                       sha256=hashlib.sha256(canonical_json(fields)).hexdigest(), submitted_by_id=user.id,
                       submitted_at=clock.now())
    db.session.add(row)
    db.session.flush()
    return row


def revision_of(plan: Plan, number: int) -> PlanRevision | None:
    return db.session.scalar(select(PlanRevision).where(PlanRevision.plan_id == plan.id,
                                                        PlanRevision.revision == number))


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Field-level differences, items compared one by one ("items.2.budget_fen")."""
    out = []
    for key in sorted(set(before) | set(after)):
        if key == "items":
            old, new = before.get("items") or [], after.get("items") or []
            for n in range(max(len(old), len(new))):
                a = old[n] if n < len(old) else {}
                b = new[n] if n < len(new) else {}
                for field in sorted(set(a) | set(b)):
                    if a.get(field) != b.get(field):
                        out.append((f"items.{n + 1}.{field}", a.get(field), b.get(field)))
        elif before.get(key) != after.get(key):
            out.append((key, before.get(key), after.get(key)))
    return out


def plans_of(org_id: int, status: PlanStatus | None = None, limit: int = 200) -> list[Plan]:
    stmt = select(Plan).where(Plan.org_id == org_id)
    if status is not None:
        stmt = stmt.where(Plan.status == status)
    return list(db.session.scalars(stmt.order_by(Plan.created_at.desc(), Plan.id.desc()).limit(limit)))
