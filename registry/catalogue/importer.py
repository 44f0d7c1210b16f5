"""Import a catalogue file (CSV or XLSX) as a new version: every row checked first, then all or nothing.

Columns (Chinese or English header): 品目编码/code, 品目名称/name, and optionally 说明/note (编码, 名称
and 备注 are read as the same; a 序号 column is ignored). Rows
whose code is a bare letter (A 货物…) are the file's headings and are skipped. The report lists
each problem as (row, column, reason), row 1 being the header as in a spreadsheet: a bad code
shape, a code given twice, a code whose parent is not in the file (a broken tree), an empty name.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

from accounts.models import Role, User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Forbidden
from registry import tabular
from registry.catalogue import codes
from registry.catalogue.models import CatalogueItem, CatalogueVersion

COLUMNS = {"code": "品目编码", "name": "品目名称", "note": "说明"}
# other headings tables of the catalogue use for the same columns; 序号 (a row number) is ignored
ALIASES = {"编码": "code", "品目代码": "code", "代码": "code", "名称": "name", "品目": "name", "备注": "note"}
IGNORED = {"序号"}
REQUIRED = ("code", "name")
MAX_ROWS = 50000
IMPORTER_ROLES = (Role.ADMIN,)
# the representative extract shipped for the demo and tests (README: where the full file comes from)
EXTRACT = Path(__file__).parent / "data" / "catalogue_2022_extract.csv"


Problem = tabular.ImportProblem  # row, column, reason: the libraries' one report line


@dataclass
class Report:
    rows: int = 0
    leaves: int = 0
    version_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "rows": self.rows, "leaves": self.leaves, "version_id": self.version_id,
                "problems": [p.as_dict() for p in self.problems]}


def _failed(reason: str) -> Report:
    return Report(problems=[Problem(0, "", reason)])


def read_rows(data: bytes, filename: str) -> list[list[str]] | str:
    """The file's rows as text cells (the libraries' shared reader), or the reason it cannot be read."""
    try:
        return [[str(c).strip() for c in row] for row in tabular.file_rows(data, filename)]
    except tabular.UnreadableFile as exc:
        return str(exc)


def _header(header: list[str]) -> tuple[dict[str, int], list[Problem]]:
    by_name = {v: k for k, v in COLUMNS.items()} | {k: k for k in COLUMNS} | ALIASES
    index: dict[str, int] = {}
    problems = []
    for i, raw in enumerate(header):
        key = by_name.get(raw.strip().lower() if raw.strip().isascii() else raw.strip())
        if key is None:
            if raw.strip() and raw.strip() not in IGNORED:
                problems.append(Problem(1, raw, "未知的列名"))
        elif key in index:
            problems.append(Problem(1, raw, "列名重复"))
        else:
            index[key] = i
    problems += [Problem(1, COLUMNS[k], "缺少必填列") for k in REQUIRED if k not in index]
    return index, problems


def check_rows(rows: list[list[str]]) -> tuple[list[dict], Report]:
    """Check a whole file; the parsed items (code, name, note, parent, level, line) and the report."""
    report = Report()
    if not rows:
        return [], _failed("文件为空")
    index, report.problems = _header([str(c) for c in rows[0]])
    if report.problems:
        return [], report
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(str(c).strip() for c in r)]
    if len(body) > MAX_ROWS:
        report.problems.append(Problem(0, "", f"一次最多导入 {MAX_ROWS} 行"))
        return [], report
    items: list[dict] = []
    seen: dict[str, int] = {}
    for line, row in body:
        cells = {k: (str(row[i]).strip() if i < len(row) else "") for k, i in index.items()}
        raw = cells.get("code", "")
        code = codes.normalise(raw)
        if code in codes.CATEGORY_NAMES:  # a heading row (A 货物)
            continue
        name = cells.get("name", "")
        bad = False
        if not raw:
            report.problems.append(Problem(line, COLUMNS["code"], "必填项为空"))
            bad = True
        elif not codes.is_valid(code):
            report.problems.append(Problem(line, COLUMNS["code"],
                                           f"编码 {raw} 格式不正确（应为 A/B/C 加 2 至 10 位数字，每级两位）"))
            bad = True
        elif code in seen:
            report.problems.append(Problem(line, COLUMNS["code"], f"编码 {code} 与第 {seen[code]} 行重复"))
            bad = True
        if not name:
            report.problems.append(Problem(line, COLUMNS["name"], "必填项为空"))
            bad = True
        elif len(name) > 120:
            report.problems.append(Problem(line, COLUMNS["name"], "名称超过 120 个字"))
            bad = True
        if bad:
            continue
        seen[code] = line
        items.append({"code": code, "name": name, "note": cells.get("note", ""), "line": line,
                      "parent": codes.parent_of(code), "level": codes.level_of(code)})
    parents = {item["parent"] for item in items if item["parent"]}
    for item in items:
        if item["parent"] and item["parent"] not in seen:
            report.problems.append(Problem(item["line"], COLUMNS["code"],
                                           f"上级编码 {item['parent']} 不在文件中（目录树断开）"))
        item["leaf"] = item["code"] not in parents
    if not items and not report.problems:
        report.problems.append(Problem(0, "", "文件中没有品目"))
    report.rows = len(items)
    report.leaves = sum(1 for item in items if item["leaf"])
    return items, report


def import_catalogue(actor: User | None, data: bytes, filename: str, label: str) -> Report:
    """Check the file and, only if every row is right, store it as a new (inactive) version.

    `actor` None is the platform itself (the demo seed, a command run by the operator)."""
    if actor is not None and not actor.has_role(*IMPORTER_ROLES):
        raise Forbidden("只有平台管理员可以导入采购目录。", code="not_catalogue_admin")
    rows = read_rows(data, filename)
    if isinstance(rows, str):
        return _failed(rows)
    items, report = check_rows(rows)
    if report.problems:
        return report
    digest = hashlib.sha256(data).hexdigest()
    version = CatalogueVersion(label=(label.strip() or filename)[:60], source_name=filename[:255], sha256=digest,
                               rows=report.rows, leaves=report.leaves, imported_at=clock.now(),
                               imported_by_id=actor.id if actor else None)
    db.session.add(version)
    db.session.flush()
    db.session.execute(db.insert(CatalogueItem), [
        {"version_id": version.id, "code": i["code"], "name": i["name"], "parent_code": i["parent"],
         "level": i["level"], "is_leaf": i["leaf"], "note": i["note"]} for i in items])
    report.version_id = version.id
    record("registry.catalogue_imported", version, {"rows": report.rows, "leaves": report.leaves,
                                                    "sha256": digest, "label": version.label},
           **({"actor": f"user:{actor.id}"} if actor else {"actor": "system:catalogue"}))
    return report


def report_csv(report: Report) -> str:
    """The validation report as CSV (行号, 列, 原因) for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["行号", "列", "原因"])
    for p in report.problems:
        writer.writerow([p.row, p.column, p.reason])
    return out.getvalue()
