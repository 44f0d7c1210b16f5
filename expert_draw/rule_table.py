"""The draw's rule table: the rules in force for a region (its own row, else its city's or province's,
else the national default row) and the supervisor's changes to them, checked and versioned.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import Region, Role, User
from audit.service import record
from core.db import db
from core.errors import Forbidden, ValidationError
from expert_draw.models import (
    DrawRule,
)

# Values of the national default rule row, created once when none exists (see DrawRule).
DEFAULT_RULE = {
    "min_committee": 5,
    "large_min_committee": 7,
    "large_budget_fen": 10_000_000_00,  # 1000 万元
    "expert_share_num": 2,
    "expert_share_den": 3,
    "opening_workdays": 2,
    "exempt_methods": "competitive_negotiation,competitive_consultation",
    "age_limit": 70,
    "employment_years": 3,
    "same_purchaser_days": 30,
    "allow_fallback": True,
    "confirm_hours": 24,
    "late_decline_hours": 24,
    "evaluation_hours": 8,
    "weighting": "",
    "panel_methods": "competitive_negotiation,competitive_consultation,inquiry,single_source",
    "panel_min_committee": 3,
    "panel_large_min_committee": 5,
    "panel_large_budget_fen": 4_000_000_00,  # 公开招标数额标准 400 万元
}


def rule_for(region_code: str | None) -> DrawRule:
    """The rules in force for a region: its own row, else its city's or province's, else the default."""
    region = db.session.get(Region, region_code) if region_code else None
    for node in region.lineage() if region else []:
        rule = db.session.scalar(select(DrawRule).where(DrawRule.region_code == node.code))
        if rule is not None:
            return rule
    rule = db.session.scalar(select(DrawRule).where(DrawRule.region_code.is_(None)).order_by(DrawRule.id).limit(1))
    if rule is None:
        rule = DrawRule(region_code=None, **DEFAULT_RULE)
        db.session.add(rule)
        db.session.flush()
    return rule


def set_region_rule(actor: User, region_code: str | None, **values) -> DrawRule:
    """Create or change a region's rule row (finance or admin); the version goes up by one."""
    if not actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有财政监管人员可以修改抽取规则。", code="not_rule_owner")
    unknown = set(values) - set(DEFAULT_RULE)
    if unknown:
        raise ValidationError(f"未知的规则项：{', '.join(sorted(unknown))}", code="rule_unknown")
    rule = db.session.scalar(
        select(DrawRule).where(DrawRule.region_code == region_code if region_code else DrawRule.region_code.is_(None))
    )
    if rule is None:
        base = rule_for(region_code).values()
        rule = DrawRule(region_code=region_code, **{k: base[k] for k in DEFAULT_RULE}, version=0)
        db.session.add(rule)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.version = (rule.version or 0) + 1
    _check_rule(rule)
    db.session.flush()
    record("expert_draw.rule_changed", rule, rule.values())
    return rule


def _check_rule(rule: DrawRule) -> None:
    """The rule table's CHECK constraints, with a message a supervisor can act on."""
    if rule.min_committee < 3 or rule.min_committee % 2 == 0 or rule.large_min_committee < rule.min_committee:
        raise ValidationError("最少人数须为不小于 3 的单数，大额项目最少人数不能更少。", code="rule_invalid")
    if (rule.panel_min_committee < 3 or rule.panel_min_committee % 2 == 0
            or rule.panel_large_min_committee < rule.panel_min_committee):
        raise ValidationError("谈判、磋商、询价小组最少人数须为不小于 3 的单数。", code="rule_invalid")
    if rule.expert_share_den <= 0 or not 0 <= rule.expert_share_num <= rule.expert_share_den:
        raise ValidationError("专家占比须为不大于 1 的分数。", code="rule_invalid")
    if rule.opening_workdays < 0 or rule.confirm_hours <= 0 or rule.evaluation_hours <= 0:
        raise ValidationError("时限须为正数。", code="rule_invalid")
    if rule.weighting.strip():
        _check_weighting(rule.weighting)


def _check_weighting(text: str) -> None:
    try:
        weights = {t.strip(): int(w) for t, w in (p.split(":") for p in text.split(","))}
    except ValueError:
        raise ValidationError("信用分档权重格式应为 A:3,B:2,C:1。", code="weighting_invalid") from None
    if not set(weights) <= {"A", "B", "C"} or not all(1 <= w <= 4 for w in weights.values()):
        raise ValidationError("信用分档只能是 A、B、C，权重为 1 到 4 的整数。", code="weighting_invalid")
