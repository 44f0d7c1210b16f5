"""Demo supplier library: the six demo supplier organisations admitted with their profiles (one with a
certificate expiring within the reminder window, one with a bank-account change waiting), and a new
supplier's application submitted and waiting for the central agency (login gysnew)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from accounts.models import User
from core import clock
from core.db import db
from core.demo import LOGIN_PROVIDERS, seeder
from registry.suppliers import changes, service
from registry.suppliers.models import QualificationKind, SizeClass, Supplier, SupplierContact, SupplierStatus
from registry.suppliers.uscc import check_uscc, org_code_check_char, uscc_check_char

NEW_SUPPLIER_LOGIN = "gysnew"
SIZES = [SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.MICRO, SizeClass.LARGE, SizeClass.SMALL, SizeClass.LARGE]
LEGAL = ["陈云帆", "李华瑞", "张绿源", "王博远", "赵新锐", "周正泰"]
BANKS = ["中国工商银行泰顺支行", "中国农业银行温州分行", "泰顺农村商业银行", "中国银行杭州分行",
         "中国建设银行温州分行", "浙商银行温州分行"]


def valid_uscc(region: str, body8: str) -> str:
    """A code that passes both checks: `9` + `1` + division + organisation code + check character."""
    first17 = f"91{region}{body8}{org_code_check_char(body8)}"
    return first17 + uscc_check_char(first17)


def scan(title: str, holder: str) -> bytes:
    """A one-page PDF standing in for a scanned certificate."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    from core.pdf import cjk_font

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A5)
    page.setFont(cjk_font(), 16)
    page.drawString(40, 480, f"{title}（演示扫描件）")
    page.setFont(cjk_font(), 12)
    page.drawString(40, 450, f"持证单位：{holder}")
    page.save()
    return out.getvalue()


def _add(user: User, supplier: Supplier, kind: QualificationKind, name: str, days: int | None) -> None:
    expires = service.today() + timedelta(days=days) if days is not None else None
    service.add_qualification(user, supplier, kind.value, name, f"DEMO-{supplier.id:04d}-{kind.value[:3]}", expires,
                              f"{name}.pdf", io.BytesIO(scan(name, supplier.name)))


@seeder("registry_suppliers")
def seed_suppliers(context: dict) -> None:
    users = context.get("users", {})
    orgs = context.get("orgs", {}).get("suppliers", [])
    if not orgs:
        return
    now = clock.now()
    for i, org in enumerate(orgs):
        user = users.get(f"gys{i + 1}")
        size = SIZES[i % len(SIZES)]
        supplier = Supplier(org_id=org.id, admin_user_id=user.id if user else None, status=SupplierStatus.ACTIVE,
                            legal_representative=LEGAL[i % len(LEGAL)],
                            address=f"浙江省温州市泰顺县罗阳镇建设路{10 + i}号",
                            size_class=size, bank_name=BANKS[i % len(BANKS)], bank_account_name=org.name,
                            bank_account_number=f"12030{i:02d}0900{i:04d}7788",
                            uscc_warning=check_uscc(org.uscc).warning, created_at=now, submitted_at=now,
                            admitted_at=now, imported=True,
                            contacts=[SupplierContact(name=f"{LEGAL[i % len(LEGAL)][0]}经理", phone=f"1390577{i:04d}")])
        if supplier.uscc_warning:
            supplier.uscc_confirm_note = "演示数据：已核对营业执照原件"
        db.session.add(supplier)
        db.session.flush()
        service.sync_sme(supplier)
        if user is not None:
            _add(user, supplier, QualificationKind.BUSINESS_LICENCE, "营业执照", None)
            # 浙江云帆 (gys1): its certification expires inside the 30-day reminder window
            _add(user, supplier, QualificationKind.CERTIFICATION, "ISO 9001 质量管理体系认证证书",
                 20 if i == 0 else 400 + 30 * i)
    gys2 = users.get("gys2")
    if gys2 is not None:  # 温州华瑞 moved its account to another bank; the central agency has not decided yet
        supplier = service.supplier_of_org(gys2.org_id)
        changes.request_change(gys2, supplier, {"bank_name": "中国银行温州分行",
                                                "bank_account_number": "356677889900112233"}, "基本户变更")
    _new_application()
    zhongxin = users.get("zhongxin")
    if zhongxin is not None:
        _imported_without_account(zhongxin)
    context.setdefault("logins", []).extend(demo_logins())


def _imported_without_account(reviewer: User) -> None:
    """A company from the county's old library, imported by the central agency through the import path:
    admitted but without an account, so its page offers zhongxin the activation SMS."""
    from registry.suppliers import importer, onboarding

    headers = list(importer.COLUMNS.values())
    values = {"单位名称": "泰顺县华泰印务有限公司", "统一社会信用代码": valid_uscc("330329", "MA2H7Y4P"),
              "区划代码": "330329", "法定代表人": "包华泰", "地址": "浙江省温州市泰顺县罗阳镇印刷园路6号",
              "企业规模": "微型", "联系人": "包华泰", "联系电话": "13905770166", "开户银行": "泰顺农村商业银行罗阳支行",
              "银行账户名称": "泰顺县华泰印务有限公司", "银行账号": "201000876543210166"}
    out = io.StringIO()
    csv.writer(out).writerows([headers, [values.get(h, "") for h in headers]])
    report = importer.import_suppliers_file(out.getvalue().encode(), "泰顺县原供应商库.csv", reviewer)
    if not report.ok:
        raise RuntimeError(f"demo supplier import refused: {report.problems}")
    assert onboarding.pending_suppliers(reviewer)


def _new_application() -> None:
    """A supplier that registered online through the page's path and submitted its application."""
    from accounts.demo import DEMO_PASSWORD

    data = service.Application(
        name="温州启明智能科技有限公司", uscc=valid_uscc("330329", "MA2KQ7L3"), region_code="330329",
        legal_representative="林启明", address="浙江省温州市泰顺县罗阳镇新城大道88号", size_class="small",
        contacts=[("林启明", "13905770088"), ("吴婷", "0577-67581234")], bank_name="泰顺农村商业银行营业部",
        bank_account_name="温州启明智能科技有限公司", bank_account_number="201000123456789012")
    supplier = service.register_supplier(data, service.Administrator(
        username=NEW_SUPPLIER_LOGIN, name="林启明", phone="13905770088", password=DEMO_PASSWORD,
        password2=DEMO_PASSWORD))
    user = supplier.admin_user
    _add(user, supplier, QualificationKind.BUSINESS_LICENCE, "营业执照", None)
    _add(user, supplier, QualificationKind.PERMIT, "增值电信业务经营许可证", 900)
    service.submit_application(user, supplier)


def demo_logins() -> list[dict]:
    from accounts.demo import DEMO_PASSWORD

    return [{"role": "supplier", "username": NEW_SUPPLIER_LOGIN, "password": DEMO_PASSWORD, "totp": None,
             "name": "温州启明智能科技有限公司 管理员（注册申请待审核）"}]


LOGIN_PROVIDERS.append(demo_logins)
