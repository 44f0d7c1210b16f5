"""Issue 15: a supplier imported from the county's library (admitted, no account) gets its way in: the
central agency sends a single-use link by SMS to the contact mobile on file, the company proves itself by
its bank account's last four digits and makes its administrator's account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from supplier_rows import as_csv, row
from tests_helpers import login

from accounts.models import Role, User
from core import clock as core_clock
from core.db import db
from core.errors import DomainError
from expert_draw.notify import LogChannel
from registry.suppliers import onboarding
from registry.suppliers.importer import import_suppliers_file
from registry.suppliers.models import Supplier, SupplierActivation


def _imported(reviewer, code_for, *rows) -> list[Supplier]:
    report = import_suppliers_file(as_csv(list(rows) or [row(1, code_for)]), "old.csv", reviewer)
    assert report.ok, report.problems
    db.session.commit()
    return list(db.session.scalars(db.select(Supplier).where(Supplier.imported).order_by(Supplier.id)))


def _link_token() -> str:
    texts = " ".join(m.text for m in LogChannel.sent)
    found = re.findall(r"/suppliers/activate/([A-Za-z0-9_-]+)", texts)
    assert found, texts
    return found[-1]


def test_an_imported_supplier_makes_its_account_from_the_sms_link(client, reviewer, code_for, clock):
    (supplier,) = _imported(reviewer, code_for)
    login(client, reviewer)
    LogChannel.sent.clear()
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "尚未开通账户" in page and "发送激活短信" in page
    assert client.post(f"/suppliers/{supplier.id}/activation").status_code == 302
    sms = LogChannel.sent[-1]
    assert sms.phone == "13905770001" and supplier.name in sms.text
    token = _link_token()
    assert db.session.scalar(db.select(SupplierActivation.token_sha256)) != token  # only the digest is kept
    client.post("/logout")

    form = client.get(f"/suppliers/activate/{token}").get_data(as_text=True)
    assert supplier.name in form and "银行账号后四位" in form
    fields = {"username": "daoru-gys", "name": "王五", "password": "s3cret-pass", "password2": "s3cret-pass"}
    wrong = client.post(f"/suppliers/activate/{token}", data={**fields, "account_last4": "0000"})
    assert wrong.status_code == 422 and "后四位" in wrong.get_data(as_text=True)
    assert db.session.scalar(db.select(User).filter_by(username="daoru-gys")) is None
    done = client.post(f"/suppliers/activate/{token}",
                       data={**fields, "account_last4": supplier.bank_account_number[-4:]})
    assert done.status_code == 302 and done.headers["Location"].endswith("/suppliers/me")
    db.session.expire_all()
    user = db.session.scalar(db.select(User).filter_by(username="daoru-gys"))
    again_supplier = db.session.get(Supplier, supplier.id)
    assert again_supplier.admin_user_id == user.id and user.org_id == supplier.org_id
    assert user.has_role(Role.SUPPLIER) and user.phone == "13905770001"
    assert client.get("/suppliers/me").status_code == 200
    client.post("/logout")
    again = client.get(f"/suppliers/activate/{token}")
    assert again.status_code == 409 and "已使用过" in again.get_data(as_text=True)


def test_a_new_link_voids_the_old_one_and_links_expire_by_the_region_rule(reviewer, code_for, clock):
    (supplier,) = _imported(reviewer, code_for)
    first = onboarding.issue_activation(reviewer, supplier)
    second = onboarding.issue_activation(reviewer, supplier)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation(first.token)
    assert exc.value.code == "activation_expired"
    clock.set(core_clock.now() + timedelta(days=15))  # the default: 14 days
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation(second.token)
    assert exc.value.code == "activation_expired"
    with pytest.raises(DomainError) as exc:
        onboarding.pending_activation("made-up")
    assert exc.value.code == "activation_invalid"


def test_who_may_send_and_to_whom(reviewer, code_for, make_user, active):
    imported, landline = _imported(reviewer, code_for, row(1, code_for), row(2, code_for, 联系电话="0577-67580002"))
    with pytest.raises(DomainError) as exc:  # an agency that is not the central agency
        onboarding.issue_activation(make_user("agency_staff", org_kind="agency"), imported)
    assert exc.value.code == "not_supplier_reviewer"
    with pytest.raises(DomainError) as exc:  # a supplier that registered online has its account
        onboarding.issue_activation(reviewer, active[0])
    assert exc.value.code == "already_activated"
    with pytest.raises(DomainError) as exc:  # a landline cannot take the SMS
        onboarding.issue_activation(reviewer, landline)
    assert exc.value.code == "activation_phone_missing"
    assert db.session.scalar(db.select(db.func.count()).select_from(SupplierActivation)) == 0


def test_after_an_import_all_are_invited_at_once_and_the_landline_is_named(client, reviewer, code_for, clock):
    _imported(reviewer, code_for, row(1, code_for), row(2, code_for), row(3, code_for, 联系电话="0577-67580003"))
    login(client, reviewer)
    LogChannel.sent.clear()
    response = client.post("/suppliers/activations", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "已向 2 家供应商发送激活短信" in page and "导入公司3" in page
    assert sorted(m.phone for m in LogChannel.sent) == ["13905770001", "13905770002"]
    assert db.session.scalar(db.select(db.func.count()).select_from(SupplierActivation)) == 2


def test_the_api_sends_a_link_and_refuses_with_a_stable_code(client, reviewer, code_for, active, clock):
    (imported,) = _imported(reviewer, code_for)
    login(client, reviewer)
    sent = client.post(f"/api/v1/suppliers/{imported.id}/activation")
    assert sent.status_code == 201 and sent.get_json()["phone"] == "13905770001"
    refused = client.post(f"/api/v1/suppliers/{active[0].id}/activation")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "already_activated"
