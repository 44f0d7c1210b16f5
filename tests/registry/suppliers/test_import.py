"""Bulk import of an existing supplier library: every row checked, all rows or none, a row/column/reason
report; CSV (UTF-8 or GBK) and XLSX."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from supplier_rows import HEADER, as_csv, row


def counts():
    from accounts.models import Org
    from core.db import db
    from registry.suppliers.models import Supplier, SupplierQualification

    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Org, Supplier, SupplierQualification))


def test_one_bad_date_stores_nothing_and_the_report_names_row_and_column(reviewer, code_for):
    from core.db import db
    from registry.suppliers.importer import import_suppliers_file
    from registry.tabular import report_csv

    before = counts()
    data = as_csv([row(1, code_for), row(2, code_for, 资质名称="安全生产许可证", 资质有效期至="2027-02-30"),
                   row(3, code_for, 企业规模="巨型"), row(4, code_for, 营业执照有效期至="2025-01-01"),
                   row(5, code_for, 统一社会信用代码=code_for("330329", "MA2J0001"))])
    report = import_suppliers_file(data, "old.csv", reviewer)
    db.session.rollback()
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {(3, "资质有效期至"), (4, "企业规模"), (5, "营业执照有效期至"), (6, "统一社会信用代码")}
    assert not report.ok and report.created == 0 and counts() == before
    reasons = {p.row: p.reason for p in report.problems}
    assert "日期" in reasons[3] and "过期" in reasons[5] and "第 2 行重复" in reasons[6]
    assert "行号,列,原因" in report_csv(report)


def test_a_clean_file_is_imported_whole_as_admitted_suppliers(reviewer, code_for):
    from core.db import db
    from registry.suppliers.importer import import_suppliers_file
    from registry.suppliers.models import Supplier, SupplierStatus

    data = as_csv([row(1, code_for, 资质名称="安全生产许可证", 资质有效期至="2028-06-30"),
                   row(2, code_for, 企业规模="大型")], "gb18030")
    report = import_suppliers_file(data, "old.csv", reviewer)
    db.session.commit()
    assert report.ok and report.created == 2 and counts() == (3, 2, 3)  # the reviewer's org + two
    first, second = db.session.scalars(select(Supplier).order_by(Supplier.id))
    assert first.status is SupplierStatus.ACTIVE and first.imported and first.admin_user_id is None
    assert first.org.is_sme and not second.org.is_sme
    assert [q.expires_on.isoformat() for q in first.qualifications if q.expires_on] == ["2028-06-30"]


def test_an_org_code_warning_is_imported_and_reported(reviewer):
    from core.db import db
    from registry.suppliers.importer import import_suppliers_file
    from registry.suppliers.uscc import check_uscc, uscc_check_char

    first17 = next(f"91330329MA2W0000{d}" for d in "0123456789"
                   if check_uscc(f"91330329MA2W0000{d}" + uscc_check_char(f"91330329MA2W0000{d}")).warning)
    report = import_suppliers_file(as_csv([row(1, lambda *_: first17 + uscc_check_char(first17))]), "a.csv", reviewer)
    db.session.commit()
    assert report.ok and [(w.row, w.column) for w in report.warnings] == [(2, "统一社会信用代码")]


def test_an_existing_organisation_is_a_problem(active, reviewer):
    from registry.suppliers.importer import import_suppliers_file

    supplier, _ = active
    report = import_suppliers_file(as_csv([row(1, lambda *_: supplier.uscc)]), "a.csv", reviewer)
    assert [p.reason for p in report.problems] == ["该统一社会信用代码的单位已在平台上"]


@pytest.mark.parametrize(("data", "name", "reason"), [
    (b"", "a.csv", "文件为空"),
    (b"\xff\xfe\x00bad", "a.csv", "编码"),
    (b"not a workbook", "a.xlsx", "XLSX"),
    ("单位名称,不认识的列\n".encode(), "a.csv", "未知的列名"),
])
def test_unreadable_files(reviewer, data, name, reason):
    from registry.suppliers.importer import import_suppliers_file

    report = import_suppliers_file(data, name, reviewer)
    assert not report.ok and any(reason in p.reason for p in report.problems)


def test_xlsx_with_numbers_and_dates_as_cells(reviewer, code_for):
    from datetime import datetime

    from openpyxl import Workbook

    from core.db import db
    from registry.suppliers.importer import import_suppliers_file
    from registry.suppliers.models import Supplier

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    values = row(1, code_for, 资质名称="许可证")
    values[HEADER.index("联系电话")] = 13905770001
    values[HEADER.index("银行账号")] = 201000123456789
    values[HEADER.index("资质有效期至")] = datetime(2028, 1, 31)
    sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    report = import_suppliers_file(out.getvalue(), "old.xlsx", reviewer)
    db.session.commit()
    assert report.ok, report.problems
    supplier = db.session.scalar(select(Supplier))
    assert supplier.bank_account_number == "201000123456789" and supplier.contacts[0].phone == "13905770001"


def test_only_a_central_agency_imports_and_only_its_regions(make_user, code_for):
    from core.errors import Forbidden
    from registry.suppliers.importer import import_suppliers_file

    with pytest.raises(Forbidden):
        import_suppliers_file(as_csv([row(1, code_for)]), "a.csv", make_user("agency_staff", org_kind="agency"))
    county = make_user("agency_staff", org_kind="central_agency")
    report = import_suppliers_file(as_csv([row(1, code_for, 区划代码="330300")]), "a.csv", county)
    assert [(p.row, p.column) for p in report.problems] == [(2, "区划代码")]


def test_import_through_the_page_and_the_api(client, reviewer, clock, code_for):
    from tests_helpers import login

    login(client, reviewer)
    bad = client.post("/suppliers/import", data={"file": (io.BytesIO(as_csv([row(1, code_for, 银行账号="x")])),
                                                          "a.csv")}, content_type="multipart/form-data")
    assert bad.status_code == 422 and "import-report" in bad.get_data(as_text=True)
    api = client.post("/api/v1/suppliers/import", data={"file": (io.BytesIO(as_csv([row(1, code_for, 资质有效期至="x",
                                                                                    资质名称="证")])), "a.csv")},
                      content_type="multipart/form-data")
    assert api.status_code == 422 and api.get_json()["error"]["code"] == "import_rejected"
    assert api.get_json()["error"]["details"]["problems"][0]["column"] == "资质有效期至"
    good = client.post("/api/v1/suppliers/import", data={"file": (io.BytesIO(as_csv([row(1, code_for)])), "a.csv")},
                       content_type="multipart/form-data")
    assert good.status_code == 201 and good.get_json()["created"] == 1
