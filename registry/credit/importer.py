"""Import credit records (the three national lists) from CSV or XLSX: every row checked first, then all
rows or none, as the expert import does (its problem and report shapes, `report_csv`, are reused).

Each row names its list in 记录类别; the header may use the English column names or the Chinese ones.
A row already on file (same list, code or name, record date and case) is skipped, so a refreshed list
can be imported again. Each new record is matched to an organisation by USCC (strong) or by name only
(weak), and gets the day it stops counting: its end of penalty, else the record date plus the region's
validity period for its list. Row 1 is the header; data rows start at 2 as in a spreadsheet.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from accounts.models import User
from accounts.service import is_valid_uscc
from audit.service import record
from core import clock
from core.db import db
from registry.credit import rules
from registry.credit.models import CreditImport, CreditRecord, MatchKind, RecordKind
from registry.credit.service import KIND_LABELS, assess_org, get_org, issue_card, match_org
from registry.experts.importer import MAX_ROWS, ImportProblem, ImportReport, report_csv

__all__ = ["COLUMNS", "CreditImportReport", "import_records_file", "parse_date", "report_csv"]

COLUMNS = {  # English name -> Chinese header
    "kind": "记录类别",
    "name": "名称",
    "uscc": "统一社会信用代码",
    "address": "地址",
    "case": "案件",
    "basis": "处罚依据",
    "result": "处罚结果",
    "record_date": "记录日期",
    "place": "发生地",
    "penalty_end": "处罚截止日期",
    "source": "来源",
}
REQUIRED = ("kind", "name", "uscc", "result", "record_date", "source")
REQUIRED_VALUES = ("kind", "name", "result", "record_date", "source")
KINDS = {label: kind for kind, label in KIND_LABELS.items()} | {k.value: k for k in RecordKind} | {
    "重大税收违法": RecordKind.TAX_VIOLATION, "政府采购严重违法失信": RecordKind.PROCUREMENT_VIOLATION}
LIMITS = {"name": 200, "address": 300, "basis": 500, "result": 500, "place": 120, "source": 200, "case": 5000}
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")


@dataclass
class CreditImportReport(ImportReport):
    skipped: int = 0  # rows already on file
    matched: int = 0  # new records matched to an organisation by USCC
    import_id: int | None = None


def parse_date(text: str) -> date | None:
    """2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日 or 20260105; None if it is no real date."""
    text = text.strip()
    found = _DATE.fullmatch(text)
    try:
        if found:
            return date(int(found[1]), int(found[2]), int(found[3]))
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return None


def _decode(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _cell_text(value: object) -> str:
    """Spreadsheet cells as text: dates as ISO dates, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _failed(reason: str) -> CreditImportReport:
    return CreditImportReport(problems=[ImportProblem(0, "", reason)])


def read_rows(data: bytes, filename: str) -> list[list[str]] | CreditImportReport:
    """The file's rows as text (CSV in UTF-8 or GB18030, or the first sheet of an XLSX), or a failed report."""
    if filename.lower().endswith(".xlsx"):
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
        return rows
    text = _decode(data)
    if text is None:
        return _failed("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV")
    return list(csv.reader(io.StringIO(text)))


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


def _key(kind: RecordKind, name: str, uscc: str | None, day: date, case: str) -> tuple:
    return (kind.value, uscc or name, day.isoformat(), case.strip()[:200])


@dataclass
class _Row:
    line: int
    kind: RecordKind
    cells: dict[str, str]
    uscc: str | None
    record_date: date
    penalty_end: date | None


