"""Import an existing expert library from CSV or XLSX: every row checked first, then all rows or none.

The header may use the English column names or the Chinese ones below. The report lists each
problem as (row, column, reason); row 1 is the header, so data rows start at 2 as in a
spreadsheet.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from accounts.models import Org, Region, User
from audit.service import record
from core import clock
from core.db import db
from registry import tabular
from registry.experts.models import Expert, ExpertSpecialty, ExpertStatus
from registry.experts.service import birth_date_of, is_valid_phone, leaf_specialties
from registry.tabular import ImportProblem, ImportReport, report_csv

__all__ = ["COLUMNS", "ImportProblem", "ImportReport", "import_experts_csv", "import_experts_file",
           "import_experts_xlsx", "report_csv"]

COLUMNS = {  # English name -> Chinese header
    "name": "姓名",
    "id_number": "身份证号码",
    "phone": "联系电话",
    "region_code": "区划代码",
    "employer": "工作单位",
    "employer_uscc": "单位统一社会信用代码",
    "title": "职称",
    "qualification": "执业资格",
    "specialties": "评审专业",
    "email": "电子邮箱",
}
REQUIRED = ("name", "id_number", "phone", "region_code", "employer", "specialties")
MAX_ROWS = 20000


class _Context:
    """What every row is checked against, loaded once."""

    def __init__(self) -> None:
        self.regions = set(db.session.scalars(select(Region.code)))
        self.specialties = {s.code for s in leaf_specialties()}
        self.taken_ids = set(db.session.scalars(select(Expert.id_number)))
        self.orgs = {uscc: oid for oid, uscc in db.session.execute(select(Org.id, Org.uscc)) if uscc}
        self.seen: dict[str, int] = {}


def _check_row(line: int, cells: dict[str, str], ctx: _Context) -> list[ImportProblem]:
    problems = []

    def bad(column: str, reason: str) -> None:
        problems.append(ImportProblem(line, COLUMNS[column], reason))

    for column in REQUIRED:
        if not cells.get(column):
            bad(column, "必填项为空")
    id_number = cells.get("id_number", "").upper()
    if id_number:
        if birth_date_of(id_number) is None:
            bad("id_number", "身份证号码无效（长度、出生日期或校验位不符）")
        elif id_number in ctx.taken_ids:
            bad("id_number", "该专家已在库中")
        elif id_number in ctx.seen:
            bad("id_number", f"与第 {ctx.seen[id_number]} 行重复")
        else:
            ctx.seen[id_number] = line
    if cells.get("phone") and not is_valid_phone(cells["phone"]):
        bad("phone", "联系电话格式不正确")
    if cells.get("region_code") and cells["region_code"] not in ctx.regions:
        bad("region_code", "区划代码不存在")
    if cells.get("employer_uscc") and cells["employer_uscc"].upper() not in ctx.orgs:
        bad("employer_uscc", "平台上没有此统一社会信用代码的单位")
    codes = [c.strip() for c in cells.get("specialties", "").replace("；", ";").split(";") if c.strip()]
    unknown = [c for c in codes if c not in ctx.specialties]
    if unknown:
        bad("specialties", f"评审专业代码不存在或不是末级专业：{'、'.join(unknown)}")
    return problems


def _expert_from(cells: dict[str, str], ctx: _Context, now) -> Expert:
    id_number = cells["id_number"].upper()
    codes = sorted({c.strip() for c in cells["specialties"].replace("；", ";").split(";") if c.strip()})
    uscc = cells.get("employer_uscc", "").upper()
    return Expert(
        name=cells["name"],
        id_number=id_number,
        birth_date=birth_date_of(id_number),
        phone=cells["phone"],
        email=cells.get("email") or None,
        region_code=cells["region_code"],
        employer_name=cells["employer"],
        employer_org_id=ctx.orgs.get(uscc) if uscc else None,
        title=cells.get("title", ""),
        qualification=cells.get("qualification", ""),
        status=ExpertStatus.ACTIVE,
        registered_at=now,
        admitted_at=now,
        specialty_rows=[ExpertSpecialty(specialty_code=c) for c in codes],
    )


def import_experts_csv(data: bytes, actor: User) -> ImportReport:
    """Check every row; write all experts (admitted, as an existing library) only if none failed."""
    return _import_file(lambda: tabular.csv_rows(data), data, actor)


def import_experts_xlsx(data: bytes, actor: User) -> ImportReport:
    """The same import from the first sheet of an .xlsx workbook (needs openpyxl)."""
    return _import_file(lambda: tabular.xlsx_rows(data), data, actor)


def import_experts_file(data: bytes, filename: str, actor: User) -> ImportReport:
    """CSV or XLSX by the file name."""
    return _import_file(lambda: tabular.file_rows(data, filename), data, actor)


def _import_file(read, data: bytes, actor: User) -> ImportReport:
    try:
        rows = read()
    except tabular.UnreadableFile as exc:
        return tabular.failed(str(exc))
    return _import_rows(rows, data, actor)


def _import_rows(rows: list[list[str]], data: bytes, actor: User) -> ImportReport:
    report = ImportReport()
    if not rows:
        return tabular.failed("文件为空")
    index, report.problems = tabular.header_map([str(c) for c in rows[0]], COLUMNS, REQUIRED)
    if report.problems:
        return report
    body = tabular.body_rows(rows, index)
    report.rows = len(body)
    if len(body) > MAX_ROWS:
        report.problems.append(ImportProblem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return report
    ctx = _Context()
    parsed = []
    for line, cells in body:
        report.problems += _check_row(line, cells, ctx)
        parsed.append(cells)
    if report.problems:
        return report
    now = clock.now()
    experts = [_expert_from(cells, ctx, now) for cells in parsed]
    db.session.add_all(experts)
    db.session.flush()
    report.created = len(experts)
    record(
        "registry.experts_imported",
        None,
        {"rows": len(experts), "sha256": hashlib.sha256(data).hexdigest(), "first_id": experts[0].id if experts else 0},
        actor=f"user:{actor.id}",
        object_type="registry_expert",
    )
    return report
