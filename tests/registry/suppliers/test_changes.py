"""Key changes after admission: proposed by the supplier, in force only once the central agency approves,
the old values kept on the change for good; the size class drives Org.is_sme."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests_helpers import login


def test_a_change_waits_then_applies_keeping_the_old_version(active, reviewer, sent):
    from core.after_commit import commit
    from core.db import db
    from registry.suppliers import changes
    from registry.suppliers.models import ChangeStatus

    supplier, user = active
    change = changes.request_change(user, supplier, {"bank_account_number": "6222333344445555",
                                                     "size_class": "large", "name": "温州测试科技有限公司"}, "换开户行")
    db.session.commit()
    assert change.old_values == {"size_class": "small", "bank_account_number": "201000123456789"}
    assert change.new_values == {"size_class": "large", "bank_account_number": "6222333344445555"}  # name unchanged
    assert supplier.bank_account_number == "201000123456789" and supplier.org.is_sme  # not yet in force
    with pytest.raises(Exception) as twice:
        changes.request_change(user, supplier, {"address": "新地址"})
    assert twice.value.code == "change_pending"
    db.session.rollback()
    changes.review_change(reviewer, change.id, True)
    commit()  # the commit point: the message follows it
    assert change.status is ChangeStatus.APPROVED
    assert supplier.bank_account_number == "6222333344445555" and supplier.size_class.value == "large"
    assert supplier.org.is_sme is False
    assert change.old_values["bank_account_number"] == "201000123456789"  # the old version stays
    assert ("供应商信息变更已同意", [supplier.org_id]) in sent


def test_a_rejection_needs_a_reason_and_changes_nothing(active, reviewer):
    from core.db import db
    from core.errors import ValidationError
    from registry.suppliers import changes

    supplier, user = active
    change = changes.request_change(user, supplier, {"legal_representative": "王五"})
    with pytest.raises(ValidationError) as refused:
        changes.review_change(reviewer, change.id, False, "")
    assert refused.value.code == "reason_required"
    changes.review_change(reviewer, change.id, False, "未提供变更登记通知书")
    db.session.commit()
    assert supplier.legal_representative == "张三" and change.status.value == "rejected"


@pytest.mark.parametrize(("values", "code"), [
    ({}, "change_empty"),
    ({"legal_representative": "张三"}, "change_empty"),
    ({"uscc": "91330000MA28XXXX00"}, "change_field_invalid"),
    ({"bank_account_number": "abc"}, "bank_account_number_invalid"),
    ({"size_class": "huge"}, "size_class_invalid"),
])
def test_bad_changes_are_refused(active, values, code):
    from core.errors import DomainError
    from registry.suppliers import changes

    supplier, user = active
    with pytest.raises(DomainError) as refused:
        changes.request_change(user, supplier, values)
    assert refused.value.code == code


def test_a_draft_is_edited_directly_not_through_a_change(draft):
    from core.errors import Conflict
    from registry.suppliers import changes

    supplier, user = draft
    with pytest.raises(Conflict) as refused:
        changes.request_change(user, supplier, {"address": "新地址"})
    assert refused.value.code == "supplier_not_admitted"


def test_change_review_through_the_pages_and_the_api(client, active, reviewer, clock):
    from core.db import db
    from registry.suppliers.models import SupplierChange

    supplier, user = active
    login(client, user)
    page = client.post("/suppliers/me/changes", data={"address": "浙江省温州市泰顺县新城大道9号", "reason": "搬迁"})
    assert page.status_code == 302
    assert "浙江省温州市泰顺县新城大道9号" in client.get("/suppliers/me").get_data(as_text=True)
    api = client.post("/api/v1/suppliers/me/changes", json={"values": {"address": "又一个地址"}})
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "change_pending"
    client.post("/logout")
    clock.advance(timedelta(seconds=31))
    login(client, reviewer)
    change = db.session.query(SupplierChange).one()
    detail = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "浙江省温州市罗阳镇1号" not in detail and "浙江省温州市泰顺县罗阳镇1号" in detail  # old still in force
    refused = client.post(f"/api/v1/suppliers/changes/{change.id}/review", json={"approve": False})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "reason_required"
    assert client.post(f"/suppliers/changes/{change.id}/review", data={"decision": "approve"}).status_code == 302
    record = client.get(f"/api/v1/suppliers/{supplier.id}").get_json()
    assert record["address"] == "浙江省温州市泰顺县新城大道9号"
    assert record["changes"][0]["old"] == {"address": "浙江省温州市泰顺县罗阳镇1号"}
