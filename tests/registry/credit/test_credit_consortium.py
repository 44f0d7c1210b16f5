"""A consortium at bid submission: the bidder names its members (page and API, each code checked), a real
sealed bid is submitted, and the check made then finds the listed member — a warning, never a refusal."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy import select
from tender_helpers import seal_bid, submit
from tests_helpers import login

from accounts.demo import demo_uscc
from core.db import db

_spec = importlib.util.spec_from_file_location("credit_tender_fixtures",
                                               Path(__file__).parents[2] / "tender" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fixtures
_spec.loader.exec_module(_fixtures)
world, make_project = _fixtures.world, _fixtures.make_project  # suppliers with keys, a published tender


def test_a_listed_consortium_member_is_found_at_bid_submission(world, make_project, client, make_user):
    from registry.credit import importer
    from registry.credit.models import CreditCheck
    from tender.models import Registration

    project = make_project()
    lot = project.lots[0]
    supplier = world.suppliers[0]
    member_code = demo_uscc(84)
    data = ("记录类别,名称,统一社会信用代码,处罚结果,记录日期,来源\n"
            f"重大税收违法失信主体,温州成员建设有限公司,{member_code},追缴税款并处罚款,2026-05-01,信用中国\n").encode()
    assert importer.import_records_file(data, "list.csv", make_user("finance_reviewer")).ok
    db.session.commit()
    assert login(client, supplier.user).status_code == 302
    bad = client.put(f"/api/v1/tender/projects/{project.id}/registration/consortium",
                     json={"members": [{"name": "温州成员建设有限公司", "uscc": "91330329MA2ABCDE1X"}]})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "consortium_member_uscc_invalid"
    page = client.post(f"/tender/{project.id}/consortium", data={"members": f"温州成员建设有限公司，{member_code}\n"})
    assert page.status_code == 302
    reg = db.session.scalar(select(Registration).where(Registration.org_id == supplier.user.org_id))
    assert reg.consortium_members == [{"name": "温州成员建设有限公司", "uscc": member_code, "org_id": None}]
    response = submit(client, supplier.user, project, lot, seal_bid(project, lot, supplier))
    assert response.status_code == 201, response.get_json()  # a warning, never a refusal
    check = db.session.scalar(select(CreditCheck).where(CreditCheck.stage == "bid"))
    assert check.subject == f"tender_bid:{response.get_json()['bid']['id']}" and check.barred and check.warned
    member = next(p for p in check.findings if p["role"] == "member")
    assert member["uscc"] == member_code and len(member["records"]) == 1
    cleared = client.put(f"/api/v1/tender/projects/{project.id}/registration/consortium", json={"members": []})
    assert cleared.status_code == 200 and cleared.get_json()["members"] == []
