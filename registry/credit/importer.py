"""Import credit records (the three national lists) from CSV or XLSX: every row checked first, then all
rows or none, with the machinery every library's import shares (`registry.tabular`: reading the file, the
header, the row/column/reason report).

Each row names its list in 记录类别; the header may use the English column names or the Chinese ones.
A row already on file (same list, code or name, record date and case) is skipped, so a refreshed list
can be imported again. Each new record is matched to an organisation by USCC (strong) or by name only
(weak), and gets the day it stops counting: its end of penalty, else the record date plus the region's
validity period for its list. Row 1 is the header; data rows start at 2 as in a spreadsheet.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from accounts.models import User
from accounts.service import is_valid_uscc
from audit.service import record
from core import clock
from core.db import db
from registry.credit import rules
from registry.credit.models import CreditImport, CreditRecord, MatchKind, RecordKind
from registry.credit.service import KIND_LABELS, assess_org, get_org, issue_card, match_org
from registry.tabular import ImportProblem, ImportReport, UnreadableFile, body_rows, file_rows, header_map, report_csv

__all__ = ["COLUMNS", "CreditImportReport", "import_records_file", "parse_date", "report_csv"]  # report_csv: tabular's

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
MAX_ROWS = 20000
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


def _failed(reason: str) -> CreditImportReport:
    return CreditImportReport(problems=[ImportProblem(0, "", reason)])


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
    try:
        rows = file_rows(data, filename)
    except UnreadableFile as exc:
        return _failed(str(exc))
    if not rows:
        return _failed("文件为空")
    report = CreditImportReport()
    index, report.problems = header_map([str(c) for c in rows[0]], COLUMNS, REQUIRED)
    if report.problems:
        return report
    body = body_rows(rows, index)
    report.rows = len(body)
    if not body:
        return _failed("文件中没有数据行")
    if len(body) > MAX_ROWS:
        report.problems.append(ImportProblem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return report
    seen: dict[tuple, int] = {}
    parsed = []
    for line, cells in body:
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
