"""Shared inputs of the plan tests (and the cross-stage flow): a seven-step goods workflow and a plan."""

from __future__ import annotations

SEVEN_STEPS = [
    {"name": "单位审核（初审）", "actor_org": "unit", "post": "reviewer", "stage": "first"},
    {"name": "单位负责人（复审）", "actor_org": "unit", "post": "head", "stage": "second"},
    {"name": "系统自动审核：无化整为零", "auto_rule": "no_split"},
    {"name": "系统自动审核：可采购目录", "auto_rule": "catalogue_allowed", "auto_params": {"prefixes": ["A", "C"]}},
    {"name": "归口业务科室初审", "actor_org": "finance", "post": "reviewer", "stage": "first"},
    {"name": "采监科复审", "actor_org": "finance", "post": "head", "stage": "second"},
    {"name": "采监科审批（非公开招标方式）", "actor_org": "finance", "post": "head",
     "condition": [{"fact": "other_method_above_threshold", "op": "==", "value": True}]},
]


def plan_input(**over):
    data = {"title": "教学用服务器采购", "plan_type": "goods", "budget_project_code": "330329-2027-0012",
            "fund_nature": "一般公共预算", "org_form": "decentralised", "method": "inquiry",
            "expected_month": "2027-03",
            "items": [{"catalogue_code": "A02010104", "name": "服务器", "quantity": 4, "unit": "台",
                       "budget_fen": 60_000_000}]}
    return {**data, **over}

