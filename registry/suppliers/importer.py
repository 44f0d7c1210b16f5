"""Import an existing supplier library from CSV or XLSX: every row checked first, then all rows or none
(the report machinery of `registry.tabular`, shared with the expert import).

Imported suppliers are admitted (they were in the county's library already) with no account yet; a row
whose USCC fails only the embedded GB 11714 check is accepted with a warning in the report, kept on the
supplier for the reviewer. An expired qualification, a bad date, a duplicate USCC: the row's problem,
and nothing is stored.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from accounts.models import Org, OrgKind, Region, Role, User
from accounts.service import regions_under
from audit.service import record
from core import clock
from core.db import db
from core.errors import DomainError, Forbidden
from registry import tabular
from registry.suppliers.models import (
    QualificationKind,
    Supplier,
    SupplierContact,
    SupplierQualification,
    SupplierStatus,
)
from registry.suppliers.service import (
    SME_SIZES,
    check_bank,
    check_contacts,
    is_central_agency_staff,
    parse_day,
    required_text,
    schedule_expiry,
    size_of,
    today,
)
from registry.suppliers.uscc import check_uscc
from registry.tabular import ImportProblem, ImportReport

COLUMNS = {  # English name -> Chinese header
    "name": "单位名称",
    "uscc": "统一社会信用代码",
    "region_code": "区划代码",
    "legal_representative": "法定代表人",
    "address": "地址",
    "size_class": "企业规模",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "bank_name": "开户银行",
    "bank_account_name": "银行账户名称",
    "bank_account_number": "银行账号",
    "licence_expires_on": "营业执照有效期至",
    "qualification_name": "资质名称",
    "qualification_number": "资质证书编号",
    "qualification_expires_on": "资质有效期至",
}
REQUIRED = ("name", "uscc", "region_code", "legal_representative", "address", "size_class", "contact_name",
            "contact_phone", "bank_name", "bank_account_name", "bank_account_number")
MAX_ROWS = 20000


class _Context:
    def __init__(self, actor: User) -> None:
        self.regions = set(db.session.scalars(select(Region.code)))
        if not actor.has_role(Role.ADMIN):  # a central agency imports its own region's library
            self.regions &= regions_under(actor.org.region_code) if actor.org else set()
        self.taken = set(db.session.scalars(select(Org.uscc).where(Org.uscc.is_not(None))))
        self.seen: dict[str, int] = {}
        self.today = today()


def _check_row(line: int, cells: dict[str, str], ctx: _Context, report: ImportReport) -> dict | None:
    problems: list[ImportProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(ImportProblem(line, COLUMNS[column], reason))

    def attempt(column: str, fn, *args):
        try:
            return fn(*args)
        except DomainError as exc:
            bad(column, exc.message)
            return None

    for column in REQUIRED:
        if not cells.get(column):
            bad(column, "必填项为空")
    out: dict = {}
    if cells.get("uscc"):
        result = check_uscc(cells["uscc"])
        if not result.ok:
            bad("uscc", result.error)
        elif result.code in ctx.taken:
            bad("uscc", "该统一社会信用代码的单位已在平台上")
        elif result.code in ctx.seen:
            bad("uscc", f"与第 {ctx.seen[result.code]} 行重复")
        else:
            ctx.seen[result.code] = line
            out["uscc"], out["uscc_warning"] = result.code, result.warning
            if result.warning:
                report.warnings.append(ImportProblem(line, COLUMNS["uscc"], result.warning))
    if cells.get("region_code") and cells["region_code"] not in ctx.regions:
        bad("region_code", "区划代码不存在或不在本机构管辖范围内")
    for column, label, limit in (("name", "单位名称", 120), ("legal_representative", "法定代表人", 60),
                                 ("address", "地址", 200)):
        if cells.get(column):
            out[column] = attempt(column, required_text, cells[column], column, label, limit)
    if cells.get("size_class"):
        size = attempt("size_class", size_of, cells["size_class"])
        out["size_class"] = size
    if cells.get("contact_name") and cells.get("contact_phone"):
        out["contacts"] = attempt("contact_phone", check_contacts, [(cells["contact_name"], cells["contact_phone"])])
    if all(cells.get(c) for c in ("bank_name", "bank_account_name", "bank_account_number")):
        bank = attempt("bank_account_number", check_bank, cells["bank_name"], cells["bank_account_name"],
                       cells["bank_account_number"])
        out["bank"] = bank
    for column, label in (("licence_expires_on", "营业执照有效期至"), ("qualification_expires_on", "资质有效期至")):
        day = attempt(column, parse_day, cells.get(column, ""), column, label)
        if day is not None and day < ctx.today:
            bad(column, f"已于 {day.isoformat()} 过期")
        out[column] = day
    if cells.get("qualification_expires_on") and not cells.get("qualification_name"):
        bad("qualification_name", "填写了资质有效期，请同时填写资质名称")
    if problems:
        report.problems += problems
        return None
    return out | {"region_code": cells["region_code"], "qualification_name": cells.get("qualification_name", ""),
                  "qualification_number": cells.get("qualification_number", "")}


def _supplier_from(row: dict, now) -> Supplier:
    size = row["size_class"]
    org = Org(name=row["name"], kind=OrgKind.SUPPLIER, region_code=row["region_code"], uscc=row["uscc"],
              is_sme=size in SME_SIZES)
    db.session.add(org)
    db.session.flush()
    supplier = Supplier(org_id=org.id, status=SupplierStatus.ACTIVE, legal_representative=row["legal_representative"],
                        address=row["address"], size_class=size, bank_name=row["bank"][0],
                        bank_account_name=row["bank"][1], bank_account_number=row["bank"][2],
                        uscc_warning=row["uscc_warning"], created_at=now, admitted_at=now, imported=True,
                        contacts=[SupplierContact(name=n, phone=p) for n, p in row["contacts"]])
    quals = [SupplierQualification(kind=QualificationKind.BUSINESS_LICENCE, name="营业执照", number=row["uscc"],
                                   expires_on=row["licence_expires_on"], added_at=now)]
    if row["qualification_name"]:
        quals.append(SupplierQualification(kind=QualificationKind.INDUSTRY, name=row["qualification_name"][:120],
                                           number=row["qualification_number"][:60],
                                           expires_on=row["qualification_expires_on"], added_at=now))
    for q in quals:
        schedule_expiry(q, row["region_code"])
    supplier.qualifications = quals
    return supplier


def import_suppliers_file(data: bytes, filename: str, actor: User) -> ImportReport:
    """Check every row; write all suppliers (admitted, as an existing library) only if none failed."""
    if not (actor.has_role(Role.ADMIN) or is_central_agency_staff(actor)):
        raise Forbidden("只有集中采购机构可以导入供应商库。", code="not_supplier_reviewer")
    try:
        rows = tabular.file_rows(data, filename)
    except tabular.UnreadableFile as exc:
        return tabular.failed(str(exc))
    if not rows:
        return tabular.failed("文件为空")
    report = ImportReport()
    index, report.problems = tabular.header_map([str(c) for c in rows[0]], COLUMNS, REQUIRED)
    if report.problems:
        return report
    body = tabular.body_rows(rows, index)
    report.rows = len(body)
    if len(body) > MAX_ROWS:
        report.problems.append(ImportProblem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return report
    ctx = _Context(actor)
    checked = [_check_row(line, cells, ctx, report) for line, cells in body]
    if report.problems:
        return report
    now = clock.now()
    suppliers = [_supplier_from(row, now) for row in checked]
    db.session.add_all(suppliers)
    db.session.flush()
    report.created = len(suppliers)
    record("registry.suppliers_imported", None,
           {"rows": len(suppliers), "sha256": hashlib.sha256(data).hexdigest(),
            "first_id": suppliers[0].id if suppliers else 0, "warnings": len(report.warnings)},
           actor=f"user:{actor.id}", object_type="registry_supplier")
    return report