def _check_row(line: int, cells: dict[str, str], seen: dict[tuple, int]) -> tuple[_Row | None, list[ImportProblem]]:
    problems: list[ImportProblem] = []

    def bad(column: str, reason: str) -> None:
        problems.append(ImportProblem(line, COLUMNS[column], reason))

    for column in REQUIRED_VALUES:
        if not cells.get(column):
            bad(column, "必填项为空")
    for column, limit in LIMITS.items():
        if len(cells.get(column, "")) > limit:
            bad(column, f"超过 {limit} 字")
    kind = KINDS.get(cells.get("kind", ""))
    if cells.get("kind") and kind is None:
        bad("kind", "记录类别应为：" + "、".join(KIND_LABELS.values()))
    uscc = cells.get("uscc", "").upper() or None
    if uscc and not is_valid_uscc(uscc):
        bad("uscc", "统一社会信用代码无效（应为 18 位，校验位须符合 GB 32100）")
    record_date = parse_date(cells["record_date"]) if cells.get("record_date") else None
    if cells.get("record_date") and record_date is None:
        bad("record_date", "日期无效，应为 2026-01-05 的格式")
    penalty_end = parse_date(cells["penalty_end"]) if cells.get("penalty_end") else None
    if cells.get("penalty_end") and penalty_end is None:
        bad("penalty_end", "日期无效，应为 2026-01-05 的格式")
    if record_date and penalty_end and penalty_end < record_date:
        bad("penalty_end", "处罚截止日期早于记录日期")
    if problems or kind is None or record_date is None:
        return None, problems
    key = _key(kind, cells["name"], uscc, record_date, cells.get("case", ""))
    if key in seen:
        bad("name", f"与第 {seen[key]} 行重复")
        return None, problems
    seen[key] = line
    return _Row(line, kind, cells, uscc, record_date, penalty_end), problems


def _stored_keys() -> set[tuple]:
    rows = db.session.execute(select(CreditRecord.kind, CreditRecord.name, CreditRecord.uscc, CreditRecord.record_date,
                                     CreditRecord.case_text))
    return {_key(kind, name, uscc, day, case) for kind, name, uscc, day, case in rows}


def _valid_until(row: _Row, region_code: str | None) -> date:
    if row.penalty_end is not None:
        return row.penalty_end
    months = rules.validity_months(region_code, row.kind)
    total = row.record_date.month - 1 + months
    year, month = row.record_date.year + total // 12, total % 12 + 1
    for last in (row.record_date.day, 30, 29, 28):
        try:
            return date(year, month, min(row.record_date.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def import_records_file(data: bytes, filename: str, actor: User) -> CreditImportReport:
    """Check every row; store all new records (and the import's own row) only if none failed. The
    caller commits on `ok`, rolls back otherwise."""
    rows = read_rows(data, filename)
    if isinstance(rows, CreditImportReport):
        return rows
    if not rows:
        return _failed("文件为空")
    report = CreditImportReport()
    index, report.problems = _header_map([str(c) for c in rows[0]])
    if report.problems:
        return report
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(str(c).strip() for c in r)]
    report.rows = len(body)
    if not body:
        return _failed("文件中没有数据行")
    if len(body) > MAX_ROWS:
        report.problems.append(ImportProblem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return report
    seen: dict[tuple, int] = {}
    parsed = []
    for line, row in body:
        cells = {k: (str(row[i]).strip() if i < len(row) else "") for k, i in index.items()}
        checked, problems = _check_row(line, cells, seen)
        report.problems += problems
        if checked is not None:
            parsed.append(checked)
    if report.problems:
        return report
    stored = _stored_keys()
    now = clock.now()
    batch = CreditImport(filename=filename[:255], sha256=hashlib.sha256(data).hexdigest(), rows=len(body),
                         imported_at=now, imported_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    new = []
    for row in parsed:
        if _key(row.kind, row.cells["name"], row.uscc, row.record_date, row.cells.get("case", "")) in stored:
            report.skipped += 1
            continue
        org, match = match_org(row.cells["name"], row.uscc)
        new.append(CreditRecord(
            import_id=batch.id, kind=row.kind, name=row.cells["name"], uscc=row.uscc,
            address=row.cells.get("address", ""), case_text=row.cells.get("case", ""),
            basis=row.cells.get("basis", ""), result=row.cells["result"], record_date=row.record_date,
            place=row.cells.get("place", ""), penalty_end=row.penalty_end,
            valid_until=_valid_until(row, actor.region_code), source=row.cells["source"],
            org_id=org.id if org else None, match=match))
        report.matched += match is MatchKind.USCC
    db.session.add_all(new)
    batch.matched = report.matched
    db.session.flush()
    report.created, report.import_id = len(new), batch.id
    for org_id in sorted({r.org_id for r in new if r.org_id}):  # the organisations named get their card now
        org = get_org(org_id)
        found = assess_org(org)
        if found.warned:
            issue_card(org, found, "import", f"registry_credit_import:{batch.id}")
    record("registry.credit_records_imported", batch, {
        "rows": len(body), "created": len(new), "skipped": report.skipped, "matched": report.matched,
        "sha256": batch.sha256}, actor=f"user:{actor.id}")
    return report
