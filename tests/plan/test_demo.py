"""The plans demo: the county's seven-step workflow, caigou1's plans in every step (a draft, one at each reviewer,
returned with its reason, rejected, approved with its confirmation), and a confirmation pushed by the finance
intranet as a signed message, usable by 教育局 and its agency."""

from __future__ import annotations


def test_demo_seed_has_plans_in_every_step(app, app_ctx, clock, tmp_path, monkeypatch):
    from argon2 import PasswordHasher
    from sqlalchemy import select

    from accounts import service as accounts
    from core.db import db
    from core.demo import SEEDERS
    from plan import workflow
    from plan.models import Confirmation, Plan

    monkeypatch.setattr(accounts, "password_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    context: dict = {"logins": []}
    seeders = dict(SEEDERS)
    seeders["accounts"](context)
    seeders["plan"](context)
    db.session.commit()
    users = context["users"]
    at = {}
    for plan in db.session.scalars(select(Plan).order_by(Plan.id)):
        step = workflow.current_step(plan)
        at[plan.title] = (plan.status.value, step.step.name if step else None)
    assert at["罗阳中学多媒体教室设备"] == ("draft", None)
    assert at["教育局办公电脑更新"] == ("in_review", "单位审核（初审）")
    assert at["城区小学课桌椅"] == ("in_review", "单位负责人（复审）")
    assert at["校园安保服务"] == ("in_review", "归口业务科室初审")
    assert at["实验室仪器购置"] == ("in_review", "采监科复审")
    assert at["学生营养餐配送"][0] == "returned" and at["教师培训会务"][0] == "rejected"
    assert at["智慧校园平台"] == ("approved", None)
    assert [s.plan.title for s in workflow.steps_waiting_for(users["shenhe1"])] == ["教育局办公电脑更新"]
    assert [s.plan.title for s in workflow.steps_waiting_for(users["caijian"])] == ["实验室仪器购置"]
    sources = sorted(c.source for c in db.session.scalars(select(Confirmation)))
    assert sources == ["intranet", "workflow"]
    assert (tmp_path / "demo-keys" / "ts-finance-intranet.pem").exists()
