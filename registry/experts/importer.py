"""Import an existing expert library from CSV or XLSX: every row checked first, then all rows or none.

The header may use the English column names or the Chinese ones below. The report lists each
problem as (row, column, reason); row 1 is the header, so data rows start at 2 as in a
spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from accounts.models import Org, Region, User
from audit.service import record
from core import clock
from core.db import db
from registry.experts.models import Expert, ExpertSpecialty, ExpertStatus
from registry.experts.service import birth_date_of, is_valid_phone, leaf_specialties

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


@dataclass
class ImportProblem:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("csv", data, 0, 1, "neither UTF-8 nor GB18030")


def _header_map(header: list[str]) -> tuple[dict[str, int], list[ImportProblem]]:
    by_name = {v: k for k, v in COLUMNS.items()} | {k: k for k in COLUMNS}
    index, problems = {}, []
    for i, raw in enumerate(header):
        key = by_name.get(raw.strip())
        if key is None:
            problems.append(ImportProblem(1, raw, "未知的列名"))
        elif key in index:
            problems.append(ImportProblem(1, raw, "列名重复"))
        else:
            index[key] = i
    problems += [ImportProblem(1, COLUMNS[k], "缺少必填列") for k in REQUIRED if k not in index]
    return index, problems


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
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        return _failed("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV")
    return _import_rows(list(csv.reader(io.StringIO(text))), data, actor)


def import_experts_xlsx(data: bytes, actor: User) -> ImportReport:
    """The same import from the first sheet of an .xlsx workbook (needs openpyxl)."""
    try:
        from openpyxl import load_workbook
    except ImportError:
        return _failed("服务器未安装 XLSX 支持，请另存为 CSV 后导入")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        return _failed("无法读取该 XLSX 文件，请确认文件未损坏")
    rows = [[_cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return _import_rows(rows, data, actor)


def import_experts_file(data: bytes, filename: str, actor: User) -> ImportReport:
    """CSV or XLSX by the file name."""
    if filename.lower().endswith(".xlsx"):
        return import_experts_xlsx(data, actor)
    return import_experts_csv(data, actor)


def _cell_text(value: object) -> str:
    """Spreadsheets store ID and phone numbers as numbers: write them back as digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _failed(reason: str) -> ImportReport:
    return ImportReport(problems=[ImportProblem(0, "", reason)])


def _import_rows(rows: list[list[str]], data: bytes, actor: User) -> ImportReport:
    report = ImportReport()
    if not rows:
        return _failed("文件为空")
    index, report.problems = _header_map([str(c) for c in rows[0]])
    if report.problems:
        return report
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(str(c).strip() for c in r)]
    report.rows = len(body)
    if len(body) > MAX_ROWS:
        report.problems.append(ImportProblem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return report
    ctx = _Context()
    parsed = []
    for line, row in body:
        cells = {k: (str(row[i]).strip() if i < len(row) else "") for k, i in index.items()}
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


def report_csv(report: ImportReport) -> str:
    """The validation report as CSV (行号, 列, 原因) for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "原因"])
    for p in report.problems:
        writer.writerow([p.row, p.column, p.reason])
    return out.getvalue()
