"""The plan pages through the real forms: caigou1 files and submits a plan, shenhe1 finds it waiting and
returns it with a reason, the clerk sees the reason; finance adds a payment account and a workflow version on
the region configuration page; each page in English shows no Chinese of its own (the data here is ASCII)."""

from __future__ import annotations

import pytest
from english_scan import chinese_snippets
from tests_helpers import login


@pytest.fixture
def ascii_world(plan_world):
    from core.db import db

    for user in (plan_world.clerk, plan_world.reviewer, plan_world.head, plan_world.guikou, plan_world.outsider):
        user.name = f"{user.username} User"
        user.totp_seed = None
    plan_world.unit.name, plan_world.finance.name = "Education Bureau", "Finance Bureau"
    db.session.commit()
    return plan_world


def _form(**over):
    data = {"title": "Servers", "plan_type": "goods", "budget_project_code": "330329-2027-0012",
            "fund_nature": "一般公共预算", "org_form": "decentralised", "method": "inquiry",
            "expected_month": "2027-03",
            "catalogue_code": "A02010104", "item_name": "Server", "quantity": "4", "unit": "set",
            "budget_yuan": "600000", "confidential": "on"}
    return {**data, **over}


def test_file_submit_review_and_return_through_the_pages(ascii_world, workflow_goods, client):
    from sqlalchemy import select

    from core.db import db
    from plan.models import Plan

    w = ascii_world
    login(client, w.clerk)
    assert client.get("/plans/").status_code == 200
    response = client.post("/plans/new", data=_form())
    assert response.status_code == 302
    plan = db.session.scalar(select(Plan))
    assert plan.budget_fen == 60_000_000 and plan.confidential and plan.items[0].quantity == 4
    assert client.post(f"/plans/{plan.id}/submit").status_code == 302
    db.session.refresh(plan)
    assert plan.status.value == "in_review"
    client.get("/logout")

    login(client, w.reviewer)
    page = client.get("/plans/").get_data(as_text=True)
    assert plan.number in page
    assert client.post(f"/plans/{plan.id}/act", data={"decision": "return", "reason": "too many"}).status_code == 302
    db.session.refresh(plan)
    assert plan.status.value == "returned"
    assert "too many" in client.get(f"/plans/{plan.id}").get_data(as_text=True)


def test_an_outsider_cannot_see_a_plan(ascii_world, workflow_goods, client, filed_plan):
    plan = filed_plan()
    login(client, ascii_world.outsider)
    assert client.get(f"/plans/{plan.id}").status_code == 403


def test_finance_configures_the_region(ascii_world, client):
    import json

    from sqlalchemy import select

    from core.db import db
    from plan.models import PaymentAccount, Workflow

    login(client, ascii_world.guikou)
    assert client.get("/plans/config").status_code == 200
    assert client.post("/plans/config", data={"what": "account", "name": "ZBA", "bank": "ABC Bank",
                                              "account_no": "6228480012345678", "effective_on": "2027-01-01"}
                       ).status_code == 302
    steps = [{"name": "Unit review", "actor_org": "unit", "post": "reviewer"}]
    client.post("/plans/config", data={"what": "workflow", "plan_type": "services", "name": "Services",
                                       "steps": json.dumps(steps)})
    assert db.session.scalar(select(PaymentAccount)).account_no == "6228480012345678"
    assert db.session.scalar(select(Workflow)).plan_type == "services"
    client.post("/plans/config", data={"what": "workflow", "plan_type": "services", "steps": "not json"})
    assert db.session.scalar(select(Workflow.version).order_by(Workflow.version.desc())) == 1


# data, not the page's own text: the workflow's step names, the region's lists, the fixture's intention title
DATA = ("一般公共预算", "系统自动审核", "单位审核", "单位负责人", "归口", "采监科", "泰顺县", "采购计划审批",
        "教学用服务器采购",
        "goods:货物", "政府性基金")


@pytest.mark.parametrize("who, pages", [
    ("clerk", ["/plans/", "/plans/new", "/plans/intentions", "/plans/{plan}", "/plans/confirmations/{conf}"]),
    ("reviewer", ["/plans/", "/plans/{plan}"]),
    ("guikou", ["/plans/", "/plans/config", "/plans/{plan}"]),
])
def test_pages_in_english_show_no_chinese(ascii_world, workflow_goods, filed_plan, make_confirmation, client, who,
                                          pages):
    plan = filed_plan(title="Servers", items=[{"catalogue_code": "A02010104", "name": "Server", "quantity": 4,
                                               "budget_fen": 60_000_000}])
    conf = make_confirmation(title="Servers")
    login(client, getattr(ascii_world, who))
    client.get("/lang/en")
    for page in pages:
        url = page.format(plan=plan.id, conf=conf.id)
        response = client.get(url)
        assert response.status_code == 200, url
        found = [s for s in chinese_snippets(response.get_data(as_text=True)) if not any(ok in s for ok in DATA)]
        assert not found, (url, found[:5])
