"""Fixtures of the plan tests: 泰顺县 with its finance bureau (业务科 and 采监科 holding posts there), 教育局 with its
经办 / 审核 / 负责人 and a department, an agency, and a factory of confirmations issued the way an approved plan
issues them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest


@dataclass
class PlanWorld:
    region: str
    finance: object
    unit: object
    other_unit: object
    agency: object
    clerk: object
    reviewer: object
    head: object
    guikou: object
    caijian: object
    daili: object
    outsider: object
    admin: object


@pytest.fixture
def plan_world(app_ctx, region, clock):
    from conftest import password_hash

    from accounts import posts, service
    from accounts.models import OrgKind, Role
    from core.db import db

    def person(username, name, roles, org, admin=False):
        user = service.create_user(username, name, None, roles, region, org=org, password_hash=password_hash())
        user.org_admin = admin
        return user

    finance = service.create_org("泰顺县财政局", OrgKind.FINANCE, region)
    unit = service.create_org("泰顺县教育局", OrgKind.PURCHASER, region)
    other = service.create_org("泰顺县人民医院", OrgKind.PURCHASER, region)
    agency = service.create_org("温州正信招标代理有限公司", OrgKind.AGENCY, region)
    clerk = person("caigou1", "经办 王", [Role.PURCHASER], unit, admin=True)
    reviewer = person("shenhe1", "审核 李", [Role.PURCHASER], unit)
    head = person("fuzeren1", "负责人 张", [Role.PURCHASER], unit)
    guikou = person("guikou", "业务科 林", [Role.FINANCE_REVIEWER], finance, admin=True)
    caijian = person("caijian", "采监科 陈", [Role.SUPERVISOR], finance)
    daili = person("daili", "代理 周", [Role.AGENCY_STAFF], agency)
    outsider = person("caigou2", "医院 采购员", [Role.PURCHASER], other, admin=True)
    admin = person("admin", "管理员", [Role.ADMIN], None)
    db.session.flush()
    for org in (unit, other, finance):
        posts.ensure_standard_posts(org)
    for user, post in ((clerk, "clerk"), (reviewer, "reviewer"), (head, "head")):
        posts.assign_post(clerk, unit.id, post, user.id)
    for user, post in ((guikou, "reviewer"), (caijian, "head")):
        posts.assign_post(guikou, finance.id, post, user.id)
    posts.assign_post(outsider, other.id, "clerk", outsider.id)
    db.session.commit()
    return PlanWorld(region, finance, unit, other, agency, clerk, reviewer, head, guikou, caijian, daili, outsider,
                     admin)


@pytest.fixture
def make_confirmation(plan_world):
    from core.db import db
    from plan.confirmations import issue_confirmation

    def make(amount_fen: int = 1_000_000, org=None, catalogue_code: str = "A02010104", **kwargs):
        row = issue_confirmation(org=org or plan_world.unit, title=kwargs.pop("title", "教学用服务器采购"),
                                 catalogue_code=catalogue_code, method=kwargs.pop("method", "public_tender"),
                                 plan_type=kwargs.pop("plan_type", "goods"), amount_fen=amount_fen,
                                 snapshot=kwargs.pop("snapshot", {"items": []}), source=kwargs.pop("source", "file"),
                                 **kwargs)
        db.session.commit()
        return row

    return make


@pytest.fixture
def workflow_goods(plan_world):
    from plan_helpers import SEVEN_STEPS

    from core.db import db
    from plan.workflow import define_workflow

    flow = define_workflow(plan_world.guikou, plan_world.region, "goods", "货物类采购计划审批", SEVEN_STEPS)
    db.session.commit()
    return flow


@pytest.fixture
def intention(plan_world):
    from core.db import db
    from plan.plans import create_intention, publish_intention

    row = create_intention(plan_world.clerk, {"title": "教学用服务器采购", "needs": "4 台服务器",
                                              "budget_fen": 60_000_000, "expected_month": "2027-03"})
    publish_intention(plan_world.clerk, row.id)
    db.session.commit()
    return row


@pytest.fixture
def filed_plan(plan_world, workflow_goods, intention):
    """A plan the clerk drafted with its intention and submitted: on the unit's first review."""
    from plan_helpers import plan_input

    from core.db import db
    from plan.plans import create_plan
    from plan.workflow import submit_plan

    def make(**over):
        plan = create_plan(plan_world.clerk, plan_input(intention_id=intention.id, **over))
        submit_plan(plan_world.clerk, plan.id)
        db.session.commit()
        return plan

    return make


# The tender's world (an agency, custodians, suppliers with keys) and the evaluation's room run to a published
# award, loaded from their files for the cross-stage flow (as tests/deposits does).
def _load(name: str, path):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _fixtures():
    from pathlib import Path

    tests = Path(__file__).resolve().parents[1]
    tender = _load("plan_tender_fixtures", tests / "tender" / "conftest.py")
    evaluation = _load("plan_evaluation_fixtures", tests / "evaluation" / "conftest.py")
    return tender.world, evaluation.room, evaluation.published


world, room, published = _fixtures()


@pytest.fixture
def intranet(app_ctx, make_user):
    """The finance intranet registered as a sender on finance.intranet with an Ed25519 key, and a way to send."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    from core import exchange
    from core.db import db

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    exchange.register_sender(make_user("admin", totp=False), "ts-finance", "泰顺县财政局（内网）", "finance.intranet",
                             "finance", "ed25519", pem)
    db.session.commit()

    def envelope(type_: str, body: dict, **kwargs) -> dict:
        return exchange.sign_envelope(key, exchange.make_envelope("ts-finance", "finance.intranet", type_, body,
                                                                  **kwargs))

    return envelope
