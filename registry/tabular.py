"""What every library's bulk import shares: reading a CSV (UTF-8 or GB18030) or the first sheet of an
XLSX into rows, mapping the header (English or Chinese column names), and the report of problems as
(row, column, reason), row 1 being the header so data rows start at 2 as in a spreadsheet.

Each importer (`registry.experts.importer`, `registry.suppliers.importer`) checks every row against
this and writes all rows or none.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


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
    warnings: list[ImportProblem] = field(default_factory=list)  # accepted, but a reviewer should look

    @property
    def ok(self) -> bool:
        return not self.problems


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX we can read; the message is Chinese, for the report."""


def failed(reason: str) -> ImportReport:
    """A report refusing the whole file (row 0: no row in particular)."""
    return ImportReport(problems=[ImportProblem(0, "", reason)])


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("csv", data, 0, 1, "neither UTF-8 nor GB18030")


def cell_text(value: object) -> str:
    """Spreadsheets store ID, phone and account numbers as numbers, dates as dates: write them back as text."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_rows(data: bytes) -> list[list[str]]:
    try:
        text = decode(data)
    except UnicodeDecodeError:
        raise UnreadableFile("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV") from None
    return list(csv.reader(io.StringIO(text)))


def xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise UnreadableFile("服务器未安装 XLSX 支持，请另存为 CSV 后导入") from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise UnreadableFile("无法读取该 XLSX 文件，请确认文件未损坏") from None
    rows = [[cell_text(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def file_rows(data: bytes, filename: str) -> list[list[str]]:
    """CSV or XLSX by the file name."""
    return xlsx_rows(data) if filename.lower().endswith(".xlsx") else csv_rows(data)


def header_map(header: list[str], columns: Mapping[str, str],
               required: Iterable[str]) -> tuple[dict[str, int], list[ImportProblem]]:
    """Column positions by English key; problems for unknown, repeated and missing required columns."""
    by_name = {v: k for k, v in columns.items()} | {k: k for k in columns}
    index, problems = {}, []
    for i, raw in enumerate(header):
        key = by_name.get(str(raw).strip())
        if key is None:
            problems.append(ImportProblem(1, str(raw), "未知的列名"))
        elif key in index:
            problems.append(ImportProblem(1, str(raw), "列名重复"))
        else:
            index[key] = i
    problems += [ImportProblem(1, columns[k], "缺少必填列") for k in required if k not in index]
    return index, problems


def body_rows(rows: list[list[str]], index: Mapping[str, int]) -> list[tuple[int, dict[str, str]]]:
    """The non-empty data rows as (spreadsheet line, {key: stripped text})."""
    out = []
    for line, row in enumerate(rows[1:], start=2):
        if any(str(c).strip() for c in row):
            out.append((line, {k: (str(row[i]).strip() if i < len(row) else "") for k, i in index.items()}))
    return out


def report_csv(report: ImportReport) -> str:
    """The validation report as CSV (行号, 列, 原因) for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "原因"])
    for p in report.problems:
        writer.writerow([p.row, p.column, p.reason])
    return out.getvalue()
