"""Registration, completeness, review: through the services, the pages (as a new user would) and the API;
bad input leaves nothing stored."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from tests_helpers import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def count(model) -> int:
    from core.db import db

    return db.session.scalar(select(func.count()).select_from(model))


def form_of(app_data, admin_data) -> dict:
    data = {k: getattr(app_data, k) for k in ("name", "uscc", "region_code", "legal_representative", "address",
                                              "size_class", "bank_name", "bank_account_name", "bank_account_number")}
    data["contact_name"] = [n for n, _ in app_data.contacts]
    data["contact_phone"] = [p for _, p in app_data.contacts]
    return data | {"username": admin_data.username, "admin_name": admin_data.name, "admin_phone": admin_data.phone,
                   "password": admin_data.password, "password2": admin_data.password2}


def test_a_new_supplier_registers_submits_and_is_admitted_through_the_pages(client, app_ctx, region, clock,
                                                                            reviewer, new_application,
                                                                            administrator, sent):
    from accounts.models import Org, User
    from core.clock import to_local
    from core.db import db
    from registry.suppliers.models import Supplier, SupplierStatus

    assert client.get("/suppliers/register").status_code == 200
    page = client.post("/suppliers/register", data=form_of(new_application(), administrator()))
    assert page.status_code == 302 and page.headers["Location"].endswith("/suppliers/me")
    supplier = db.session.scalar(select(Supplier))
    assert supplier.status is SupplierStatus.DRAFT and supplier.org.kind.value == "supplier"
    assert supplier.org.is_sme  # small
    user = db.session.scalar(select(User).where(User.username == "newsupplier"))
    assert user.password_hash.startswith("$argon2") and user.org_id == supplier.org_id
    me = client.get("/suppliers/me").get_data(as_text=True)
    assert "营业执照扫描件" in me  # what is missing

    refused = client.post("/suppliers/me/submit")
    assert refused.status_code == 302 and db.session.get(Supplier, supplier.id).status is SupplierStatus.DRAFT
    upload = client.post("/suppliers/me/qualifications", data={
        "kind": "business_licence", "qualification_name": "营业执照", "expires_on": "",
        "file": (io.BytesIO(PDF), "licence.pdf")}, content_type="multipart/form-data")
    assert upload.status_code == 302
    assert client.post("/suppliers/me/submit").status_code == 302
    db.session.expire_all()
    supplier = db.session.get(Supplier, supplier.id)
    assert supplier.status is SupplierStatus.SUBMITTED
    # 5 working days from Friday 2026-11-27: Friday 2026-12-04, to the end of that day in Beijing
    assert to_local(supplier.review_due_at).date() == date(2026, 12, 4)
    assert ("新的供应商注册申请", [reviewer.org_id]) in sent

    client.post("/logout")
    clock.advance(timedelta(seconds=31))
    assert login(client, reviewer).status_code == 302
    listing = client.get("/suppliers/?status=submitted").get_data(as_text=True)
    assert "温州测试科技有限公司" in listing
    assert client.get(f"/suppliers/{supplier.id}").status_code == 200
    back = client.post(f"/suppliers/{supplier.id}/review", data={"action": "return", "reason": ""})
    assert back.status_code == 302
    assert db.session.get(Supplier, supplier.id).status is SupplierStatus.SUBMITTED  # a reason is required
    assert client.post(f"/suppliers/{supplier.id}/review", data={"action": "admit"}).status_code == 302
    db.session.expire_all()
    supplier = db.session.get(Supplier, supplier.id)
    assert supplier.status is SupplierStatus.ACTIVE and supplier.reviewed_by_id == reviewer.id
    assert db.session.get(Org, supplier.org_id).is_sme
    assert ("供应商注册已通过", [supplier.org_id]) in sent


def test_a_returned_application_comes_back_with_its_reason(draft, reviewer):
    from core.db import db
    from registry.suppliers import service
    from registry.suppliers.models import SupplierStatus

    supplier, user = draft
    service.submit_application(user, supplier)
    service.return_application(reviewer, supplier, "营业执照扫描件不清晰")
    db.session.commit()
    assert supplier.status is SupplierStatus.DRAFT and supplier.status_reason == "营业执照扫描件不清晰"
    assert supplier.review_due_at is None
    service.submit_application(user, supplier)  # corrected and submitted again
    assert supplier.status is SupplierStatus.SUBMITTED and supplier.status_reason == ""


def test_only_the_central_agency_of_the_region_reviews(draft, make_user):
    from core.errors import Forbidden
    from registry.suppliers import service

    supplier, user = draft
    service.submit_application(user, supplier)
    for other in (make_user("agency_staff", org_kind="agency", totp=False), make_user("supervisor", totp=False),
                  user):
        with pytest.raises(Forbidden) as refused:
            service.admit_supplier(other, supplier)
        assert refused.value.code == "not_supplier_reviewer"


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"uscc": "91330329MA2T00010"}, "uscc", "uscc_invalid"),  # 17 characters
    ({"uscc": "91330329MA2T0001XZ"}, "uscc", "uscc_invalid"),
    ({"name": " "}, "name", "name_required"),
    ({"legal_representative": ""}, "legal_representative", "legal_representative_required"),
    ({"size_class": "巨型"}, "size_class", "size_class_invalid"),
    ({"contacts": []}, "contacts", "contact_required"),
    ({"contacts": [("李四", "12345")]}, "contacts", "contact_phone_invalid"),
    ({"bank_account_number": "12ab"}, "bank_account_number", "bank_account_number_invalid"),
    ({"region_code": "999999"}, "region_code", "region_invalid"),
])
def test_bad_input_names_the_field_and_stores_nothing(app_ctx, region, clock, new_application, administrator,
                                                      change, field, code):
    from accounts.models import Org, User
    from core.db import db
    from core.errors import ValidationError
    from registry.suppliers import service

    with pytest.raises(ValidationError) as refused:
        service.register_supplier(new_application(**change), administrator())
    db.session.rollback()
    assert refused.value.code == code and refused.value.details["field"] == field
    assert count(Org) == 0 and count(User) == 0


def test_a_duplicate_organisation_is_refused(client, draft, new_application, administrator):
    from accounts.models import Org, User

    page = client.post("/suppliers/register", data=form_of(new_application(name="另一家公司"),
                                                            administrator("other")))
    assert page.status_code == 409 and "已在平台注册" in page.get_data(as_text=True)
    assert count(Org) == 1 and count(User) == 1


def test_an_expired_qualification_is_refused_and_no_file_is_left(app, draft, clock):
    from core.db import db
    from core.errors import ValidationError
    from registry.suppliers import service
    from registry.suppliers.models import SupplierQualification

    supplier, user = draft
    root = service.AREA.root()
    before = sorted(p for p in root.rglob("*") if p.is_file())
    with pytest.raises(ValidationError) as refused:
        service.add_qualification(user, supplier, "industry", "建筑业企业资质证书", "D1", date(2026, 11, 26),
                                  "old.pdf", io.BytesIO(PDF))
    db.session.rollback()
    assert refused.value.code == "qualification_expired" and refused.value.details["field"] == "expires_on"
    assert count(SupplierQualification) == 1
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before


def test_a_file_that_is_not_a_scan_is_refused_and_removed(draft):
    from core.db import db
    from core.errors import ValidationError
    from registry.suppliers import service

    supplier, user = draft
    root = service.AREA.root()
    before = sorted(p for p in root.rglob("*") if p.is_file())
    with pytest.raises(ValidationError) as refused:
        service.add_qualification(user, supplier, "industry", "资质", "", None, "x.exe", io.BytesIO(b"MZ\x90\x00"))
    db.session.rollback()
    assert refused.value.code == "document_type_invalid"
    assert sorted(p for p in root.rglob("*") if p.is_file()) == before


def test_a_stored_scan_is_removed_when_the_transaction_rolls_back(draft):
    from core.db import db
    from registry.suppliers import service

    supplier, user = draft
    q = service.add_qualification(user, supplier, "industry", "资质", "", None, "q.pdf", io.BytesIO(PDF))
    path = service.AREA.absolute(q.path)
    assert path.exists()
    db.session.rollback()
    assert not path.exists()


def test_the_older_check_only_is_a_warning_the_reviewer_confirms_on_record(app_ctx, region, clock, reviewer,
                                                                          new_application, administrator):
    from audit.models import AuditEvent
    from core.db import db
    from core.errors import ValidationError
    from registry.suppliers import service
    from registry.suppliers.uscc import uscc_check_char

    first17 = "91330329MA2T00010"[:16] + "9"  # the organisation code's check character is wrong
    first17 = first17 if service.check_uscc(first17 + uscc_check_char(first17)).warning else first17[:16] + "8"
    code = first17 + uscc_check_char(first17)
    supplier = service.register_supplier(new_application(uscc=code), administrator())
    assert "GB 11714" in supplier.uscc_warning
    service.add_qualification(supplier.admin_user, supplier, "business_licence", "营业执照", "", None, "l.pdf",
                              io.BytesIO(PDF))
    service.submit_application(supplier.admin_user, supplier)
    with pytest.raises(ValidationError) as refused:
        service.admit_supplier(reviewer, supplier)
    assert refused.value.code == "uscc_warning_unconfirmed"
    service.admit_supplier(reviewer, supplier, "已核对营业执照原件，代码为旧证换发")
    db.session.commit()
    assert supplier.uscc_confirmed_by_id == reviewer.id
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"registry.supplier_uscc_warning_overridden", "registry.supplier_status"} <= actions


def test_a_complete_application_is_always_admitted_there_is_no_quota(app_ctx, region, clock, reviewer,
                                                                    new_application, administrator, code_for):
    from core.db import db
    from registry.suppliers import service
    from registry.suppliers.models import SupplierStatus

    for n in range(5):
        s = service.register_supplier(new_application(name=f"公司{n}", uscc=code_for("330329", f"MA2Q000{n}")),
                                      administrator(f"sup{n}"))
        service.add_qualification(s.admin_user, s, "business_licence", "营业执照", "", None, "l.pdf", io.BytesIO(PDF))
        service.submit_application(s.admin_user, s)
        service.admit_supplier(reviewer, s)
        assert s.status is SupplierStatus.ACTIVE
    db.session.commit()


def test_suspend_reinstate_deregister(active, reviewer):
    from core.errors import Conflict, ValidationError
    from registry.suppliers import service
    from registry.suppliers.models import SupplierStatus

    supplier, user = active
    with pytest.raises(ValidationError):
        service.suspend_supplier(reviewer, supplier, "")
    service.suspend_supplier(reviewer, supplier, "提供虚假材料，调查中")
    assert supplier.status is SupplierStatus.SUSPENDED
    service.reinstate_supplier(reviewer, supplier)
    service.deregister_supplier(user, supplier, "企业注销")  # the supplier itself may leave
    assert supplier.status is SupplierStatus.DEREGISTERED
    with pytest.raises(Conflict) as refused:
        service.reinstate_supplier(reviewer, supplier)
    assert refused.value.code == "supplier_transition_refused"


# ---------------------------------------------------------------- API


def test_the_api_application_review_and_errors(client, draft, reviewer, clock):
    supplier, user = draft
    assert login(client, user).status_code == 302
    me = client.get("/api/v1/suppliers/me").get_json()
    assert me["status"] == "draft" and me["missing"] == [] and me["is_sme"] is True
    body = {k: me[k] for k in ("name", "uscc", "region_code", "legal_representative", "address", "size_class")}
    body |= {"contacts": me["contacts"], "bank_name": "工商银行", "bank_account_name": me["name"],
             "bank_account_number": "6222000011112222", "size_class": "large"}
    bad = client.put("/api/v1/suppliers/me", json=body | {"uscc": "123"})
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "uscc_invalid"
    assert bad.get_json()["error"]["details"]["field"] == "uscc"
    put = client.put("/api/v1/suppliers/me", json=body)
    assert put.status_code == 200 and put.get_json()["is_sme"] is False  # large: Org.is_sme follows
    expired = client.post("/api/v1/suppliers/me/qualifications", data={
        "kind": "permit", "qualification_name": "许可证", "expires_on": "2020-01-01",
        "file": (io.BytesIO(PDF), "p.pdf")}, content_type="multipart/form-data")
    assert expired.status_code == 422 and expired.get_json()["error"]["code"] == "qualification_expired"
    bad_date = client.post("/api/v1/suppliers/me/qualifications", data={
        "kind": "permit", "qualification_name": "许可证", "expires_on": "2027-02-30",
        "file": (io.BytesIO(PDF), "p.pdf")}, content_type="multipart/form-data")
    assert bad_date.get_json()["error"] == {"code": "date_invalid", "message": bad_date.get_json()["error"]["message"],
                                            "details": {"field": "expires_on"}}
    assert client.post("/api/v1/suppliers/me/submit").get_json()["status"] == "submitted"
    assert client.get("/api/v1/suppliers").status_code == 403
    client.post("/logout")
    clock.advance(timedelta(seconds=31))
    login(client, reviewer)
    listed = client.get("/api/v1/suppliers?status=submitted").get_json()
    assert [s["id"] for s in listed] == [supplier.id] and listed[0]["review_overdue"] is False
    assert client.get("/api/v1/suppliers?status=active").get_json() == []
    refused = client.post(f"/api/v1/suppliers/{supplier.id}/review", json={"action": "suspend", "reason": "x"})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "supplier_transition_refused"
    admitted = client.post(f"/api/v1/suppliers/{supplier.id}/review", json={"action": "admit"})
    assert admitted.status_code == 200 and admitted.get_json()["status"] == "active"
    detail = client.get(f"/api/v1/suppliers/{supplier.id}").get_json()
    assert detail["bank"]["account_number"] == "6222000011112222" and detail["changes"] == []
    assert client.get("/api/v1/suppliers/999999").get_json()["error"]["code"] == "supplier_not_found"


def test_the_public_list_shows_active_suppliers_only(client, active, new_application, administrator, code_for):
    from core.db import db
    from registry.suppliers import service

    service.register_supplier(new_application(name="草稿公司", uscc=code_for("330329", "MA2Q0099")),
                              administrator("drafty"))
    db.session.commit()
    page = client.get("/suppliers/public").get_data(as_text=True)
    assert "温州测试科技有限公司" in page and "草稿公司" not in page


def test_supervisor_list_filters(client, active, make_user, clock):
    supervisor = make_user("supervisor", totp=True)
    login(client, supervisor)
    assert "温州测试科技有限公司" in client.get("/suppliers/?size_class=small&q=测试").get_data(as_text=True)
    assert "温州测试科技有限公司" not in client.get("/suppliers/?size_class=large").get_data(as_text=True)
    assert client.post(f"/suppliers/{active[0].id}/review", data={"action": "suspend"}).status_code == 403


def test_a_credit_record_warns_the_reviewer_but_never_refuses(client, draft, reviewer, make_user, clock):
    from core.db import db
    from registry.credit import importer as credit_importer
    from registry.suppliers import service
    from registry.suppliers.models import SupplierStatus

    supplier, user = draft
    listed = ("记录类别,名称,统一社会信用代码,地址,案件,处罚依据,处罚结果,记录日期,发生地,处罚截止日期,来源\n"
              f"政府采购严重违法失信行为,{supplier.name},{supplier.uscc},泰顺县,提供虚假材料谋取中标,"
              "政府采购法第七十七条,禁止参加政府采购活动二年,2026-06-01,泰顺县,2028-05-31,中国政府采购网\n")
    report = credit_importer.import_records_file(listed.encode(), "list.csv", make_user("finance_reviewer"))
    assert report.ok, report.problems
    db.session.commit()
    service.submit_application(user, supplier)
    db.session.commit()
    assert service.credit_warning(supplier) is not None
    login(client, reviewer)
    assert 'id="credit-warning"' in client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert client.get(f"/api/v1/suppliers/{supplier.id}").get_json()["credit_warning"]["summary"]
    service.admit_supplier(reviewer, supplier)  # registration is a completeness check: admitted all the same
    assert supplier.status is SupplierStatus.ACTIVE


def test_the_profiles_link_suppliers_in_the_identity_graph(active, new_application, administrator, code_for, reviewer):
    from core.db import db
    from registry.collusion.identity import group_of
    from registry.suppliers import service

    supplier, _ = active
    other = service.register_supplier(new_application(name="另一家公司", uscc=code_for("330329", "MA2Q0077"),
                                                      contacts=[("王五", "13905779999")]), administrator("other"))
    db.session.commit()
    group = group_of(supplier.org_id)
    assert other.org_id in group["members"]  # the same bank account and legal representative
    assert {"bank_account", "representative"} <= {link["kind"] for link in group["links"]}


def test_the_registration_page_is_for_someone_logged_out(client, active, reviewer, clock):
    _supplier, user = active
    login(client, user)
    assert client.get("/suppliers/register").headers["Location"].endswith("/suppliers/me")
    client.post("/logout")
    clock.advance(timedelta(seconds=31))
    login(client, reviewer)
    assert client.get("/suppliers/register").headers["Location"].endswith("/dashboard")
