"""Demo: 泰顺县's goods workflow (seven steps: the unit's review and its head, two automatic checks, 业务科 and
采监科, and 采监科's approval of another method above the threshold), caigou1's intentions and plans in every
step (a draft, one at each reviewer, one returned with its reason, one rejected, one approved with its
confirmation), and a confirmation the finance intranet pushed as a signed message, from which daili can
create the tender (the intranet checked its intention)."""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from core.demo import seeder

STEPS = [
    {"name": "单位审核（初审）", "actor_org": "unit", "post": "reviewer", "stage": "first"},
    {"name": "单位负责人（复审）", "actor_org": "unit", "post": "head", "stage": "second"},
    {"name": "系统自动审核：无化整为零", "auto_rule": "no_split"},
    {"name": "系统自动审核：可采购目录", "auto_rule": "catalogue_allowed", "auto_params": {"prefixes": ["A", "C"]}},
    {"name": "归口业务科室初审", "actor_org": "finance", "post": "reviewer", "stage": "first"},
    {"name": "采监科复审", "actor_org": "finance", "post": "head", "stage": "second"},
    {"name": "采监科审批（非公开招标方式）", "actor_org": "finance", "post": "head",
     "condition": [{"fact": "other_method_above_threshold", "op": "==", "value": True}]},
]
PLANS = [  # (title, catalogue code, item, quantity, budget in yuan, method, how far it goes)
    ("罗阳中学多媒体教室设备", "A02010199", "多媒体设备", 12, 360_000, "inquiry", "draft"),
    ("教育局办公电脑更新", "A02010104", "台式计算机", 40, 240_000, "inquiry", "unit_review"),
    ("城区小学课桌椅", "A05010000", "课桌椅", 600, 300_000, "competitive_consultation", "unit_head"),
    ("校园安保服务", "C21040000", "安保服务", 1, 900_000, "competitive_consultation", "finance_first"),
    ("实验室仪器购置", "A02100000", "实验仪器", 30, 1_500_000, "public_tender", "finance_second"),
    ("学生营养餐配送", "C23090000", "餐饮配送服务", 1, 800_000, "inquiry", "returned"),
    ("教师培训会务", "C22000000", "会议服务", 1, 50_000, "inquiry", "rejected"),
    ("智慧校园平台", "A02010104", "服务器", 6, 600_000, "public_tender", "approved"),
]
# how many people approve before the plan stops where the demo shows it
HOW_FAR = {"draft": 0, "unit_review": 0, "unit_head": 1, "finance_first": 2, "finance_second": 3, "approved": 9}


@seeder("plan", after="acceptance")
def seed_plans(context: dict) -> None:
    from accounts import posts
    from core.db import db
    from plan import plans, workflow

    users, orgs = context["users"], context["orgs"]
    edu, finance = orgs["purchasers"][0], orgs["finance"]
    posts.ensure_standard_posts(finance)
    users["guikou"].org_admin = True  # 业务科 keeps its bureau's posts: 林审核 初审, 陈科长 复审
    posts.assign_post(users["guikou"], finance.id, "reviewer", users["guikou"].id)
    posts.assign_post(users["guikou"], finance.id, "head", users["caijian"].id)
    for plan_type in ("goods", "services"):
        workflow.define_workflow(users["guikou"], edu.region_code, plan_type, "采购计划审批（县级）", STEPS)
    clerk = users["caigou1"]
    reviewers = [users["shenhe1"], users["fuzeren1"], users["guikou"], users["caijian"], users["caijian"]]
    for title, code, item, quantity, yuan, method, how_far in PLANS:
        intention = plans.create_intention(clerk, {"title": title, "needs": f"{item} {quantity}",
                                                   "budget_fen": yuan * 100, "expected_month": "2027-03"})
        plans.publish_intention(clerk, intention.id)
        plan = plans.create_plan(clerk, {
            "title": title, "plan_type": "services" if code.startswith("C") else "goods",
            "budget_project_code": f"330329-2027-{len(context.setdefault('plans', [])) + 1:04d}",
            "fund_nature": "一般公共预算", "org_form": "decentralised", "method": method, "expected_month": "2027-03",
            "intention_id": intention.id, "sme_set_aside": yuan < 2_000_000,
            "items": [{"catalogue_code": code, "name": item, "quantity": quantity, "unit": "项",
                       "budget_fen": yuan * 100}]})
        context["plans"].append(plan)
        if how_far == "draft":
            continue
        workflow.submit_plan(clerk, plan.id)
        if how_far == "returned":
            workflow.act_on_plan(users["shenhe1"], plan.id, "return", "配送标准未写明，请补充每餐标准后重新提交")
            continue
        if how_far == "rejected":
            workflow.act_on_plan(users["shenhe1"], plan.id, "reject", "会务费用已列入年度培训经费，不另行采购")
            continue
        for reviewer in reviewers[:HOW_FAR[how_far]]:
            if workflow.current_step(plan) is not None:
                workflow.act_on_plan(reviewer, plan.id, "approve")
    db.session.flush()
    _intranet_confirmation(context)


def _intranet_confirmation(context: dict) -> None:
    """The finance intranet (the contracts demo's registered key, or a new one) pushes a signed confirmation."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from core import exchange
    from plan import intranet

    sender = "ts-finance-intranet"
    path = Path(current_app.instance_path) / "demo-keys" / f"{sender}.pem"
    if exchange.sender_by_code(sender) is not None and path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), None)
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        exchange.register_sender(context["users"].get("admin"), sender, "泰顺县财政局（内网）", intranet.CHANNEL,
                                 "finance", "ed25519", pem)
    edu = context["orgs"]["purchasers"][0]
    body = {"number": "NW-330329-2027-0001", "org_uscc": edu.uscc, "title": "泰顺县教育局 教学一体机采购",
            "catalogue_code": "A02010199", "method": "public_tender", "plan_type": "goods",
            "amount_fen": 4_800_000_00, "items": [{"name": "教学一体机", "quantity": 80, "budget_fen": 4_800_000_00}]}
    received = intranet.receive(exchange.sign_envelope(key, exchange.make_envelope(
        sender, intranet.CHANNEL, "plan.confirmation", body)))
    context["intranet_confirmation"] = received.result["confirmation"]
