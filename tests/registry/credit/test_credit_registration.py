"""At registration: a supplier applying while on a credit list gets a warning card its reviewer sees on the
review page; the review stays a completeness check (it is admitted all the same)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy import select
from tests_helpers import login

from core.db import db

_spec = importlib.util.spec_from_file_location("credit_supplier_fixtures",
                                               Path(__file__).parents[1] / "suppliers" / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _fixtures
_spec.loader.exec_module(_fixtures)
draft, reviewer = _fixtures.draft, _fixtures.reviewer  # a supplier in draft, a central agency reviewer


def test_a_listed_applicant_gets_a_card_and_is_still_admitted(draft, reviewer, make_user, client):
    from registry.credit import importer
    from registry.credit.models import CreditCheck
    from registry.credit.service import cards_of_org
    from registry.suppliers import service
    from registry.suppliers.models import SupplierStatus

    supplier, user = draft
    data = ("记录类别,名称,统一社会信用代码,处罚结果,记录日期,来源\n"
            f"失信被执行人,{supplier.name},{supplier.uscc},列入失信被执行人名单,2026-05-01,中国执行信息公开网\n").encode()
    assert importer.import_records_file(data, "list.csv", make_user("finance_reviewer")).ok
    db.session.commit()
    service.submit_application(user, supplier)
    db.session.commit()
    check = db.session.scalar(select(CreditCheck).where(CreditCheck.stage == "registration"))
    assert check.org_id == supplier.org_id and check.barred and check.card_id is not None
    assert [c.id for c in cards_of_org(supplier.org_id)] == [check.card_id]  # the import's card, not a second
    assert login(client, reviewer).status_code == 302
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert 'id="credit-warning"' in page and "有效失信记录" in page
    service.admit_supplier(reviewer, supplier)  # never a refusal at registration
    db.session.commit()
    assert supplier.status is SupplierStatus.ACTIVE
